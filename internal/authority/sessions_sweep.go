package authority

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// roomsState is what the authority keeps in memory for rooms.
type roomsState struct {
	blocks *blockList
	hub    *roomHub
	// done is closed when the sweep loop has stopped.
	done chan struct{}
	// sweepMu serialises sweep passes, the loop's and SweepSessions'; it
	// guards sweep.
	sweepMu sync.Mutex
	sweep   sweeper
	// revokedMu guards revokedApps: the apps with revocations added since
	// a sweep pass last ended their revoked sessions, "" standing for
	// every app.
	revokedMu   sync.Mutex
	revokedApps set
}

func newRoomsState() *roomsState {
	// The first pass checks every app: revocations may have been made
	// while this node was not running.
	return &roomsState{blocks: newBlockList(maxBlockRooms), hub: newRoomHub(), done: make(chan struct{}), revokedApps: set{"": {}}}
}

// revoked tells the sweep that revocations of the apps were added to the
// set: the next pass ends the sessions they match. Call it after adding
// them, so that a pass that takes the apps checks them.
func (r *roomsState) revoked(apps ...string) {
	r.revokedMu.Lock()
	defer r.revokedMu.Unlock()
	for _, app := range apps {
		r.revokedApps.add(app)
	}
}

// takeRevoked returns the apps a pass must check and forgets them.
func (r *roomsState) takeRevoked() set {
	r.revokedMu.Lock()
	defer r.revokedMu.Unlock()
	apps := r.revokedApps
	r.revokedApps = set{}
	return apps
}

// eventRetention is how long room events are kept for streams to resume.
const eventRetention = 24 * time.Hour

// roomChanged takes in a room change the feed reported: the room's block
// list may have changed, and its event streams have something to read.
func (a *Authority) roomChanged(ch storage.Change) {
	k := roomKey{ch.AppID, ch.Room}
	a.rooms.blocks.changed(k)
	a.rooms.hub.notify(k)
}

// roomsResync forgets what may be stale after missed changes and wakes
// every stream.
func (a *Authority) roomsResync() {
	a.rooms.blocks.reset()
	a.rooms.hub.notifyAll()
}

// sweepSessions ends, every poll interval until ctx ends, the sessions
// whose lease or watched token expired, and the sessions of the apps with
// revocations since the last pass (by this node or, through the feed, by
// another) whose token was revoked; once a minute it prunes old room
// events. A failed pass is
// logged when the store goes away and when it comes back.
func (a *Authority) sweepSessions(ctx context.Context) {
	defer close(a.rooms.done)
	tick := time.NewTicker(a.poll)
	defer tick.Stop()
	f := failures{log: a.log, failed: "ending expired and revoked sessions failed; trying again", recovered: "ending expired and revoked sessions works again"}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		f.note(ctx, a.SweepSessions(ctx))
	}
}

// sweeper is what the sweep loop remembers between passes.
type sweeper struct {
	lastPrune time.Time
}

// SweepSessions runs one pass of the sweep loop now: it ends the sessions
// whose lease or watched token expired by the authority's clock and those
// of apps with new revocations whose token was revoked, and prunes old
// room events once a minute. Tests that move the clock call it to know a
// pass ran.
func (a *Authority) SweepSessions(ctx context.Context) error {
	a.rooms.sweepMu.Lock()
	defer a.rooms.sweepMu.Unlock()
	sw := &a.rooms.sweep
	now := a.now()
	if _, err := a.store.EndExpiredSessions(ctx, now); err != nil {
		return err
	}
	apps := a.rooms.takeRevoked()
	for app := range apps {
		if err := a.endRevokedSessions(ctx, app); err != nil {
			// Checked again on the next pass.
			a.rooms.revoked(slices.Collect(maps.Keys(apps))...)
			return err
		}
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
	sessions, err := a.store.ListSessions(ctx, app, "")
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
	return nil
}
