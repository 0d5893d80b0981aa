package revocation

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// rigSecret is the HS256 secret of the rig's key.
const rigSecret = "0123456789abcdef0123456789abcdef"

// checkerRig mints HS256 tokens and checks them with a Checker on a clock
// the test moves.
type checkerRig struct {
	t   *testing.T
	key *token.Key
	now time.Time
	set *Set
	k   *Checker
	seq int64
}

func newCheckerRig(t *testing.T, cacheSize int, vouch func(*token.Claims) error) *checkerRig {
	t.Helper()
	key, err := token.NewHMACKey("k1", []byte(rigSecret), access.Production)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	r := &checkerRig{t: t, key: key, now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), set: NewSet()}
	clock := func() time.Time { return r.now }
	r.k = NewChecker(CheckerConfig{
		Tokens:      token.NewVerifier(keys, token.WithLeeway(0), token.WithClock(clock)),
		Revocations: r.set, Vouch: vouch, CacheSize: cacheSize, Now: clock,
	})
	return r
}

// mint returns a viewer token of alice in app a1, changed by mod.
func (r *checkerRig) mint(mod func(*token.Claims)) string {
	r.t.Helper()
	c := &token.Claims{Issuer: "k1", Subject: "alice", Audience: "rtc", ID: "j1", App: "a1",
		IssuedAt: r.now.Add(-time.Minute), ExpiresAt: r.now.Add(time.Hour),
		Grants: token.Grants{Role: "viewer", Permissions: []string{"consume"}}}
	if mod != nil {
		mod(c)
	}
	raw, err := token.Mint(r.key, c)
	if err != nil {
		r.t.Fatal(err)
	}
	return raw
}

// forge signs, with the rig's key but without token.Mint, which would
// refuse them, claims of alice in app a1 carrying grants.
func (r *checkerRig) forge(grants string) string {
	r.t.Helper()
	claims := fmt.Sprintf(`{"iss":"k1","sub":"alice","aud":"rtc","app":"a1","jti":"j2","iat":%d,"exp":%d,"grants":%s}`,
		r.now.Add(-time.Minute).Unix(), r.now.Add(time.Hour).Unix(), grants)
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"k1"}`)) + "." + enc.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, []byte(rigSecret))
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

func (r *checkerRig) revoke(rev Revocation) {
	r.seq++
	rev.Seq = r.seq
	if rev.CreatedAt.IsZero() {
		rev.CreatedAt = r.now
	}
	r.set.Add(rev)
}

func (r *checkerRig) verify(raw, room string) (*Verified, error) {
	return r.k.Verify(context.Background(), raw, room)
}

func TestCheckerVerifies(t *testing.T) {
	r := newCheckerRig(t, 0, nil)
	v, err := r.verify(r.mint(nil), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if v.Claims.Subject != "alice" || v.Grants.Role != "viewer" || v.Grants.Permissions.Names()[0] != "consume" {
		t.Fatalf("verified %+v", v)
	}
	if _, err := r.verify(r.forge(`{"role":"viewer","permissions":["produce.camrea"]}`), ""); !errors.Is(err, token.ErrMalformed) {
		t.Fatalf("a permission outside the vocabulary: %v", err)
	}
	if _, err := r.verify(r.mint(nil)+"x", ""); !errors.Is(err, token.ErrBadSignature) && !errors.Is(err, token.ErrMalformed) {
		t.Fatalf("a bad signature: %v", err)
	}
	r.revoke(Revocation{App: "a1", Kind: UserID, Value: "alice"})
	if _, err := r.verify(r.mint(nil), ""); !errors.Is(err, ErrRevoked) {
		t.Fatalf("a revoked token: %v", err)
	}
}

// Vouch sees the token before its revocations: the app it fills in is the
// app a revocation must name to match.
func TestCheckerVouch(t *testing.T) {
	refused := &token.Error{Reason: "wrong_app"}
	r := newCheckerRig(t, 0, func(c *token.Claims) error {
		if c.App == "" {
			c.App = "a1"
		}
		if c.App != "a1" {
			return refused
		}
		return nil
	})
	noApp := r.mint(func(c *token.Claims) { c.App = "" })
	v, err := r.verify(noApp, "")
	if err != nil || v.Claims.App != "a1" {
		t.Fatalf("token without app: %+v, %v", v, err)
	}
	if _, err := r.verify(r.mint(func(c *token.Claims) { c.App = "a2" }), ""); err != refused {
		t.Fatalf("token of another app: %v", err)
	}
	r.revoke(Revocation{App: "a1", Kind: TokenID, Value: "j1"})
	if _, err := r.verify(noApp, ""); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked token without app: %v", err)
	}
}

func TestCheckerCache(t *testing.T) {
	r := newCheckerRig(t, 100, nil)
	raw := r.mint(nil)
	first, err := r.verify(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := r.verify(raw, ""); err != nil || again != first {
		t.Fatalf("not served from the cache: %p %p %v", again, first, err)
	}

	// A revocation already in effect, or a replayed one, moves nothing:
	// the cache keeps serving.
	r.revoke(Revocation{App: "a1", Kind: TokenID, Value: "other"})
	second, _ := r.verify(raw, "")
	r.set.Add(Revocation{Seq: r.seq, App: "a1", Kind: TokenID, Value: "other", CreatedAt: r.now})
	r.set.Add(Revocation{App: "a1", Kind: TokenID, Value: "other", CreatedAt: r.now})
	if again, _ := r.verify(raw, ""); again != second {
		t.Fatal("a revocation that changed nothing emptied the cache")
	}

	// A cached token used in a room revoked since it was cached.
	r.revoke(Revocation{App: "a1", Kind: Room, Value: "r9"})
	if _, err := r.verify(raw, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := r.verify(raw, "r9"); !errors.Is(err, ErrRevoked) {
		t.Fatalf("cached token in a revoked room: %v", err)
	}

	// A revocation of the token itself.
	r.revoke(Revocation{App: "a1", Kind: UserID, Value: "alice"})
	if _, err := r.verify(raw, ""); !errors.Is(err, ErrRevoked) {
		t.Fatalf("cached token after its revocation: %v", err)
	}

	// Never past exp.
	fresh := r.mint(func(c *token.Claims) { c.Subject = "bob"; c.ExpiresAt = r.now.Add(time.Minute) })
	if _, err := r.verify(fresh, ""); err != nil {
		t.Fatal(err)
	}
	r.now = r.now.Add(time.Minute)
	if _, err := r.verify(fresh, ""); !errors.Is(err, token.ErrExpired) {
		t.Fatalf("cached token at its exp: %v", err)
	}
}

func TestCheckerWithoutCache(t *testing.T) {
	r := newCheckerRig(t, 0, nil)
	raw := r.mint(nil)
	a, _ := r.verify(raw, "")
	b, _ := r.verify(raw, "")
	if a == nil || a == b {
		t.Fatalf("verified %p then %p: a Checker without a cache kept one", a, b)
	}
}

// A revocation takes effect on the cached tokens it matches and on those
// only: a cached token it does not match is still served from the cache,
// with no new signature check. Each kind is tried at its edge: the
// revocation that just misses, then the one that just matches.
func TestCheckerCacheForgetsOnlyWhatARevocationMatches(t *testing.T) {
	for _, c := range []struct {
		name          string
		room          string
		misses, match func(iat time.Time) Revocation
	}{
		{name: "token id",
			misses: func(time.Time) Revocation { return Revocation{App: "a1", Kind: TokenID, Value: "fam.j2"} },
			match:  func(time.Time) Revocation { return Revocation{App: "a1", Kind: TokenID, Value: "fam.j1"} }},
		{name: "token id of another app",
			misses: func(time.Time) Revocation { return Revocation{App: "a2", Kind: TokenID, Value: "fam.j1"} },
			match:  func(time.Time) Revocation { return Revocation{App: "a1", Kind: TokenID, Value: "fam.j1"} }},
		{name: "user",
			misses: func(time.Time) Revocation { return Revocation{App: "a1", Kind: UserID, Value: "bob"} },
			match:  func(time.Time) Revocation { return Revocation{App: "a1", Kind: UserID, Value: "alice"} }},
		{name: "user, revoked in the second before the token's",
			misses: func(iat time.Time) Revocation {
				return Revocation{App: "a1", Kind: UserID, Value: "alice", CreatedAt: iat.Add(-time.Second + time.Millisecond)}
			},
			match: func(iat time.Time) Revocation {
				return Revocation{App: "a1", Kind: UserID, Value: "alice", CreatedAt: iat.Add(time.Millisecond)}
			}},
		{name: "issued before",
			misses: func(iat time.Time) Revocation { return Revocation{App: "a1", Kind: IssuedBefore, IssuedBefore: iat} },
			match: func(iat time.Time) Revocation {
				return Revocation{App: "a1", Kind: IssuedBefore, IssuedBefore: iat.Add(time.Nanosecond)}
			}},
		{name: "refresh family",
			misses: func(time.Time) Revocation { return Revocation{App: "a1", Kind: RefreshFamily, Value: "fa"} },
			match:  func(time.Time) Revocation { return Revocation{App: "a1", Kind: RefreshFamily, Value: "fam"} }},
		{name: "api key",
			misses: func(time.Time) Revocation { return Revocation{App: "a1", Kind: APIKey, Value: "k2"} },
			match:  func(time.Time) Revocation { return Revocation{App: "a1", Kind: APIKey, Value: "k1"} }},
		{name: "room the token is bound to",
			misses: func(time.Time) Revocation { return Revocation{App: "a1", Kind: Room, Value: "r3"} },
			match:  func(time.Time) Revocation { return Revocation{App: "a1", Kind: Room, Value: "r1"} }},
		{name: "room the token is used in", room: "r2",
			misses: func(time.Time) Revocation { return Revocation{App: "a1", Kind: Room, Value: "r3"} },
			match:  func(time.Time) Revocation { return Revocation{App: "a1", Kind: Room, Value: "r2"} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newCheckerRig(t, 100, nil)
			raw := r.mint(func(cl *token.Claims) {
				cl.ID = FamilyTokenID("fam", "j1")
				cl.Grants.Rooms = []string{"r1"}
			})
			cached, err := r.verify(raw, c.room)
			if err != nil {
				t.Fatal(err)
			}
			iat := cached.Claims.IssuedAt
			r.revoke(c.misses(iat))
			if again, err := r.verify(raw, c.room); err != nil || again != cached {
				t.Fatalf("after a revocation it does not match: %v, served from the cache %v", err, again == cached)
			}
			r.revoke(c.match(iat))
			if _, err := r.verify(raw, c.room); !errors.Is(err, ErrRevoked) {
				t.Fatalf("after a revocation it matches: %v, want ErrRevoked", err)
			}
		})
	}
}

// Vouch sees a cached token on every use: once its issuer stops vouching
// for it, the cache does not serve it.
func TestCheckerCacheAsksVouchAgain(t *testing.T) {
	var refuse atomic.Bool
	refused := &token.Error{Reason: "revoked_key"}
	r := newCheckerRig(t, 100, func(*token.Claims) error {
		if refuse.Load() {
			return refused
		}
		return nil
	})
	raw := r.mint(nil)
	if _, err := r.verify(raw, ""); err != nil {
		t.Fatal(err)
	}
	refuse.Store(true)
	if _, err := r.verify(raw, ""); err != refused {
		t.Fatalf("cached token its issuer no longer vouches for: %v", err)
	}
}

// Revocations arrive while tokens are being checked and their verdicts
// cached, by several goroutines at once: a check that starts after Add
// returned never passes the token, whether it finds the token in the
// cache, stores it there or races with another goroutine that does.
func TestCheckerCacheRacesRevocations(t *testing.T) {
	const rounds, checkers = 300, 4
	type kind struct {
		name string
		room string
		mint func(c *token.Claims)
		rev  Revocation
	}
	// Each kind revokes a token of the rig's: alice's, with jti fam.j1, of
	// app a1, signed by key k1, issued a minute before the rig's now.
	kinds := func(now time.Time) []kind {
		family := func(c *token.Claims) { c.ID = FamilyTokenID("fam", "j1") }
		return []kind{
			{"token id", "", nil, Revocation{App: "a1", Kind: TokenID, Value: "j1"}},
			{"user", "", nil, Revocation{App: "a1", Kind: UserID, Value: "alice", CreatedAt: now}},
			{"issued before", "", nil, Revocation{App: "a1", Kind: IssuedBefore, IssuedBefore: now}},
			{"refresh family", "", family, Revocation{App: "a1", Kind: RefreshFamily, Value: "fam"}},
			{"api key", "", nil, Revocation{App: "a1", Kind: APIKey, Value: "k1"}},
			{"room used in", "stage", nil, Revocation{App: "a1", Kind: Room, Value: "stage", CreatedAt: now}},
		}
	}
	for i := range rounds {
		r := newCheckerRig(t, 1000, nil)
		k := kinds(r.now)[i%6]
		raw := r.mint(k.mint)
		var revoked atomic.Bool
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range checkers {
			wg.Go(func() {
				<-start
				for {
					after := revoked.Load()
					_, err := r.verify(raw, k.room)
					switch {
					case after && err == nil:
						t.Errorf("round %d (%s): a check that started after the revocation passed the token", i, k.name)
						return
					case after:
						return
					case err != nil && !errors.Is(err, ErrRevoked):
						t.Errorf("round %d (%s): %v", i, k.name, err)
						return
					}
				}
			})
		}
		wg.Go(func() {
			<-start
			r.set.Add(k.rev)
			revoked.Store(true)
		})
		close(start)
		wg.Wait()
	}
}
