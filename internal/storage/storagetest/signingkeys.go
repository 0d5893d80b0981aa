package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// signingKey returns a key with made-up material.
func signingKey(id string, created time.Time) storage.SigningKey {
	return storage.SigningKey{ID: id, PublicKey: []byte("pub-" + id), PrivateKeyCiphertext: []byte("sealed-" + id), CreatedAt: created}
}

// mustInit stores the keys k1 (current) and k2 (next) created at t0.
func mustInit(t *testing.T, s storage.Storage, t0 time.Time) {
	t.Helper()
	noErr(t, s.InitSigningKeys(t.Context(), signingKey("k1", t0), signingKey("k2", t0.Add(time.Millisecond)), nil))
}

// keyStates returns the state of every listed key by ID.
func keyStates(t *testing.T, s storage.Storage) map[string]storage.SigningKeyState {
	t.Helper()
	keys, err := s.ListSigningKeys(t.Context())
	noErr(t, err)
	states := make(map[string]storage.SigningKeyState)
	for _, k := range keys {
		states[k.ID] = k.State
	}
	return states
}

func testSigningKeys(t *testing.T, open opener) {
	t.Run("Init", func(t *testing.T) {
		s := open(t)
		t0 := now()
		cur, next := signingKey("k1", t0), signingKey("k2", t0.Add(time.Millisecond))
		noErr(t, s.InitSigningKeys(t.Context(), cur, next, auditEntry("signing_key.init", "", "k1")))
		got, err := s.ListSigningKeys(t.Context())
		noErr(t, err)
		cur.State, cur.ActivatedAt = storage.SigningKeyCurrent, t0
		next.State = storage.SigningKeyNext
		same(t, got, []storage.SigningKey{cur, next})
		same(t, auditActions(t, s, ""), []string{"signing_key.init"})
	})
	t.Run("EmptyList", func(t *testing.T) {
		s := open(t)
		got, err := s.ListSigningKeys(t.Context())
		noErr(t, err)
		same(t, len(got), 0)
	})
	t.Run("InitTwice", func(t *testing.T) {
		s := open(t)
		t0 := now()
		mustInit(t, s, t0)
		err := s.InitSigningKeys(t.Context(), signingKey("k3", t0), signingKey("k4", t0), nil)
		wantErr(t, err, storage.ErrAlreadyExists)
		same(t, keyStates(t, s), map[string]storage.SigningKeyState{"k1": storage.SigningKeyCurrent, "k2": storage.SigningKeyNext})
	})
	t.Run("InitInvalid", func(t *testing.T) {
		s := open(t)
		err := s.InitSigningKeys(t.Context(), storage.SigningKey{ID: "k1"}, signingKey("k2", now()), nil)
		wantErr(t, err, storage.ErrInvalid)
		same(t, len(keyStates(t, s)), 0)
	})
	t.Run("ConcurrentInit", func(t *testing.T) {
		s := open(t)
		t0 := now()
		errs := race(func(i int) error {
			return s.InitSigningKeys(t.Context(), signingKey(fmt.Sprintf("c%d", i), t0), signingKey(fmt.Sprintf("n%d", i), t0), nil)
		})
		if ok, dup := tally(t, errs, storage.ErrAlreadyExists); ok != 1 || dup != racers-1 {
			t.Fatalf("%d initialised and %d refused, want 1 and %d", ok, dup, racers-1)
		}
		same(t, len(keyStates(t, s)), 2)
	})
	t.Run("Rotate", func(t *testing.T) {
		s := open(t)
		t0 := now()
		mustInit(t, s, t0)
		at, until := t0.Add(time.Hour), t0.Add(3*time.Hour)
		k3 := signingKey("k3", at)
		noErr(t, s.RotateSigningKeys(t.Context(), "k1", k3, at, until, auditEntry("signing_key.rotate", "", "k2")))
		got, err := s.ListSigningKeys(t.Context())
		noErr(t, err)
		want := []storage.SigningKey{
			signingKey("k1", t0), signingKey("k2", t0.Add(time.Millisecond)), k3,
		}
		want[0].State, want[0].ActivatedAt, want[0].RetiredAt, want[0].PublishUntil = storage.SigningKeyRetired, t0, at, until
		want[1].State, want[1].ActivatedAt = storage.SigningKeyCurrent, at
		want[2].State = storage.SigningKeyNext
		same(t, got, want)
		same(t, auditActions(t, s, ""), []string{"signing_key.rotate"})
	})
	t.Run("RotateStale", func(t *testing.T) {
		s := open(t)
		t0 := now()
		mustInit(t, s, t0)
		noErr(t, s.RotateSigningKeys(t.Context(), "k1", signingKey("k3", t0), t0, t0.Add(time.Hour), nil))
		err := s.RotateSigningKeys(t.Context(), "k1", signingKey("k4", t0), t0, t0.Add(time.Hour), auditEntry("signing_key.rotate", "", ""))
		wantErr(t, err, storage.ErrConflict)
		same(t, keyStates(t, s), map[string]storage.SigningKeyState{
			"k1": storage.SigningKeyRetired, "k2": storage.SigningKeyCurrent, "k3": storage.SigningKeyNext,
		})
		same(t, len(auditActions(t, s, "")), 0)
	})
	t.Run("RotateBeforeInit", func(t *testing.T) {
		s := open(t)
		err := s.RotateSigningKeys(t.Context(), "k1", signingKey("k3", now()), now(), now(), nil)
		wantErr(t, err, storage.ErrConflict)
		same(t, len(keyStates(t, s)), 0)
	})
	t.Run("RotateFailureWritesNothing", func(t *testing.T) {
		s := open(t)
		t0 := now()
		mustInit(t, s, t0)
		err := s.RotateSigningKeys(t.Context(), "k1", signingKey("k2", t0), t0, t0.Add(time.Hour), auditEntry("signing_key.rotate", "", ""))
		wantErr(t, err, storage.ErrAlreadyExists)
		same(t, keyStates(t, s), map[string]storage.SigningKeyState{"k1": storage.SigningKeyCurrent, "k2": storage.SigningKeyNext})
		same(t, len(auditActions(t, s, "")), 0)
	})
	t.Run("ConcurrentRotate", func(t *testing.T) {
		s := open(t)
		t0 := now()
		mustInit(t, s, t0)
		errs := race(func(i int) error {
			return s.RotateSigningKeys(t.Context(), "k1", signingKey(fmt.Sprintf("n%d", i), t0), t0, t0.Add(time.Hour), nil)
		})
		if ok, conflicts := tally(t, errs, storage.ErrConflict); ok != 1 || conflicts != racers-1 {
			t.Fatalf("%d rotated and %d conflicted, want 1 and %d", ok, conflicts, racers-1)
		}
		counts := make(map[storage.SigningKeyState]int)
		for _, st := range keyStates(t, s) {
			counts[st]++
		}
		same(t, counts, map[storage.SigningKeyState]int{storage.SigningKeyRetired: 1, storage.SigningKeyCurrent: 1, storage.SigningKeyNext: 1})
	})
	t.Run("Prune", func(t *testing.T) {
		s := open(t)
		t0 := now()
		mustInit(t, s, t0)
		noErr(t, s.RotateSigningKeys(t.Context(), "k1", signingKey("k3", t0), t0, t0.Add(time.Hour), nil))
		noErr(t, s.RotateSigningKeys(t.Context(), "k2", signingKey("k4", t0), t0, t0.Add(2*time.Hour), nil))
		n, err := s.PruneSigningKeys(t.Context(), t0.Add(time.Hour-time.Millisecond))
		noErr(t, err)
		same(t, n, 0)
		n, err = s.PruneSigningKeys(t.Context(), t0.Add(time.Hour))
		noErr(t, err)
		same(t, n, 1)
		same(t, keyStates(t, s), map[string]storage.SigningKeyState{
			"k2": storage.SigningKeyRetired, "k3": storage.SigningKeyCurrent, "k4": storage.SigningKeyNext,
		})
		n, err = s.PruneSigningKeys(t.Context(), t0.Add(24*time.Hour))
		noErr(t, err)
		same(t, n, 1)
		same(t, len(keyStates(t, s)), 2)
	})
}
