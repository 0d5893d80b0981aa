package revocation

import (
	"slices"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/token"
)

// Set holds live revocations in memory so that checking a token costs a
// few map lookups. It is safe for concurrent use.
type Set struct {
	mu     sync.RWMutex
	cursor int64
	gen    uint64
	// moved is closed, and replaced, when gen moves.
	moved    chan struct{}
	tokenIDs map[appValue]bool // app and jti: an app revokes only its own tokens
	families map[appValue]bool
	apiKeys  map[string]bool
	users    map[appValue]time.Time
	rooms    map[appValue]time.Time
	before   map[string]time.Time // app → tokens issued before this are revoked
	// expires is when each entry above may be forgotten: no token it
	// matches is alive after it.
	expires map[entry]time.Time
}

type appValue struct{ app, value string }

type entry struct {
	kind       Kind
	app, value string
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{
		tokenIDs: map[appValue]bool{},
		families: map[appValue]bool{},
		apiKeys:  map[string]bool{},
		users:    map[appValue]time.Time{},
		rooms:    map[appValue]time.Time{},
		before:   map[string]time.Time{},
		expires:  map[entry]time.Time{},
		moved:    make(chan struct{}),
	}
}

// flag sets m[k] and reports whether it was not set before.
func flag[K comparable](m map[K]bool, k K) bool {
	if m[k] {
		return false
	}
	m[k] = true
	return true
}

// later raises m[k] to t and reports whether it rose.
func later[K comparable](m map[K]time.Time, k K, t time.Time) bool {
	if !t.After(m[k]) {
		return false
	}
	m[k] = t
	return true
}

// Add records revocations, in Seq order. Entries at or below the cursor
// already seen are skipped, so replaying a feed page is harmless. An entry
// without a Seq (zero) takes effect without moving the cursor. The
// generation moves only if some token is revoked now that was not before:
// replaying entries, or adding one already in effect, leaves the event
// streams in use as they are.
func (s *Set) Add(rs ...Revocation) {
	if len(rs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for _, r := range rs {
		if r.Seq != 0 && r.Seq <= s.cursor {
			continue
		}
		k := appValue{r.App, r.Value}
		switch r.Kind {
		case TokenID:
			changed = flag(s.tokenIDs, k) || changed
		case RefreshFamily:
			changed = flag(s.families, k) || changed
		case APIKey:
			changed = flag(s.apiKeys, r.Value) || changed
		case UserID:
			changed = later(s.users, k, r.cutoff()) || changed
		case Room:
			changed = later(s.rooms, k, r.cutoff()) || changed
		case IssuedBefore:
			changed = later(s.before, r.App, r.cutoff()) || changed
		}
		if !r.ExpiresAt.IsZero() {
			later(s.expires, entry{r.Kind, r.App, r.Value}, r.ExpiresAt)
		}
		s.cursor = max(s.cursor, r.Seq)
	}
	if changed {
		s.gen++
		close(s.moved)
		s.moved = make(chan struct{})
	}
}

// Prune forgets the revocations that expired by now: every token they
// matched has expired too, so memory stays bounded by live revocations.
func (s *Set) Prune(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, exp := range s.expires {
		if exp.After(now) {
			continue
		}
		delete(s.expires, k)
		n++
		switch k.kind {
		case TokenID:
			delete(s.tokenIDs, appValue{k.app, k.value})
		case RefreshFamily:
			delete(s.families, appValue{k.app, k.value})
		case APIKey:
			delete(s.apiKeys, k.value)
		case UserID:
			delete(s.users, appValue{k.app, k.value})
		case Room:
			delete(s.rooms, appValue{k.app, k.value})
		case IssuedBefore:
			delete(s.before, k.app)
		}
	}
	return n
}

// Cursor is the highest Seq added: where to resume the feed.
func (s *Set) Cursor() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cursor
}

// Generation changes whenever an added revocation matches tokens no
// earlier one did, so that uses that go on (event streams) know when to
// check their tokens again.
func (s *Set) Generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}

// Changed returns the generation now and a channel closed when it next
// moves, so that a user can wait for a revocation instead of checking
// again and again.
func (s *Set) Changed() (uint64, <-chan struct{}) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen, s.moved
}

// Revoked reports whether c matches a revocation. room is the room the
// token is being used in, if any: a room revocation ends every older
// token's use in that room, and every older token bound to it.
func (s *Set) Revoked(c *token.Claims, room string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.tokenIDs[appValue{c.App, c.ID}] || s.apiKeys[c.Issuer] {
		return true
	}
	if f := FamilyOf(c.ID); f != "" && s.families[appValue{c.App, f}] {
		return true
	}
	iat := c.IssuedAt
	if t, ok := s.before[c.App]; ok && iat.Before(t) {
		return true
	}
	if t, ok := s.users[appValue{c.App, c.Subject}]; ok && iat.Before(t) {
		return true
	}
	if len(s.rooms) == 0 {
		return false
	}
	if room != "" {
		if t, ok := s.rooms[appValue{c.App, room}]; ok && iat.Before(t) {
			return true
		}
	}
	return slices.ContainsFunc(c.Grants.Rooms, func(r string) bool {
		t, ok := s.rooms[appValue{c.App, r}]
		return ok && iat.Before(t)
	})
}
