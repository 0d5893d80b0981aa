package authority

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// roomsState is what the authority keeps in memory for rooms.
type roomsState struct {
	blocks  *blockList
	streams *roomStreams
	// done is closed when the sweep loop has stopped.
	done chan struct{}
	// sweepMu serialises sweep passes, the loop's and SweepSessions'; it
	// guards sweep.
	sweepMu sync.Mutex
	sweep   sweeper
}

func newRoomsState(a *Authority, ring int) *roomsState {
	return &roomsState{blocks: newBlockList(), streams: newRoomStreams(a, ring), done: make(chan struct{})}
}

// eventRetention is how long room events are kept for streams to resume.
const eventRetention = 24 * time.Hour

// roomChanged takes in a room change the feed reported: the room's block
// list may have changed, and its event streams have something to read.
func (a *Authority) roomChanged(ch storage.Change) {
	k := roomKey{ch.AppID, ch.Room}
	a.rooms.blocks.changed(k)
	a.rooms.streams.changed(k, ch.Cursor)
}

// roomsResync forgets what may be stale after missed changes and has every
// followed room read again.
func (a *Authority) roomsResync() {
	a.rooms.blocks.reset()
	a.rooms.streams.feeds.WakeAll()
}

// sweepSessions ends, every poll interval until ctx ends, the sessions
// whose lease or watched token expired, and the sessions whose token was
// revoked since the last pass (by this node or, through the feed, by
// another); once a minute it prunes old room events. A failed pass is
// logged when the store goes away and when it comes back.
func (a *Authority) sweepSessions(ctx context.Context) {
	defer close(a.rooms.done)
	tick := time.NewTicker(a.poll)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := a.SweepSessions(ctx)
		switch {
		case ctx.Err() != nil:
		case err != nil && !failing:
			failing = true
			a.log.Warn("ending expired and revoked sessions failed; trying again", "err", err)
		case err == nil && failing:
			failing = false
			a.log.Info("ending expired and revoked sessions works again")
		}
	}
}

// sweeper is what the sweep loop remembers between passes.
type sweeper struct {
	// generation is the revocation set's generation last swept, valid once
	// swept is true.
	generation uint64
	swept      bool
	lastPrune  time.Time
}

// SweepSessions runs one pass of the sweep loop now: it ends the sessions
// whose lease or watched token expired by the authority's clock and those
// whose token was revoked since the last pass, and prunes old room events
// once a minute. Tests that move the clock call it to know a pass ran.
func (a *Authority) SweepSessions(ctx context.Context) error {
	a.rooms.sweepMu.Lock()
	defer a.rooms.sweepMu.Unlock()
	sw := &a.rooms.sweep
	now := a.now()
	if _, err := a.store.EndExpiredSessions(ctx, now); err != nil {
		return err
	}
	if gen := a.revs.Generation(); !sw.swept || gen != sw.generation {
		if err := a.endRevokedSessions(ctx, ""); err != nil {
			return err
		}
		sw.generation, sw.swept = gen, true
	}
	if now.Sub(sw.lastPrune) >= time.Minute {
		if _, err := a.store.PruneRoomEvents(ctx, now.Add(-eventRetention)); err != nil {
			return err
		}
		sw.lastPrune = now
	}
	return nil
}

// endRevokedSessions ends the sessions of app (of every app when app is
// empty) whose token matches a revocation, under either session policy: a
// revocation withdraws access on purpose, unlike a token reaching its
// expiry, which only the continuous policy watches.
func (a *Authority) endRevokedSessions(ctx context.Context, app string) error {
	apps := []string{app}
	if app == "" {
		apps = a.appIDs()
	}
	for _, id := range apps {
		sessions, err := a.store.ListSessions(ctx, id, "")
		if err != nil {
			return err
		}
		for _, s := range sessions {
			probe := &token.Claims{ID: s.TokenID, Issuer: s.TokenIssuer, Subject: s.Subject, App: s.AppID, IssuedAt: s.TokenIssuedAt}
			if !a.revs.Revoked(probe, s.Room) {
				continue
			}
			_, err := a.store.EndSession(ctx, s.AppID, s.Room, s.ID, storage.EndRevoked, a.now())
			if err != nil && !errors.Is(err, storage.ErrConflict) {
				return err
			}
		}
	}
	return nil
}

// appIDs lists the apps loaded.
func (a *Authority) appIDs() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	ids := make([]string, 0, len(a.apps))
	for id := range a.apps {
		ids = append(ids, id)
	}
	return ids
}
