package authority

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// keyRing holds the service signing keys: the current one signs, and the
// current, next and still-published retired ones verify and make the JWKS.
type keyRing struct {
	// loading serialises loads, from reading the store to installing what
	// was read, so that a load which read before a rotation never installs
	// its view after the rotation's own load.
	loading sync.Mutex
	mu      sync.RWMutex
	current *token.Key
	verify  map[string]*token.Key
	jwks    []byte
	// published is closed, and replaced, when jwks changes.
	published chan struct{}
	// unpublish is when the first retired key published leaves the JWKS,
	// zero if none is published.
	unpublish time.Time
}

// due reports whether a retired key's publication has ended by now, so
// that the keys must be loaded again.
func (r *keyRing) due(now time.Time) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return !r.unpublish.IsZero() && !now.Before(r.unpublish)
}

func signingAAD(id string) string { return "signing_key:" + id }

// newSigningKey generates a key and seals its private JWK.
func (a *Authority) newSigningKey() (storage.SigningKey, error) {
	k, err := token.GenerateSigningKey(rand.Reader)
	if err != nil {
		return storage.SigningKey{}, err
	}
	priv, err := k.PrivateJWK()
	if err != nil {
		return storage.SigningKey{}, err
	}
	sealed, err := a.box.Seal(priv, signingAAD(k.ID()))
	if err != nil {
		return storage.SigningKey{}, err
	}
	return storage.SigningKey{ID: k.ID(), PublicKey: k.PublicKey(), PrivateKeyCiphertext: sealed, CreatedAt: a.now()}, nil
}

// ensureSigningKeys creates the first current and next keys unless another
// node (or an earlier start) did.
func (a *Authority) ensureSigningKeys(ctx context.Context) error {
	keys, err := a.store.ListSigningKeys(ctx)
	if err != nil || len(keys) > 0 {
		return err
	}
	cur, err := a.newSigningKey()
	if err != nil {
		return err
	}
	next, err := a.newSigningKey()
	if err != nil {
		return err
	}
	audit := &storage.AuditEntry{Actor: "system", Action: "signing_key.init", Target: cur.ID}
	if err := a.store.InitSigningKeys(ctx, cur, next, audit); err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
		return err
	}
	return nil
}

// openSigningKey unseals a stored key's private part, reusing the key
// already open when the current one has not changed.
func (a *Authority) openSigningKey(k storage.SigningKey) (*token.Key, error) {
	a.keys.mu.RLock()
	cur := a.keys.current
	a.keys.mu.RUnlock()
	if cur != nil && cur.ID() == k.ID {
		return cur, nil
	}
	priv, err := a.box.Open(k.PrivateKeyCiphertext, signingAAD(k.ID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	return token.ParseJWK(priv)
}

// loadSigningKeys rebuilds the key ring from the store.
func (a *Authority) loadSigningKeys(ctx context.Context) error {
	a.keys.loading.Lock()
	defer a.keys.loading.Unlock()
	keys, err := a.store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	now := a.now()
	verify := make(map[string]*token.Key, len(keys))
	var published []*token.Key
	var current *token.Key
	var unpublish time.Time
	for _, k := range keys {
		if k.State == storage.SigningKeyRetired {
			if !k.PublishUntil.After(now) {
				continue
			}
			if unpublish.IsZero() || k.PublishUntil.Before(unpublish) {
				unpublish = k.PublishUntil
			}
		}
		pub, err := token.NewEd25519PublicKey(k.ID, ed25519.PublicKey(k.PublicKey))
		if err != nil {
			return fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		verify[k.ID] = pub
		published = append(published, pub)
		if k.State == storage.SigningKeyCurrent {
			if current, err = a.openSigningKey(k); err != nil {
				return err
			}
		}
	}
	if current == nil {
		return errors.New("no current signing key in the store")
	}
	set, err := token.NewKeySet(published...)
	if err != nil {
		return err
	}
	doc, err := set.JWKS()
	if err != nil {
		return err
	}
	a.keys.mu.Lock()
	defer a.keys.mu.Unlock()
	if !bytes.Equal(doc, a.keys.jwks) && a.keys.published != nil {
		close(a.keys.published)
		a.keys.published = nil
	}
	a.keys.current, a.keys.verify, a.keys.jwks, a.keys.unpublish = current, verify, doc, unpublish
	return nil
}

// JWKS returns the JSON Web Key Set of every published signing key.
func (a *Authority) JWKS() []byte {
	a.keys.mu.RLock()
	defer a.keys.mu.RUnlock()
	return a.keys.jwks
}

// JWKSChanged returns the JSON Web Key Set and a channel closed when it
// next changes: a key rotated in, or a retired key withdrawn.
func (a *Authority) JWKSChanged() ([]byte, <-chan struct{}) {
	a.keys.mu.Lock()
	defer a.keys.mu.Unlock()
	if a.keys.published == nil {
		a.keys.published = make(chan struct{})
	}
	return a.keys.jwks, a.keys.published
}

func (a *Authority) signer() *token.Key {
	a.keys.mu.RLock()
	defer a.keys.mu.RUnlock()
	return a.keys.current
}

// RotateSigningKey makes the next key current, publishes a new next key,
// and keeps the old current key published until every token it signed has
// expired. Of nodes rotating at once, one wins; the others return a
// *ConflictError.
func (a *Authority) RotateSigningKey(ctx context.Context, by Principal) (string, error) {
	actor, err := by.operator()
	if err != nil {
		return "", err
	}
	keys, err := a.store.ListSigningKeys(ctx)
	if err != nil {
		return "", err
	}
	var cur string
	for _, k := range keys {
		if k.State == storage.SigningKeyCurrent {
			cur = k.ID
		}
	}
	next, err := a.newSigningKey()
	if err != nil {
		return "", err
	}
	now := a.now()
	audit := &storage.AuditEntry{Actor: actor, Action: "signing_key.rotate", Target: cur}
	publishUntil := now.Add(access.MaxTTL + a.leeway)
	if err := a.store.RotateSigningKeys(ctx, cur, next, now, publishUntil, audit); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return "", &ConflictError{Detail: "signing keys were rotated concurrently; try again"}
		}
		return "", err
	}
	if err := a.loadSigningKeys(ctx); err != nil {
		return "", err
	}
	return a.signer().ID(), nil
}

// pruneSigningKeys forgets retired keys nobody can present a token for.
func (a *Authority) pruneSigningKeys(ctx context.Context) error {
	_, err := a.store.PruneSigningKeys(ctx, a.now().Add(-time.Minute))
	return err
}
