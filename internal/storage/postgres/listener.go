package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/feed"
)

// Reconnection waits start at minBackoff and double up to maxBackoff.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// reconnection decides when a listener that lost its connection tries
// again: after a wait that doubles with each failure, or at once when the
// store's pool opens a connection, which shows that the database answers
// again. Sitting out the wait then would leave the node deaf, for seconds,
// to the changes other nodes commit, such as revocations they have already
// acknowledged.
type reconnection struct {
	// after is the clock the waits are measured on.
	after func(time.Duration) <-chan time.Time
	back  chan struct{}
}

func newReconnection(after func(time.Duration) <-chan time.Time) *reconnection {
	return &reconnection{after: after, back: make(chan struct{}, 1)}
}

// reachable reports that a connection to the database was just opened.
func (r *reconnection) reachable() {
	select {
	case r.back <- struct{}{}:
	default:
	}
}

// listener receives the notifications of a channel on a dedicated
// connection and publishes them to a hub. After it loses the connection and
// gets it back it publishes a storage.ChangeResync, since notifications sent
// in between are lost.
type listener struct {
	cfg     *pgx.ConnConfig
	channel string
	hub     *feed.Hub
	conn    *pgx.Conn
	retry   *reconnection
	// pid is the backend process ID of the current connection.
	pid atomic.Uint32
}

// newListener connects and listens, so that every change committed after it
// returns is received.
func newListener(ctx context.Context, cfg *pgx.ConnConfig, channel string, hub *feed.Hub, retry *reconnection) (*listener, error) {
	l := &listener{cfg: cfg.Copy(), channel: channel, hub: hub, retry: retry}
	l.cfg.RuntimeParams["application_name"] = "stagedoor-listener"
	conn, err := l.connect(ctx)
	if err != nil {
		return nil, fail("listen", err)
	}
	l.conn = conn
	return l, nil
}

func (l *listener) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		closeConn(ctx, conn)
		return nil, err
	}
	l.pid.Store(conn.PgConn().PID())
	return conn, nil
}

// run receives notifications until ctx is done, reconnecting as needed.
func (l *listener) run(ctx context.Context) {
	for {
		l.receive(ctx)
		closeConn(ctx, l.conn)
		if !l.reconnect(ctx) {
			return
		}
		l.hub.Publish(storage.Change{Kind: storage.ChangeResync})
	}
}

// receive publishes notifications until the connection fails or ctx is
// done. A payload it cannot read is published as a resync.
func (l *listener) receive(ctx context.Context) {
	for {
		n, err := l.conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		c, err := decodeChange(n.Payload)
		if err != nil {
			c = storage.Change{Kind: storage.ChangeResync}
		}
		l.hub.Publish(c)
	}
}

// reconnect connects again, waiting longer after each failure unless the
// database is seen to answer, and reports false if ctx ended first.
func (l *listener) reconnect(ctx context.Context) bool {
	// A connection the pool opened before this loss says nothing of now.
	select {
	case <-l.retry.back:
	default:
	}
	delay := minBackoff
	for {
		conn, err := l.connect(ctx)
		if err == nil {
			l.conn = conn
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-l.retry.back:
		case <-l.retry.after(delay):
		}
		delay = min(2*delay, maxBackoff)
	}
}

// closeConn closes conn, waiting at most a second for the server.
func closeConn(ctx context.Context, conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	conn.Close(ctx)
}

// notification is the payload of a change notification.
type notification struct {
	Kind   storage.ChangeKind `json:"k"`
	AppID  string             `json:"a,omitempty"`
	Room   string             `json:"r,omitempty"`
	Cursor int64              `json:"c,omitempty"`
}

func encodeChange(c storage.Change) string {
	// Marshalling strings and integers cannot fail.
	b, _ := json.Marshal(notification{Kind: c.Kind, AppID: c.AppID, Room: c.Room, Cursor: c.Cursor})
	return string(b)
}

func decodeChange(payload string) (storage.Change, error) {
	var n notification
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return storage.Change{}, fmt.Errorf("change notification %q: %w", payload, err)
	}
	return storage.Change{Kind: n.Kind, AppID: n.AppID, Room: n.Room, Cursor: n.Cursor}, nil
}
