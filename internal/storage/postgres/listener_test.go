package postgres

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// TestListenerBackAsSoonAsDatabaseIs takes the database away from a node
// until its listener waits to reconnect, on a clock that never fires, and
// brings it back while another node commits a revocation. The first
// connection the node's pool makes must bring the listener back at once,
// announcing a resync, and it must hear the changes committed after that:
// a listener sitting out its backoff left the node deaf for seconds to
// revocations the other node had acknowledged.
func TestListenerBackAsSoonAsDatabaseIs(t *testing.T) {
	dsn := testDSN(t)
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)))
	never := func(time.Duration) <-chan time.Time { return nil }
	s, err := openStore(t.Context(), throughProxy(t, dsn, p.ln.Addr().String()), never)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	other := open(t, dsn)
	if err := other.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Changes(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	p.setDown(true)
	// Nothing but the listener connects while the database is away.
	select {
	case <-p.refused:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not try to reconnect")
	}
	p.setDown(false)
	rev := storage.Revocation{AppID: "app1", Kind: storage.RevocationUserID, Value: "alice", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := other.AddRevocation(t.Context(), rev, nil); err != nil {
		t.Fatal(err)
	}
	// The pool finds its connections dead, one per attempt, then opens one.
	for i := 0; ; i++ {
		_, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
		if err == nil {
			break
		}
		if !errors.Is(err, storage.ErrUnavailable) || i == 20 {
			t.Fatalf("reading after the database came back: %v", err)
		}
	}
	receive(t, ch, storage.Change{Kind: storage.ChangeResync})
	rev.Value = "bob"
	second, err := other.AddRevocation(t.Context(), rev, nil)
	if err != nil {
		t.Fatal(err)
	}
	receive(t, ch, storage.Change{Kind: storage.ChangeRevocation, AppID: "app1", Cursor: second.Seq})
}
