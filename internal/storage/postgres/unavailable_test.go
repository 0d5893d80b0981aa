package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// proxy forwards loopback TCP connections to a database. While it is down
// it drops the connections it carries and every new one at once, as a
// database that went away would.
type proxy struct {
	ln     net.Listener
	target string
	// refused receives a value, if it has room, for each connection
	// refused while the proxy is down.
	refused chan struct{}

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

// startProxy forwards a loopback port to target until t ends.
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, refused: make(chan struct{}, 64), conns: make(map[net.Conn]struct{})}
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
	})
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *proxy) forward(c net.Conn) {
	if !p.track(c) {
		c.Close()
		select {
		case p.refused <- struct{}{}:
		default:
		}
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(up) {
		c.Close()
		if up != nil {
			up.Close()
		}
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	c.Close()
	up.Close()
}

// track registers c unless the proxy is down.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

// setDown takes the database away (dropping every connection) or brings it
// back.
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// throughProxy returns dsn with its host and port replaced by addr's.
func throughProxy(t *testing.T, dsn, addr string) string {
	t.Helper()
	if !strings.Contains(dsn, "://") {
		host, port, _ := net.SplitHostPort(addr)
		return dsn + " host=" + host + " port=" + port
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// TestUnavailableWhileDatabaseIsAway cuts the store off its database: every
// operation fails with storage.ErrUnavailable and writes nothing. When the
// database is back the store works again without being reopened, and its
// change feed announces a resync.
func TestUnavailableWhileDatabaseIsAway(t *testing.T) {
	dsn := testDSN(t)
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)))
	s := open(t, throughProxy(t, dsn, p.ln.Addr().String()))
	if err := s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Changes(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	p.setDown(true)
	rev := storage.Revocation{AppID: "app1", Kind: storage.RevocationUserID, Value: "alice", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	ops := map[string]func(ctx context.Context) error{
		"AddRevocation": func(ctx context.Context) error { _, err := s.AddRevocation(ctx, rev, nil); return err },
		"CreateApp": func(ctx context.Context) error {
			return s.CreateApp(ctx, storage.App{ID: "app2", Name: "Other"}, nil)
		},
		"GetApp":   func(ctx context.Context) error { _, err := s.GetApp(ctx, "app1"); return err },
		"ListApps": func(ctx context.Context) error { _, err := s.ListApps(ctx); return err },
		"ListRevocations": func(ctx context.Context) error {
			_, err := s.ListRevocations(ctx, storage.RevocationQuery{})
			return err
		},
		"ListSigningKeys": func(ctx context.Context) error { _, err := s.ListSigningKeys(ctx); return err },
		"GetRefreshToken": func(ctx context.Context) error { _, err := s.GetRefreshToken(ctx, []byte("x")); return err },
		"RotateRefreshToken": func(ctx context.Context) error {
			_, err := s.RotateRefreshToken(ctx, []byte("x"), storage.RefreshToken{IDHash: []byte("y")}, time.Time{}, nil)
			return err
		},
	}
	for name, op := range ops {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		err := op(ctx)
		cancel()
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s while the database is away: %v, want storage.ErrUnavailable", name, err)
		}
	}

	p.setDown(false)
	receive(t, ch, storage.Change{Kind: storage.ChangeResync})
	// The database is reachable again. A write may still be given a
	// pooled connection the outage cut, which fails and is dropped: the
	// write succeeds at the latest once every such connection is gone.
	for tries := int32(0); ; tries++ {
		_, err := s.AddRevocation(t.Context(), rev, nil)
		if err == nil {
			break
		}
		if !errors.Is(err, storage.ErrUnavailable) || tries == s.pool.Config().MaxConns {
			t.Fatalf("write %d after the database came back: %v", tries+1, err)
		}
	}
	rs, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
	if err != nil || len(rs) != 1 {
		t.Fatalf("revocations: %v %v, want only the one written after the outage", rs, err)
	}
	if _, err := s.GetApp(t.Context(), "app2"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("app created during the outage: %v, want storage.ErrNotFound", err)
	}
}

func TestUnreachable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57P01"}, true},
		{&pgconn.PgError{Code: "57P03"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "53300"}, true},
		{&pgconn.PgError{Code: "53100"}, true}, // disk full
		{&pgconn.PgError{Code: "53200"}, true}, // out of memory
		{&pgconn.PgError{Code: "53000"}, true},
		{&pgconn.PgError{Code: "53400"}, true},
		{&pgconn.PgError{Code: "25006"}, true}, // read-only transaction
		{&pgconn.PgError{Code: "58030"}, true}, // I/O error
		{&pgconn.PgError{Code: "25P02"}, false},
		{&pgconn.PgError{Code: "42501"}, false},
		{&pgconn.PgError{Code: "23505"}, false},
		{&pgconn.PgError{Code: "42P01"}, false},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{pgconn.ErrConnClosed, true},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{errors.New("syntax"), false},
	} {
		if got := unreachable(c.err); got != c.want {
			t.Errorf("unreachable(%v) = %v, want %v", c.err, got, c.want)
		}
		if got := errors.Is(fail("op", c.err), storage.ErrUnavailable); got != c.want {
			t.Errorf("fail(%v) is storage.ErrUnavailable: %v, want %v", c.err, got, c.want)
		}
	}
}
