package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Clock is the time a TokenSource and a RoomSession go by: when a token is
// due for refresh, how long to wait between tries and between heartbeats.
// Tests pass a clock they move themselves.
type Clock interface {
	Now() time.Time
	// After sends the time on the channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// SystemClock is the real time.
var SystemClock Clock = systemClock{}

// Backoff is how an operation is tried again after a temporary failure (a
// network error, a 5xx, a 429): the n-th wait is drawn at random between
// half and all of Initial·2ⁿ⁻¹, capped at Max, and never shorter than the
// Retry-After the server asked for. Zero fields take the defaults of
// DefaultBackoff.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	// Attempts bounds the tries of one operation, the first included.
	// Following a room's events tries for as long as the session lives.
	Attempts int
}

// DefaultBackoff is 250ms doubling up to 10s, 6 tries.
var DefaultBackoff = Backoff{Initial: 250 * time.Millisecond, Max: 10 * time.Second, Attempts: 6}

func (b Backoff) orDefault() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultBackoff.Initial
	}
	if b.Max <= 0 {
		b.Max = max(DefaultBackoff.Max, b.Initial)
	}
	if b.Attempts <= 0 {
		b.Attempts = DefaultBackoff.Attempts
	}
	return b
}

// delay is the wait after the n-th failed try (n ≥ 1), which failed with
// err.
func (b Backoff) delay(n int, err error) time.Duration {
	d := b.Max
	if n < 32 {
		d = min(b.Max, b.Initial<<(n-1))
	}
	d = d/2 + rand.N(d/2+1)
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > d {
		d = e.RetryAfter
	}
	return d
}

// retry runs op until it succeeds, fails for good (temporary says no),
// has been tried b.Attempts times, or ctx ends, waiting on clock between
// tries. It returns op's last error, joined with ctx's if ctx ended.
func retry(ctx context.Context, clock Clock, b Backoff, op func(context.Context) error) error {
	for n := 1; ; n++ {
		err := op(ctx)
		if err == nil || !temporary(err) || n >= b.Attempts {
			return err
		}
		if !wait(ctx, clock, b.delay(n, err)) {
			return errors.Join(ctx.Err(), err)
		}
	}
}

// wait waits d on clock; false if ctx ended first.
func wait(ctx context.Context, clock Clock, d time.Duration) bool {
	select {
	case <-clock.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}
