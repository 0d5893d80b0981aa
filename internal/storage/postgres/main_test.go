package postgres

import (
	"os"
	"testing"

	"github.com/stagedoor/stagedoor/internal/storage/postgres/pgtest"
)

// TestMain runs the tests on a PostgreSQL cluster of their own when
// STAGEDOOR_TEST_POSTGRES names none.
func TestMain(m *testing.M) {
	os.Exit(pgtest.Main(m))
}
