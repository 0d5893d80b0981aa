package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/stagedoor/stagedoor/token"
)

// RefreshFunc gets a new access token for the user: typically from the
// app's own backend, which mints it with its API key for the user it has
// logged in (see the backend token endpoint example). An *Error it returns
// with a 4xx status other than 408 and 429 stops the TokenSource for good;
// any other error is tried again.
type RefreshFunc func(ctx context.Context) (string, error)

// TokenSource gives a user's current access token and gets a new one ahead
// of expiry, through /v1/tokens/refresh (Client.TokenSource) or a
// RefreshFunc (NewTokenSource). However many goroutines ask at once, one
// refresh is in flight; the others wait for it. A refresh failing on the
// network, with a 5xx or a 429 is tried again with backoff (and while it
// fails, a token not yet expired is still given out). A refresh refused
// (401, 403, or 400 for a spent or revoked refresh token) stops the source:
// every later call returns that *Error without asking again.
//
// It is an oauth2.TokenSource, so oauth2.NewClient can use it too.
type TokenSource struct {
	refresh RefreshFunc
	clock   Clock
	backoff Backoff
	ahead   time.Duration

	mu      sync.Mutex
	current *oauth2.Token
	// due is when current is to be replaced.
	due    time.Time
	flight *flight
	// failed is the refusal that stopped the source.
	failed error
}

// flight is one refresh and the goroutines waiting for it.
type flight struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

// sourceConfig is what the options of a TokenSource set.
type sourceConfig struct {
	clock   Clock
	backoff Backoff
	ahead   time.Duration
	initial string
}

// SourceOption configures a TokenSource.
type SourceOption func(*sourceConfig) error

// InitialToken is the token to give out until it is due for refresh.
func InitialToken(accessToken string) SourceOption {
	return func(c *sourceConfig) error {
		c.initial = accessToken
		return nil
	}
}

// RefreshAhead is how long before a token expires it is replaced
// (default one minute), at most a quarter of the token's life.
func RefreshAhead(d time.Duration) SourceOption {
	return func(c *sourceConfig) error {
		if d < 0 {
			return errors.New("client: RefreshAhead must not be negative")
		}
		c.ahead = d
		return nil
	}
}

// SourceClock sets the source's clock (default SystemClock).
func SourceClock(clock Clock) SourceOption {
	return func(c *sourceConfig) error {
		if clock == nil {
			return errors.New("client: nil clock")
		}
		c.clock = clock
		return nil
	}
}

// SourceBackoff sets how a failed refresh is tried again (default
// DefaultBackoff).
func SourceBackoff(b Backoff) SourceOption {
	return func(c *sourceConfig) error {
		c.backoff = b.orDefault()
		return nil
	}
}

// NewTokenSource returns a TokenSource that gets tokens from refresh.
func NewTokenSource(refresh RefreshFunc, opts ...SourceOption) (*TokenSource, error) {
	if refresh == nil {
		return nil, errors.New("client: nil RefreshFunc")
	}
	cfg := sourceConfig{clock: SystemClock, backoff: DefaultBackoff, ahead: time.Minute}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	s := &TokenSource{refresh: refresh, clock: cfg.clock, backoff: cfg.backoff, ahead: cfg.ahead}
	if cfg.initial != "" {
		t, due, err := s.read(cfg.initial)
		if err != nil {
			return nil, err
		}
		s.current, s.due = t, due
	}
	return s, nil
}

// TokenSource returns a TokenSource that starts with t and gets each next
// token with the refresh token of the one before (TokenRequest.Refresh
// asks for one), through the client's /v1/tokens/refresh, with its clock
// and backoff unless opts say otherwise. A refresh whose answer is lost
// leaves its refresh token spent: trying it again is refused, and ends
// the token family (refresh_reused).
func (c *Client) TokenSource(t Token, opts ...SourceOption) (*TokenSource, error) {
	if t.RefreshToken == "" {
		return nil, errors.New("client: the token has no refresh token (ask with TokenRequest.Refresh)")
	}
	var mu sync.Mutex
	next := t.RefreshToken
	refresh := func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		nt, err := c.RefreshToken(ctx, next)
		if err != nil {
			return "", err
		}
		next = nt.RefreshToken
		return nt.AccessToken, nil
	}
	base := []SourceOption{SourceClock(c.clock), SourceBackoff(c.backoff), InitialToken(t.AccessToken)}
	return NewTokenSource(refresh, append(base, opts...)...)
}

// Token returns the current token, refreshed if due. It is
// TokenContext(context.Background()).
func (s *TokenSource) Token() (*oauth2.Token, error) {
	return s.TokenContext(context.Background())
}

// TokenContext returns the current token, refreshed if due; ctx bounds the
// wait, and the refresh if this call starts it.
func (s *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	for {
		s.mu.Lock()
		if s.failed != nil {
			err := s.failed
			s.mu.Unlock()
			return nil, err
		}
		if s.current != nil && s.clock.Now().Before(s.due) {
			t := *s.current
			s.mu.Unlock()
			return &t, nil
		}
		f, lead := s.flight, s.flight == nil
		if lead {
			f = &flight{done: make(chan struct{})}
			s.flight = f
		}
		s.mu.Unlock()
		if lead {
			s.fly(ctx, f)
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err == nil {
			t := *f.tok
			return &t, nil
		}
		// The refresh ended with the context of the call that started
		// it, not with ours: start another.
		if !lead && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
			continue
		}
		return nil, f.err
	}
}

// fly runs the refresh of flight f.
func (s *TokenSource) fly(ctx context.Context, f *flight) {
	var raw string
	err := retry(ctx, s.clock, s.backoff, func(ctx context.Context) error {
		var err error
		raw, err = s.refresh(ctx)
		return err
	})
	var (
		tok *oauth2.Token
		due time.Time
	)
	if err == nil {
		tok, due, err = s.read(raw)
	}
	s.mu.Lock()
	defer close(f.done)
	defer s.mu.Unlock()
	s.flight = nil
	var e *Error
	switch {
	case err == nil:
		s.current, s.due = tok, due
	case errors.As(err, &e) && !e.Temporary():
		s.failed = err
	case s.current != nil && s.clock.Now().Before(s.current.Expiry):
		tok, err = s.current, nil
	}
	f.tok, f.err = tok, err
}

// read reads an access token's expiry, without verifying it, and says when
// it is due for refresh.
func (s *TokenSource) read(raw string) (*oauth2.Token, time.Time, error) {
	_, c, err := token.Inspect(raw)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("client: not an access token: %w", err)
	}
	lead := s.ahead
	if life := c.ExpiresAt.Sub(c.IssuedAt); life > 0 {
		lead = min(lead, life/4)
	}
	return &oauth2.Token{AccessToken: raw, TokenType: "Bearer", Expiry: c.ExpiresAt}, c.ExpiresAt.Add(-lead), nil
}
