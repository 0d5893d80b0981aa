package authority

import (
	"context"
	"errors"
	"sync"
	"time"
)

// readyFor is how long a readiness answer is reused: each costs a committed
// write, and /readyz may be asked often, by several probes at once.
const readyFor = time.Second

// readiness is the last answer of the store's write probe.
type readiness struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// Ready reports whether the store takes writes now, with ErrUnavailable if
// it does not: a store that answers reads but is read-only or full must not
// receive requests that write. The store is probed at most once per
// readyFor; callers in between get the last answer, and callers during a
// probe wait for it.
func (a *Authority) Ready(ctx context.Context) error {
	r := &a.ready
	r.mu.Lock()
	defer r.mu.Unlock()
	now := a.now()
	if !r.at.IsZero() && !now.Before(r.at) && now.Sub(r.at) < readyFor {
		return r.err
	}
	err := a.store.Ping(ctx)
	if err != nil {
		err = errors.Join(ErrUnavailable, err)
	}
	if ctx.Err() == nil {
		// A probe cut short by its caller says nothing about the store.
		r.at, r.err = now, err
	}
	return err
}
