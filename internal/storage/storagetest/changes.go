package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// changeTimeout bounds the wait for a change to arrive.
const changeTimeout = 10 * time.Second

// subscribe returns a subscription that ends with t.
func subscribe(t *testing.T, s storage.Storage) <-chan storage.Change {
	t.Helper()
	ch, err := s.Changes(t.Context())
	noErr(t, err)
	return ch
}

// expectChanges fails t unless ch delivers want in order, ignoring other
// changes in between.
func expectChanges(t *testing.T, ch <-chan storage.Change, want ...storage.Change) {
	t.Helper()
	timeout := time.After(changeTimeout)
	for len(want) > 0 {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatalf("feed closed while waiting for %+v", want[0])
			}
			if c == want[0] {
				want = want[1:]
			}
		case <-timeout:
			t.Fatalf("no change %+v within %v", want[0], changeTimeout)
		}
	}
}

func testChanges(t *testing.T, open opener) {
	t.Run("EveryKind", func(t *testing.T) {
		s := open(t)
		ch := subscribe(t, s)
		t0 := now()
		mustApp(t, s, "app1")
		mustAPIKey(t, s, "app1", "key1")
		noErr(t, s.PutRole(t.Context(), storage.Role{AppID: "app1", Name: "host"}, nil))
		noErr(t, s.DeleteRole(t.Context(), "app1", "host", nil))
		mustInit(t, s, t0)
		noErr(t, s.RotateSigningKeys(t.Context(), "k1", signingKey("k3", t0), t0, t0, nil))
		_, err := s.PruneSigningKeys(t.Context(), t0)
		noErr(t, err)
		rev, err := s.AddRevocation(t.Context(), revocation("app1", "t1", t0), nil)
		noErr(t, err)
		keyRev, err := s.RevokeAPIKey(t.Context(), "key1", t0, t0.Add(time.Hour), nil)
		noErr(t, err)
		expectChanges(t, ch,
			storage.Change{Kind: storage.ChangeApp, AppID: "app1"},
			storage.Change{Kind: storage.ChangeAPIKey, AppID: "app1"},
			storage.Change{Kind: storage.ChangeRole, AppID: "app1"},
			storage.Change{Kind: storage.ChangeRole, AppID: "app1"},
			storage.Change{Kind: storage.ChangeSigningKey},
			storage.Change{Kind: storage.ChangeSigningKey},
			storage.Change{Kind: storage.ChangeSigningKey},
			storage.Change{Kind: storage.ChangeRevocation, AppID: "app1", Cursor: rev.Seq},
			storage.Change{Kind: storage.ChangeRevocation, AppID: "app1", Cursor: keyRev.Seq},
		)
	})
	t.Run("RefreshFamilyRevocation", func(t *testing.T) {
		s := withKey(t, open)
		ch := subscribe(t, s)
		mustRefreshToken(t, s, "h1", "fam1", now())
		rev, err := s.RevokeRefreshFamily(t.Context(), "fam1", now(), now().Add(time.Hour), nil)
		noErr(t, err)
		expectChanges(t, ch, storage.Change{Kind: storage.ChangeRevocation, AppID: "app1", Cursor: rev.Seq})
	})
	t.Run("FailedWritePublishesNothing", func(t *testing.T) {
		s := open(t)
		ch := subscribe(t, s)
		mustApp(t, s, "app1")
		expectChanges(t, ch, storage.Change{Kind: storage.ChangeApp, AppID: "app1"})
		wantErr(t, s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "other"}, nil), storage.ErrAlreadyExists)
		mustApp(t, s, "app2")
		select {
		case c := <-ch:
			same(t, c, storage.Change{Kind: storage.ChangeApp, AppID: "app2"})
		case <-time.After(changeTimeout):
			t.Fatal("no change")
		}
	})
	t.Run("EverySubscriber", func(t *testing.T) {
		s := open(t)
		a, b := subscribe(t, s), subscribe(t, s)
		mustApp(t, s, "app1")
		want := storage.Change{Kind: storage.ChangeApp, AppID: "app1"}
		expectChanges(t, a, want)
		expectChanges(t, b, want)
	})
	t.Run("EndsWithContext", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		ch, err := s.Changes(ctx)
		noErr(t, err)
		cancel()
		select {
		case _, ok := <-ch:
			for ok {
				_, ok = <-ch
			}
		case <-time.After(changeTimeout):
			t.Fatal("feed still open after its context ended")
		}
	})
}
