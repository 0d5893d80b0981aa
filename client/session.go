package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// RoomSession is a participant's session in a room, kept alive: JoinRoom
// joins and, when the token only allows asking, waits to be admitted;
// then the session renews its lease with heartbeats at the pace of the
// server's lease, replaces the token it runs on before that expires (the
// continuous session policy ends a session with its token), and follows
// the room's events, resuming after a dropped stream. It ends when the
// server ends it (Done, Err) or with Close, which leaves the room. Its
// methods are safe for concurrent use.
type RoomSession struct {
	c       *Client
	room    string
	onEvent func(Event)
	// lease is how long the server keeps the session without a heartbeat.
	lease time.Duration

	// ctx ends the session's goroutines, which wg counts.
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	done     chan struct{}
	admitted chan struct{}

	mu  sync.Mutex
	ses Session
	// ended is closed done; err says why.
	ended, wasAdmitted bool
	err                error

	closeOnce sync.Once
	closeErr  error
}

// ErrClosed is the Err of a RoomSession ended by Close.
var ErrClosed = errors.New("client: room session closed")

// EndedError reports a session the server ended: rejected, kicked, expired,
// revoked, replaced by a newer session of the same participant, or ended
// with its room. Session.EndReason says which, when the client saw it.
type EndedError struct {
	Session Session
}

func (e *EndedError) Error() string {
	return fmt.Sprintf("stagedoor: session %s in room %q ended: %s", e.Session.SessionID, e.Session.Room, e.Session.EndReason)
}

// SessionOption configures JoinRoom.
type SessionOption func(*sessionConfig)

type sessionConfig struct {
	onEvent func(Event)
	after   int64
}

// OnEvent calls fn with each of the room's events, in order, each once,
// from the session's own goroutine: fn must return before the next event
// is read, and must not call Close (wait for Done elsewhere). A waiting
// participant sees only its own session's events until admitted.
func OnEvent(fn func(Event)) SessionOption {
	return func(c *sessionConfig) { c.onEvent = fn }
}

// EventsAfter starts the events after seq; by default they start with
// the oldest the room keeps.
func EventsAfter(seq int64) SessionOption {
	return func(c *sessionConfig) { c.after = seq }
}

// minLease bounds the heartbeat pace whatever the server says.
const minLease = 3 * time.Second

// JoinRoom joins room with the client's token and keeps the session alive.
// It returns once the session is joined: at once for a holder of
// room.join; for a holder of room.ask_join only when a moderator admits
// it. Rejected, it returns an *EndedError (EndReason rejected); refused
// (room_full, blocked, missing permission...), the API's *Error. When ctx
// ends while waiting, the session leaves and JoinRoom returns ctx's error.
// ctx bounds only the joining: Close ends the session.
func (c *Client) JoinRoom(ctx context.Context, room string, opts ...SessionOption) (*RoomSession, error) {
	var cfg sessionConfig
	for _, o := range opts {
		o(&cfg)
	}
	ses, err := c.Join(ctx, room)
	if err != nil {
		return nil, err
	}
	s := &RoomSession{c: c, room: room, onEvent: cfg.onEvent, lease: max(ses.LeaseUntil.Sub(ses.CreatedAt), minLease),
		done: make(chan struct{}), admitted: make(chan struct{}), ses: ses}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.Lock()
	s.noteState()
	s.mu.Unlock()
	s.wg.Add(2)
	go s.heartbeats()
	go s.follow(cfg.after)
	select {
	case <-s.admitted:
		return s, nil
	case <-s.done:
		s.Close()
		return nil, s.Err()
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
}

// ID is the session's id.
func (s *RoomSession) ID() string { return s.Session().SessionID }

// Session is the session as the client last saw it.
func (s *RoomSession) Session() Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ses
}

// Done is closed when the session has ended, by the server or by Close.
func (s *RoomSession) Done() <-chan struct{} { return s.done }

// Err says why the session ended: nil while it lasts, ErrClosed after
// Close, an *EndedError when the server ended it, or the error that kept
// it from going on (such as a 401 *Error once its token is revoked).
func (s *RoomSession) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Produce starts producing source; a 409 *Error with Code room_full when
// the room has no free producer slot.
func (s *RoomSession) Produce(ctx context.Context, source string) (Session, error) {
	return s.changed(s.c.Produce(ctx, s.room, s.ID(), source))
}

// Unproduce stops producing source.
func (s *RoomSession) Unproduce(ctx context.Context, source string) (Session, error) {
	return s.changed(s.c.Unproduce(ctx, s.room, s.ID(), source))
}

// RequestPermission raises a hand for permission.
func (s *RoomSession) RequestPermission(ctx context.Context, permission string) (PermissionRequest, error) {
	return s.c.RequestPermission(ctx, s.room, s.ID(), permission)
}

// changed records the session an action answered.
func (s *RoomSession) changed(ses Session, err error) (Session, error) {
	if err == nil {
		s.mu.Lock()
		s.ses = ses
		s.noteState()
		s.mu.Unlock()
	}
	return ses, err
}

// Close leaves the room, unless the session already ended, and returns
// once every goroutine of the session has stopped. It returns the error of
// leaving; later calls return the same.
func (s *RoomSession) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		live := !s.ended
		s.end(ErrClosed)
		s.mu.Unlock()
		s.wg.Wait()
		if !live {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.c.timeout)
		defer cancel()
		ses, err := s.c.Leave(ctx, s.room, s.ID())
		var e *Error
		switch {
		case err == nil:
			s.mu.Lock()
			s.ses = ses
			s.mu.Unlock()
		case errors.As(err, &e) && e.Code == "session_ended":
		default:
			s.closeErr = err
		}
	})
	return s.closeErr
}

// end ends the session for err, once; s.mu is held.
func (s *RoomSession) end(err error) {
	if s.ended {
		return
	}
	s.ended, s.err = true, err
	s.cancel()
	close(s.done)
}

// noteState acts on the session's state: admitted, or ended by the
// server; s.mu is held.
func (s *RoomSession) noteState() {
	switch s.ses.State {
	case StateJoined:
		if !s.wasAdmitted {
			s.wasAdmitted = true
			close(s.admitted)
		}
	case StateEnded:
		s.end(&EndedError{Session: s.ses})
	}
}

// heartbeats renews the lease a third of it before it runs out, and the
// session's token a lease before that expires, until the session ends.
func (s *RoomSession) heartbeats() {
	defer s.wg.Done()
	for wait(s.ctx, s.c.clock, s.lease/3) {
		var ses Session
		err := retry(s.ctx, s.c.clock, s.c.backoff, func(ctx context.Context) error {
			if s.tokenDue() {
				if _, err := s.c.SessionToken(ctx, s.room, s.ID()); err != nil {
					return err
				}
			}
			var err error
			ses, err = s.c.Heartbeat(ctx, s.room, s.ID())
			return err
		})
		s.mu.Lock()
		switch {
		case s.ctx.Err() != nil:
		case err != nil:
			s.end(err)
		default:
			s.ses = ses
			s.noteState()
		}
		s.mu.Unlock()
	}
}

// tokenDue reports a joined session whose token the server watches and
// that expires within a lease.
func (s *RoomSession) tokenDue() bool {
	ses := s.Session()
	exp := ses.TokenExpiresAt
	return ses.State == StateJoined && exp != nil && !s.c.clock.Now().Before(exp.Add(-s.lease))
}

// follow follows the room's events until the session ends.
func (s *RoomSession) follow(after int64) {
	defer s.wg.Done()
	err := s.c.FollowEvents(s.ctx, s.room, after, s.handle)
	s.mu.Lock()
	defer s.mu.Unlock()
	var end *StreamEndedError
	switch {
	case s.ctx.Err() != nil:
	case errors.As(err, &end) && (end.Reason == "session_ended" || end.Reason == "room_ended"):
		ses := s.ses
		ses.State = StateEnded
		if ses.EndReason == "" {
			ses.EndReason = end.Reason
		}
		s.end(&EndedError{Session: ses})
	default:
		s.end(err)
	}
}

// handle notes what an event says of the session, then passes it on, so
// that Session already shows the change the event reports.
func (s *RoomSession) handle(e Event) error {
	if e.SessionID == s.ID() {
		d, err := e.Decode()
		if err != nil {
			return err
		}
		if d.Session != nil {
			s.mu.Lock()
			s.ses = later(s.ses, *d.Session)
			s.noteState()
			s.mu.Unlock()
		}
	}
	if s.onEvent != nil {
		s.onEvent(e)
	}
	return nil
}

// later is the session an event shows, with the lease and the token
// expiry of cur where those are later: heartbeats renew them without an
// event, so an event may arrive with older ones.
func later(cur, shown Session) Session {
	if cur.LeaseUntil.After(shown.LeaseUntil) {
		shown.LeaseUntil = cur.LeaseUntil
	}
	if c, s := cur.TokenExpiresAt, shown.TokenExpiresAt; c != nil && s != nil && c.After(*s) {
		shown.TokenExpiresAt = c
	}
	return shown
}
