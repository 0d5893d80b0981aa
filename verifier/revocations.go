package verifier

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/token"
)

// The kinds of revocation, as the revocation feed spells them.
const (
	RevokeTokenID       = "token_id"
	RevokeUserID        = "user_id"
	RevokeRoom          = "room"
	RevokeIssuedBefore  = "issued_before"
	RevokeAPIKey        = "api_key"
	RevokeRefreshFamily = "refresh_family"
)

// Revocation is one entry of the revocation feed: it makes an app's
// matching tokens invalid before they expire.
type Revocation struct {
	Seq          int64     `json:"seq"`
	App          string    `json:"app"`
	Kind         string    `json:"kind"`
	Value        string    `json:"value,omitempty"`
	IssuedBefore time.Time `json:"issued_before,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// RevocationSet holds live revocations in memory so that checking a token
// costs a few map lookups. It is safe for concurrent use.
type RevocationSet struct {
	mu       sync.RWMutex
	cursor   int64
	gen      uint64
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

type entry struct{ kind, app, value string }

// NewRevocationSet returns an empty set.
func NewRevocationSet() *RevocationSet {
	return &RevocationSet{
		tokenIDs: map[appValue]bool{},
		families: map[appValue]bool{},
		apiKeys:  map[string]bool{},
		users:    map[appValue]time.Time{},
		rooms:    map[appValue]time.Time{},
		before:   map[string]time.Time{},
		expires:  map[entry]time.Time{},
	}
}

// cutoff is the instant before which a token's iat must lie to be revoked.
// iat has whole seconds, so a revocation made at 10:00:00.5 covers every
// token stamped 10:00:00: the token could have been minted before it.
func cutoff(r Revocation) time.Time {
	t := r.IssuedBefore
	if t.IsZero() {
		t = r.CreatedAt
	}
	if r.Kind == RevokeIssuedBefore {
		return t
	}
	return t.Truncate(time.Second).Add(time.Second)
}

func later(m map[appValue]time.Time, k appValue, t time.Time) {
	if t.After(m[k]) {
		m[k] = t
	}
}

// Add records revocations, in Seq order. Entries at or below the cursor
// already seen are skipped, so replaying a feed page is harmless.
func (s *RevocationSet) Add(rs ...Revocation) {
	if len(rs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		if r.Seq != 0 && r.Seq <= s.cursor {
			continue
		}
		switch r.Kind {
		case RevokeTokenID:
			s.tokenIDs[appValue{r.App, r.Value}] = true
		case RevokeRefreshFamily:
			s.families[appValue{r.App, r.Value}] = true
		case RevokeAPIKey:
			s.apiKeys[r.Value] = true
		case RevokeUserID:
			later(s.users, appValue{r.App, r.Value}, cutoff(r))
		case RevokeRoom:
			later(s.rooms, appValue{r.App, r.Value}, cutoff(r))
		case RevokeIssuedBefore:
			if c := cutoff(r); c.After(s.before[r.App]) {
				s.before[r.App] = c
			}
		}
		if !r.ExpiresAt.IsZero() {
			k := entry{r.Kind, r.App, r.Value}
			if r.ExpiresAt.After(s.expires[k]) {
				s.expires[k] = r.ExpiresAt
			}
		}
		s.cursor = max(s.cursor, r.Seq)
	}
	s.gen++
}

// Prune forgets the revocations that expired by now: every token they
// matched has expired too, so memory stays bounded by live revocations.
func (s *RevocationSet) Prune(now time.Time) int {
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
		case RevokeTokenID:
			delete(s.tokenIDs, appValue{k.app, k.value})
		case RevokeRefreshFamily:
			delete(s.families, appValue{k.app, k.value})
		case RevokeAPIKey:
			delete(s.apiKeys, k.value)
		case RevokeUserID:
			delete(s.users, appValue{k.app, k.value})
		case RevokeRoom:
			delete(s.rooms, appValue{k.app, k.value})
		case RevokeIssuedBefore:
			delete(s.before, k.app)
		}
	}
	return n
}

// Cursor is the highest Seq added: where to resume the feed.
func (s *RevocationSet) Cursor() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cursor
}

// Generation changes whenever revocations are added, so caches of verified
// tokens know when to check again.
func (s *RevocationSet) Generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}

// FamilyOf returns the refresh family a token was minted from: the jti of
// tokens issued with a refresh token is "<family>.<random>".
func FamilyOf(jti string) string {
	if i := strings.IndexByte(jti, '.'); i > 0 {
		return jti[:i]
	}
	return ""
}

// Revoked reports whether c matches a revocation. room is the room the
// token is being used in, if any: a room revocation ends every older
// token's use in that room, and every older token bound to it.
func (s *RevocationSet) Revoked(c *token.Claims, room string) bool {
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

// FeedPage is one page of the revocation feed, GET /v1/revocations: the
// revocations after the cursor asked for, and the cursor to ask with next.
type FeedPage struct {
	Revocations []Revocation `json:"revocations"`
	Cursor      int64        `json:"cursor"`
}
