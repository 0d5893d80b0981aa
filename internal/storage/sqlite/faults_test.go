package sqlite

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// oneConnection keeps s's statements on a single connection, beside the
// one that watches for other processes' commits, and runs pragma on it, so
// that a per-connection setting such as max_page_count or query_only holds
// for everything s does next.
func oneConnection(t *testing.T, s *Store, pragma string) {
	t.Helper()
	s.db.SetMaxIdleConns(0) // closes the idle ones
	s.db.SetMaxOpenConns(2)
	s.db.SetMaxIdleConns(1)
	if _, err := s.db.ExecContext(t.Context(), pragma); err != nil {
		t.Fatalf("%s: %v", pragma, err)
	}
}

// fill makes the database full the way a full disk does, without one:
// SQLite may not grow it past its current size (max_page_count, which it
// clamps to that size), and audit rows of decreasing size take the room
// left in its last pages, until SQLite answers SQLITE_FULL for the
// smallest. Every record stagedoor writes with an audit entry then needs a
// page the database cannot get.
func fill(t *testing.T, s *Store) {
	t.Helper()
	oneConnection(t, s, "PRAGMA max_page_count = 1")
	for _, size := range []int{3000, 300, 30, 0} {
		for {
			_, err := s.db.ExecContext(t.Context(), `INSERT INTO audit_log (occurred_at, actor, action, app_id, target, detail)
				VALUES (0, 'f', 'f', '', '', zeroblob(?))`, size)
			var e *sqlitedriver.Error
			if errors.As(err, &e) && e.Code() == sqlite3.SQLITE_FULL {
				break
			}
			if err != nil {
				t.Fatalf("filling the database: %v", err)
			}
		}
	}
}

// auditCount is the number of audit entries stored.
func auditCount(t *testing.T, s *Store) int {
	t.Helper()
	entries, err := s.ListAudit(t.Context(), storage.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestFullDatabaseIsUnavailable fills the database: each write fails with
// storage.ErrUnavailable, so that it is answered 503, and stores nothing;
// once there is room again, writes succeed.
func TestFullDatabaseIsUnavailable(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "stagedoor.db"))
	defer s.Close()
	if err := s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	entries := auditCount(t, s)

	audit := &storage.AuditEntry{Actor: "api_key:sdk_0123456789", Action: "revocation.create", AppID: "app1", Target: "alice"}
	rev := storage.Revocation{AppID: "app1", Kind: storage.RevocationUserID, Value: "alice", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	_, err := s.AddRevocation(t.Context(), rev, audit)
	wantUnavailable(t, "add revocation", err)
	room := storage.Room{AppID: "app1", Name: "stage", Type: "private", CreatedAt: time.Now()}
	wantUnavailable(t, "create room", s.CreateRoom(t.Context(), room, &storage.AuditEntry{Actor: "user:alice", Action: "room.create", AppID: "app1", Target: "stage"}))
	mint := storage.AuditEntry{Actor: "api_key:sdk_0123456789", Action: "token.mint", AppID: "app1", Target: "alice", Detail: []byte(`{"jti":"0123456789abcdef"}`)}
	wantUnavailable(t, "append audit", s.AppendAuditBatch(t.Context(), []storage.AuditEntry{mint}))
	wantUnavailable(t, "ping", s.Ping(t.Context()))

	if rs, err := s.ListRevocations(t.Context(), storage.RevocationQuery{}); err != nil || len(rs) != 0 {
		t.Errorf("revocations after the failed write: %v %v", rs, err)
	}
	if _, err := s.GetRoom(t.Context(), "app1", "stage"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("room after the failed write: %v, want ErrNotFound", err)
	}
	if got := auditCount(t, s); got != entries {
		t.Errorf("%d audit entries after the failed writes, want %d", got, entries)
	}

	oneConnection(t, s, "PRAGMA max_page_count = 1000000")
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("ping once there is room: %v", err)
	}
	if _, err := s.AddRevocation(t.Context(), rev, audit); err != nil {
		t.Fatalf("write once there is room: %v", err)
	}
}

// TestReadOnlyDatabaseIsUnavailable makes the database refuse writes, as a
// read-only file or directory does (a test running as root cannot make one
// with permissions): writes and the ping fail with storage.ErrUnavailable.
func TestReadOnlyDatabaseIsUnavailable(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "stagedoor.db"))
	defer s.Close()
	if err := s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	oneConnection(t, s, "PRAGMA query_only = 1")
	rev := storage.Revocation{AppID: "app1", Kind: storage.RevocationUserID, Value: "alice", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	_, err := s.AddRevocation(t.Context(), rev, nil)
	wantUnavailable(t, "add revocation", err)
	wantUnavailable(t, "ping", s.Ping(t.Context()))
	if !strings.Contains(err.Error(), "readonly") {
		t.Errorf("error %q does not say the database is read-only", err)
	}
	if _, err := s.GetApp(t.Context(), "app1"); err != nil {
		t.Errorf("read while read-only: %v", err)
	}
}

func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("%s: %v, want storage.ErrUnavailable", what, err)
	}
}
