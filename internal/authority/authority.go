// Package authority is stagedoor's heart: its use cases over the access
// rules and storage. It speaks no HTTP; internal/server is its thin shell.
//
// The use cases are, one file or two each: issuing tokens to a partner's
// users and guests (issue.go), refresh-token rotation (refresh.go),
// verification and introspection (verify.go, over revocation.Checker and
// its cache of verified tokens), revocation and its feed (revoke.go, with
// lifetimes.go for how long a revocation is kept), apps, API keys and
// custom roles (catalog.go, held in memory by catalogview.go), signing-key
// rotation (signingkeys.go), and
// rooms: creating and ending them (rooms.go), sessions with leases, the waiting room, producer slots
// and session tokens (sessions*.go), moderation without escalation and
// blocks (sessions_moderate.go, rooms_blocks.go), room event streams
// (events.go), the sweep that ends expired and revoked sessions
// (sessions_sweep.go), and media servers that take stagedoor's word:
// tokens in their own format and the participants they let in mirrored
// as sessions (media.go); and the console: sign-ins with their console
// tokens (console.go), and the admin use cases open to operators and to
// apps' owners for their app (admin.go, inspect.go).
//
// An Authority keeps in memory what every request reads (apps, keys, role
// catalogs, signing keys, revocations) and follows the store's change feed,
// polling as well, so several nodes on one database, and the command line
// on the same data, agree within a poll interval. It reads only what
// changed: the catalog entries numbered after the last it read
// (catalogview.go), the revocations after its cursor. Every answer that
// issues a credential waits until its audit entry is committed
// (auditlog.go); the audit log is read a page at a time and kept within its
// retention (audit.go). Ready reports whether the store takes writes.
//
// It speaks its own types: requests carry no wire tags (internal/server
// owns the API's JSON), answers are no storage rows (views.go), and who
// acts is one Principal (principal.go): an operator, an API key, or a
// token's holder.
package authority

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/revocation"
	"github.com/stagedoor/stagedoor/token"
)

// Config holds an Authority's dependencies.
type Config struct {
	Store  storage.Storage
	Box    *secret.Box
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Leeway is the clock skew tolerated on exp, nbf and iat; default 30s.
	Leeway time.Duration
	// CacheSize bounds the cache of verified tokens; default 100000.
	CacheSize int
	// PollInterval is how often the store is read for changes made by other
	// processes that the change feed may not report; default 1s.
	PollInterval time.Duration
	// AuditRetention bounds the audit log, applied every PollInterval;
	// the zero value keeps every entry.
	AuditRetention AuditRetention
	// EventRing is how many of a followed room's latest events the node
	// keeps in memory for its event streams; default 1024.
	EventRing int
}

// Authority runs stagedoor's use cases. Its methods are safe for concurrent use.
type Authority struct {
	store  storage.Storage
	box    *secret.Box
	log    *slog.Logger
	now    func() time.Time
	leeway time.Duration
	poll   time.Duration

	keys   keyRing
	revs   *revocation.Set
	tokens *revocation.Checker
	audit  *auditLog
	ready  readiness
	rooms  *roomsState
	stop   context.CancelFunc
	// lastPrune is only touched by the follow goroutine.
	lastPrune time.Time

	// retention bounds the audit log; retained is closed when the loop
	// applying it has stopped.
	retention AuditRetention
	retained  chan struct{}

	// loading serialises catalog loads and in-memory key revocations, so
	// that no load installs a view older than a change already applied;
	// it guards catalogSeq, the last catalog change read.
	loading    sync.Mutex
	catalogSeq int64
	// catalogPage is how many catalog changes are read at once.
	catalogPage int

	mu sync.RWMutex
	// catalogMoved, made when someone waits on CatalogChanged, is closed
	// when apps, apiKeys or catalogs change.
	catalogMoved chan struct{}
	apps         map[string]storage.App
	apiKeys      map[string]*apiKeyEntry
	// catalogs holds each app's built-in and custom roles; apps without
	// custom roles share builtins.
	catalogs map[string]*access.Catalog
	builtins *access.Catalog
}

// New returns an Authority over cfg.Store. Call Start before use.
func New(cfg Config) *Authority {
	a := &Authority{
		store:  cfg.Store,
		box:    cfg.Box,
		log:    cfg.Logger,
		now:    cfg.Now,
		leeway: cfg.Leeway,
		poll:   cfg.PollInterval,
		revs:   revocation.NewSet(),

		catalogPage: catalogPage,
		retention:   cfg.AuditRetention,
		retained:    make(chan struct{}),
	}
	// The built-in roles alone always make a catalog.
	a.builtins, _ = access.NewCatalog()
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.leeway == 0 {
		a.leeway = 30 * time.Second
	}
	if a.poll == 0 {
		a.poll = time.Second
	}
	size := cfg.CacheSize
	if size == 0 {
		size = 100_000
	}
	a.tokens = revocation.NewChecker(revocation.CheckerConfig{
		Tokens:      token.NewVerifier(resolver{a}, token.WithLeeway(a.leeway), token.WithClock(a.now)),
		Revocations: a.revs,
		Vouch:       a.checkIssuer,
		CacheSize:   size,
		Now:         a.now,
	})
	a.audit = newAuditLog(a.store)
	a.rooms = newRoomsState(a, cfg.EventRing)
	return a
}

// Start loads what the authority keeps in memory, creating the first signing
// keys if the store has none, and follows the store's changes until ctx ends.
func (a *Authority) Start(ctx context.Context) error {
	if err := a.ensureSigningKeys(ctx); err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	if err := a.reload(ctx); err != nil {
		return err
	}
	ctx, a.stop = context.WithCancel(ctx)
	changes, err := a.store.Changes(ctx)
	if err != nil {
		a.stop()
		return fmt.Errorf("change feed: %w", err)
	}
	go a.follow(ctx, changes)
	go a.audit.run(ctx)
	go a.sweepSessions(ctx)
	go a.retainAudit(ctx)
	return nil
}

// Close stops following the store, stops ending expired sessions and
// applying the audit retention, and commits the audit entries still
// queued. Call it once, after a successful Start.
func (a *Authority) Close() {
	a.stop()
	<-a.rooms.done
	<-a.retained
	a.audit.close()
}

// syncRevocations reads the revocations made since the last one seen.
func (a *Authority) syncRevocations(ctx context.Context) error {
	for {
		cursor := a.revs.Cursor()
		rs, err := a.store.ListRevocations(ctx, storage.RevocationQuery{AfterSeq: cursor, Limit: 1000})
		if err != nil {
			return fmt.Errorf("load revocations: %w", err)
		}
		a.revs.Add(revocationsOf(rs)...)
		a.markRevokedKeys(rs)
		for _, r := range rs {
			a.rooms.revoked(r.AppID)
		}
		if len(rs) < 1000 {
			return nil
		}
	}
}

// applyOwn makes a revocation this node just stored take effect at once,
// and returns it as verifiers see it. It is added without its sequence
// number, since the cursor must advance only as the store is read in
// order: revocations committed by other nodes with lower numbers, not read
// yet, would otherwise be skipped. The next read brings it again, numbered.
func (a *Authority) applyOwn(r storage.Revocation) revocation.Revocation {
	out := r.Feed()
	early := out
	early.Seq = 0
	a.revs.Add(early)
	a.rooms.revoked(r.AppID)
	return out
}

// follow keeps the in-memory views current: at once on a change reported by
// the feed, other processes' commits included where the store can tell of
// them, and every poll interval for changes the feed may not report.
// A failed refresh leaves the views as they were, so tokens keep verifying
// while the store is away; it is logged when the store goes away and when
// it comes back, not on every attempt in between.
func (a *Authority) follow(ctx context.Context, changes <-chan storage.Change) {
	tick := time.NewTicker(a.poll)
	defer tick.Stop()
	failing := false
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			switch ch.Kind {
			case storage.ChangeRevocation:
				err = a.syncRevocations(ctx)
			case storage.ChangeRoom:
				a.roomChanged(ch)
			case storage.ChangeResync:
				a.roomsResync()
				err = a.reload(ctx)
			case storage.ChangeExternal:
				err = a.refresh(ctx)
			default:
				err = a.followCatalog(ctx)
			}
		case <-tick.C:
			err = a.refresh(ctx)
			if err == nil {
				err = a.prune(ctx)
			}
		}
		switch {
		case ctx.Err() != nil:
		case err != nil && !failing:
			failing = true
			a.log.Warn("refreshing from the store failed; serving what was loaded before", "err", err)
		case err == nil && failing:
			failing = false
			a.log.Info("refreshing from the store works again")
		}
	}
}

// prune drops expired rows, at most once a minute.
func (a *Authority) prune(ctx context.Context) error {
	now := a.now()
	if now.Sub(a.lastPrune) < time.Minute {
		return nil
	}
	a.lastPrune = now
	if _, err := a.store.PruneRevocations(ctx, now); err != nil {
		return err
	}
	a.revs.Prune(now)
	if _, err := a.store.PruneRefreshTokens(ctx, now); err != nil {
		return err
	}
	if _, err := a.store.PruneConsole(ctx, now); err != nil {
		return err
	}
	return a.pruneSigningKeys(ctx)
}
