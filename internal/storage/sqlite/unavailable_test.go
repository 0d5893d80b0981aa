package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// TestLockedBeyondBusyTimeoutIsUnavailable holds the write lock from
// another connection longer than the busy timeout: a write then fails with
// storage.ErrUnavailable and stores nothing, and succeeds once the lock is
// released.
func TestLockedBeyondBusyTimeoutIsUnavailable(t *testing.T) {
	old := busyTimeout
	busyTimeout = 100 * time.Millisecond
	t.Cleanup(func() { busyTimeout = old })
	path := filepath.Join(t.TempDir(), "stagedoor.db")
	s := open(t, path)
	defer s.Close()
	if err := s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}

	other, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	rev := storage.Revocation{AppID: "app1", Kind: storage.RevocationUserID, Value: "alice", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	_, err = s.AddRevocation(t.Context(), rev, nil)
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("write while locked: %v, want storage.ErrUnavailable", err)
	}
	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	rs, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
	if err != nil || len(rs) != 0 {
		t.Fatalf("after the failed write: %v %v, want no revocation", rs, err)
	}
	if _, err := s.AddRevocation(t.Context(), rev, nil); err != nil {
		t.Fatalf("write after the lock was released: %v", err)
	}
}
