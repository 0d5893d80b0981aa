// Package livekit makes stagedoor the access authority of a LiveKit
// deployment. It mints LiveKit access tokens from stagedoor's grants
// (token.go, with the mapping of permissions onto LiveKit's grants in
// grants.go), keeps each app's LiveKit project (project.go), receives
// LiveKit's webhooks (webhook.go), and enforces in LiveKit, through its
// server API, what stagedoor decides: each LiveKit room has a loop
// (room.go) that mirrors its participants as stagedoor sessions and
// removes, mutes or narrows them as revocations, blocks, producer caps and
// moderation require, and that compares LiveKit's participants with
// stagedoor's sessions on start and every reconcile interval.
//
// LiveKit checks a token only when a participant joins; the rest of the
// gap is closed here, within the time a webhook or a room event takes to
// arrive and one server API call.
package livekit

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	lk "github.com/livekit/protocol/livekit"

	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// Config holds an Integration's dependencies.
type Config struct {
	Auth  *authority.Authority
	Store storage.Storage
	Box   *secret.Box
	// Logger logs what is enforced and what fails; nil discards.
	Logger *slog.Logger
	// Reconcile is how often each room's participants are read from
	// LiveKit and compared with its sessions; default 5s.
	Reconcile time.Duration
	// PollInterval is how often the projects are read again, for changes
	// the store's feed may not report; default 1s.
	PollInterval time.Duration
	// HTTPClient calls LiveKit's server API; nil means a client with a
	// 10s timeout.
	HTTPClient *http.Client
}

// Integration is stagedoor's side of a LiveKit deployment. Its methods are
// safe for concurrent use.
type Integration struct {
	auth      *authority.Authority
	store     storage.Storage
	box       *secret.Box
	log       *slog.Logger
	reconcile time.Duration
	poll      time.Duration
	client    *http.Client
	projects  projects
	// seen holds the webhooks already taken, by app and event id: LiveKit
	// sends one again when it saw no answer.
	seen *expirable.LRU[string, struct{}]

	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu    sync.Mutex
	rooms map[roomKey]*room
}

// roomKey names a room of an app.
type roomKey struct{ app, room string }

// New returns an Integration. Call Start before use.
func New(cfg Config) *Integration {
	i := &Integration{
		auth: cfg.Auth, store: cfg.Store, box: cfg.Box, log: cfg.Logger, reconcile: cfg.Reconcile,
		poll: cfg.PollInterval, client: cfg.HTTPClient, rooms: make(map[roomKey]*room),
		seen: expirable.NewLRU[string, struct{}](maxSeen, nil, seenFor),
	}
	if i.log == nil {
		i.log = slog.New(slog.DiscardHandler)
	}
	if i.reconcile == 0 {
		i.reconcile = 5 * time.Second
	}
	if i.poll == 0 {
		i.poll = time.Second
	}
	if i.client == nil {
		i.client = &http.Client{Timeout: 10 * time.Second}
	}
	return i
}

// Start loads the apps' LiveKit projects, starts the loop of every room
// LiveKit has (each reconciles at once), and follows changes to the
// projects until Close.
func (i *Integration) Start(ctx context.Context) error {
	if err := i.load(ctx); err != nil {
		return err
	}
	changes, err := i.store.Changes(ctx)
	if err != nil {
		return fmt.Errorf("change feed: %w", err)
	}
	i.ctx, i.stop = context.WithCancel(ctx)
	i.wg.Go(func() { i.follow(changes) })
	for _, p := range i.projects.all() {
		i.wg.Go(func() { i.adoptRooms(p) })
	}
	return nil
}

// Close stops every room loop. Call it once, after a successful Start.
func (i *Integration) Close() {
	i.stop()
	i.wg.Wait()
}

// follow reloads the projects when the feed reports a change to one, and
// every poll interval.
func (i *Integration) follow(changes <-chan storage.Change) {
	tick := time.NewTicker(i.poll)
	defer tick.Stop()
	for {
		select {
		case <-i.ctx.Done():
			return
		case ch, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			if ch.Kind != storage.ChangeLiveKit && ch.Kind != storage.ChangeResync {
				continue
			}
		case <-tick.C:
		}
		if err := i.load(i.ctx); err != nil && i.ctx.Err() == nil {
			i.log.Warn("reading the LiveKit projects failed; using those read before", "err", err)
		}
	}
}

// adoptRooms starts the loop of every room LiveKit has for p's app.
func (i *Integration) adoptRooms(p *project) {
	ctx, err := p.admin(i.ctx, "")
	if err != nil {
		i.log.Error("LiveKit credentials", "app", p.app, "err", err)
		return
	}
	list, err := p.rooms.ListRooms(ctx, &lk.ListRoomsRequest{})
	if err != nil {
		i.log.Warn("listing LiveKit's rooms failed; they are adopted as their webhooks come", "app", p.app, "err", err)
		return
	}
	for _, r := range list.Rooms {
		i.adopt(roomKey{p.app, r.Name})
	}
}

// deliver hands m to the loop of room k, starting it if it is not
// running; false when its queue is full or the integration is closed.
func (i *Integration) deliver(k roomKey, m message) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	r, ok := i.rooms[k]
	if !ok {
		if r = i.startRoom(k); r == nil {
			return false
		}
	}
	return r.deliver(m)
}

// adopt starts the loop of room k if it is not running.
func (i *Integration) adopt(k roomKey) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, ok := i.rooms[k]; !ok {
		i.startRoom(k)
	}
}

// startRoom starts the loop of room k, holding i.mu; nil once the
// integration is closed.
func (i *Integration) startRoom(k roomKey) *room {
	if i.ctx == nil || i.ctx.Err() != nil {
		return nil
	}
	r := newRoom(i, k)
	i.rooms[k] = r
	i.wg.Go(func() { r.run(i.ctx) })
	return r
}

// projects are the apps' LiveKit projects, opened.
type projects struct {
	mu    sync.RWMutex
	apps  map[string]*project
	byKey map[string]*project
}

func (ps *projects) byApp(app string) (*project, bool) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	p, ok := ps.apps[app]
	return p, ok
}

func (ps *projects) forKey(key string) (*project, bool) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	p, ok := ps.byKey[key]
	return p, ok
}

func (ps *projects) all() []*project {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	out := make([]*project, 0, len(ps.apps))
	for _, p := range ps.apps {
		out = append(out, p)
	}
	return out
}

// load reads the projects, keeping those that did not change.
func (i *Integration) load(ctx context.Context) error {
	stored, err := i.store.ListLiveKitProjects(ctx)
	if err != nil {
		return err
	}
	apps := make(map[string]*project, len(stored))
	byKey := make(map[string]*project, len(stored))
	for _, s := range stored {
		p, ok := i.projects.byApp(s.AppID)
		if !ok || !p.updatedAt.Equal(s.UpdatedAt) || p.key != s.APIKey {
			if p, err = openProject(s, i.box, i.client); err != nil {
				return err
			}
		}
		apps[p.app], byKey[p.key] = p, p
	}
	i.projects.mu.Lock()
	i.projects.apps, i.projects.byKey = apps, byKey
	i.projects.mu.Unlock()
	return nil
}
