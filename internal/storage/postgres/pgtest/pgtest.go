// Package pgtest gives tests a PostgreSQL schema of their own in the
// database named by STAGEDOOR_TEST_POSTGRES, or, when it names none, in a
// cluster the tests start themselves (Main), and clusters a test can stop
// and start (StartCluster).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the variable holding the URL of the test database.
const EnvVar = "STAGEDOOR_TEST_POSTGRES"

// DSN returns a DSN for a new schema of the database named by EnvVar,
// dropped when t ends, or skips t if EnvVar is unset (Main sets it when it
// can start a cluster). kv are further key and value pairs to add to the
// DSN.
func DSN(t testing.TB, kv ...string) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skip(EnvVar + " is not set and no cluster of the tests' own could be started; set it to a PostgreSQL URL to run these tests")
	}
	random := make([]byte, 6)
	rand.Read(random)
	schema := "sd_test_" + hex.EncodeToString(random)
	conn, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("connect: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return WithParams(t, base, append([]string{"search_path", schema}, kv...)...)
}

// WithParams adds key and value pairs to a URL or keyword/value DSN.
func WithParams(t testing.TB, dsn string, kv ...string) string {
	t.Helper()
	if !strings.Contains(dsn, "://") {
		for i := 0; i < len(kv); i += 2 {
			dsn += " " + kv[i] + "=" + kv[i+1]
		}
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	q := u.Query()
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}
