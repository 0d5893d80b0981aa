package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/postgres/pgtest"
	"github.com/stagedoor/stagedoor/internal/storage/storagetest"
)

// testDSN returns a DSN for a new schema of the test database, dropped when
// t ends, or skips t if there is no test database.
func testDSN(t *testing.T) string {
	t.Helper()
	return pgtest.DSN(t, "pool_max_conns", "10")
}

// open opens a store on dsn, closed when t ends.
func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		return open(t, testDSN(t))
	})
}

func TestReopenKeepsData(t *testing.T) {
	dsn := testDSN(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := open(t, dsn).GetApp(t.Context(), "app1"); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dsn := testDSN(t)
	s := open(t, dsn)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`); err != nil {
		t.Fatal(err)
	}
	again, err := Open(t.Context(), dsn)
	if err == nil {
		again.Close()
		t.Fatal("opened a database with a newer schema")
	}
	if !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("got %v, want ErrSchemaTooNew", err)
	}
}

// receive waits for want on ch, skipping other changes, and fails t if it
// does not arrive in time.
func receive(t *testing.T, ch <-chan storage.Change, want storage.Change) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c := <-ch:
			if c == want {
				return
			}
		case <-timeout:
			t.Fatalf("no change %+v", want)
		}
	}
}

func TestChangesReachOtherNodes(t *testing.T) {
	dsn := testDSN(t)
	a, b := open(t, dsn), open(t, dsn)
	ch, err := b.Changes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	receive(t, ch, storage.Change{Kind: storage.ChangeApp, AppID: "app1"})
}

func TestSchemasDoNotShareChanges(t *testing.T) {
	a, b := open(t, testDSN(t)), open(t, testDSN(t))
	ch, err := b.Changes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateApp(t.Context(), storage.App{ID: "app2", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-ch:
		if c != (storage.Change{Kind: storage.ChangeApp, AppID: "app2"}) {
			t.Fatalf("got %+v from another schema", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no change")
	}
}

func TestResyncAfterReconnect(t *testing.T) {
	s := open(t, testDSN(t))
	ch, err := s.Changes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	pid := s.listener.pid.Load()
	var killed bool
	if err := s.pool.QueryRow(t.Context(), `SELECT pg_terminate_backend($1)`, int32(pid)).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate listener %d: %v %v", pid, killed, err)
	}
	receive(t, ch, storage.Change{Kind: storage.ChangeResync})
	if s.listener.pid.Load() == pid {
		t.Fatal("listener did not reconnect")
	}
	if err := s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	receive(t, ch, storage.Change{Kind: storage.ChangeApp, AppID: "app1"})
}
