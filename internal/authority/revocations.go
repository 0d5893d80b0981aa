package authority

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// revocationIndex is the in-memory view of every live revocation, kept
// current from the store's feed so that checking a token costs a few map
// lookups. gen changes whenever a revocation is added, so caches of verified
// tokens know when to check again.
type revocationIndex struct {
	mu       sync.RWMutex
	cursor   int64
	gen      uint64
	tokenIDs map[string]bool
	families map[string]bool
	apiKeys  map[string]bool
	users    map[appValue]time.Time
	rooms    map[appValue]time.Time
	before   map[string]time.Time // app → tokens issued before this are revoked
}

type appValue struct{ app, value string }

func newRevocationIndex() *revocationIndex {
	return &revocationIndex{
		tokenIDs: map[string]bool{},
		families: map[string]bool{},
		apiKeys:  map[string]bool{},
		users:    map[appValue]time.Time{},
		rooms:    map[appValue]time.Time{},
		before:   map[string]time.Time{},
	}
}

// cutoff is the instant before which a token's iat must lie to be revoked.
// iat has whole seconds, so a revocation made at 10:00:00.5 covers every
// token stamped 10:00:00: the token could have been minted before it.
func cutoff(r storage.Revocation) time.Time {
	t := r.IssuedBefore
	if t.IsZero() {
		t = r.CreatedAt
	}
	if r.Kind == storage.RevocationIssuedBefore {
		return t
	}
	return t.Truncate(time.Second).Add(time.Second)
}

func later(m map[appValue]time.Time, k appValue, t time.Time) {
	if t.After(m[k]) {
		m[k] = t
	}
}

// add records revocations read from the store, in Seq order.
func (ix *revocationIndex) add(rs ...storage.Revocation) {
	if len(rs) == 0 {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, r := range rs {
		if r.Seq <= ix.cursor && r.Seq != 0 {
			continue
		}
		switch r.Kind {
		case storage.RevocationTokenID:
			ix.tokenIDs[r.Value] = true
		case storage.RevocationRefreshFamily:
			ix.families[r.Value] = true
		case storage.RevocationAPIKey:
			ix.apiKeys[r.Value] = true
		case storage.RevocationUserID:
			later(ix.users, appValue{r.AppID, r.Value}, cutoff(r))
		case storage.RevocationRoom:
			later(ix.rooms, appValue{r.AppID, r.Value}, cutoff(r))
		case storage.RevocationIssuedBefore:
			if c := cutoff(r); c.After(ix.before[r.AppID]) {
				ix.before[r.AppID] = c
			}
		}
		ix.cursor = max(ix.cursor, r.Seq)
	}
	ix.gen++
}

func (ix *revocationIndex) state() (cursor int64, gen uint64) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.cursor, ix.gen
}

// familyOf returns the refresh family a token was minted from: its jti is
// "<family>.<random>" for tokens issued with a refresh token.
func familyOf(jti string) string {
	if i := strings.IndexByte(jti, '.'); i > 0 {
		return jti[:i]
	}
	return ""
}

// revoked reports whether c matches a revocation. room is the room the token
// is being used in, if any: a room revocation ends every older token's use
// in that room, and every older token bound to it.
func (ix *revocationIndex) revoked(c *token.Claims, room string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.tokenIDs[c.ID] || ix.apiKeys[c.Issuer] {
		return true
	}
	if f := familyOf(c.ID); f != "" && ix.families[f] {
		return true
	}
	iat := c.IssuedAt
	if t, ok := ix.before[c.App]; ok && iat.Before(t) {
		return true
	}
	if t, ok := ix.users[appValue{c.App, c.Subject}]; ok && iat.Before(t) {
		return true
	}
	if len(ix.rooms) == 0 {
		return false
	}
	if room != "" {
		if t, ok := ix.rooms[appValue{c.App, room}]; ok && iat.Before(t) {
			return true
		}
	}
	return slices.ContainsFunc(c.Grants.Rooms, func(r string) bool {
		t, ok := ix.rooms[appValue{c.App, r}]
		return ok && iat.Before(t)
	})
}
