package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// catalogEntry is what a catalog change names, without its number.
type catalogEntry struct {
	Kind      storage.ChangeKind
	App, Name string
}

// catalogChanges returns the entries changed after seq, in order, and the
// highest seq among them (seq if none).
func catalogChanges(t *testing.T, s storage.Storage, seq int64) ([]catalogEntry, int64) {
	t.Helper()
	changes, err := s.CatalogChanges(t.Context(), seq, 0)
	noErr(t, err)
	var out []catalogEntry
	for _, c := range changes {
		if c.Seq <= seq {
			t.Fatalf("change %+v is not after %d", c, seq)
		}
		seq = c.Seq
		out = append(out, catalogEntry{c.Kind, c.AppID, c.Name})
	}
	return out, seq
}

// catalogVersion returns the store's CatalogVersion.
func catalogVersion(t *testing.T, s storage.Storage) int64 {
	t.Helper()
	v, err := s.CatalogVersion(t.Context())
	noErr(t, err)
	return v
}

func testCatalogChanges(t *testing.T, open opener) {
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		same(t, catalogVersion(t, s), int64(0))
		got, _ := catalogChanges(t, s, 0)
		same(t, len(got), 0)
	})
	t.Run("EveryWrite", func(t *testing.T) {
		s := open(t)
		t0 := now()
		steps := []struct {
			name  string
			write func() error
			want  catalogEntry
		}{
			{"CreateApp", func() error { return s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "one"}, nil) },
				catalogEntry{storage.ChangeApp, "app1", ""}},
			{"SetSessionPolicy", func() error { return s.SetSessionPolicy(t.Context(), "app1", "join", nil) },
				catalogEntry{storage.ChangeApp, "app1", ""}},
			{"CreateAPIKey", func() error { mustAPIKey(t, s, "app1", "key1"); return nil },
				catalogEntry{storage.ChangeAPIKey, "app1", "key1"}},
			{"RevokeAPIKey", func() error {
				_, err := s.RevokeAPIKey(t.Context(), "key1", t0, t0.Add(time.Hour), nil)
				return err
			}, catalogEntry{storage.ChangeAPIKey, "app1", "key1"}},
			{"PutRole", func() error { return s.PutRole(t.Context(), storage.Role{AppID: "app1", Name: "host"}, nil) },
				catalogEntry{storage.ChangeRole, "app1", "host"}},
			{"DeleteRole", func() error { return s.DeleteRole(t.Context(), "app1", "host", nil) },
				catalogEntry{storage.ChangeRole, "app1", "host"}},
			{"InitSigningKeys", func() error { mustInit(t, s, t0); return nil },
				catalogEntry{storage.ChangeSigningKey, "", ""}},
			{"RotateSigningKeys", func() error { return s.RotateSigningKeys(t.Context(), "k1", signingKey("k3", t0), t0, t0, nil) },
				catalogEntry{storage.ChangeSigningKey, "", ""}},
			{"PruneSigningKeys", func() error { _, err := s.PruneSigningKeys(t.Context(), t0); return err },
				catalogEntry{storage.ChangeSigningKey, "", ""}},
		}
		var seq int64
		for _, step := range steps {
			noErr(t, step.write())
			got, next := catalogChanges(t, s, seq)
			if len(got) != 1 || got[0] != step.want {
				t.Fatalf("after %s, changes %+v, want only %+v", step.name, got, step.want)
			}
			same(t, catalogVersion(t, s), next)
			seq = next
		}
	})
	t.Run("LatestOfEachEntry", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustApp(t, s, "app2")
		mustAPIKey(t, s, "app1", "key1")
		noErr(t, s.PutRole(t.Context(), storage.Role{AppID: "app1", Name: "host"}, nil))
		_, mark := catalogChanges(t, s, 0)
		noErr(t, s.SetSessionPolicy(t.Context(), "app1", "join", nil))
		noErr(t, s.PutRole(t.Context(), storage.Role{AppID: "app2", Name: "host", Rank: 1}, nil))
		noErr(t, s.PutRole(t.Context(), storage.Role{AppID: "app1", Name: "host", Rank: 2}, nil))
		got, _ := catalogChanges(t, s, 0)
		same(t, got, []catalogEntry{
			{storage.ChangeApp, "app2", ""},
			{storage.ChangeAPIKey, "app1", "key1"},
			{storage.ChangeApp, "app1", ""},
			{storage.ChangeRole, "app2", "host"},
			{storage.ChangeRole, "app1", "host"},
		})
		since, _ := catalogChanges(t, s, mark)
		same(t, since, []catalogEntry{
			{storage.ChangeApp, "app1", ""},
			{storage.ChangeRole, "app2", "host"},
			{storage.ChangeRole, "app1", "host"},
		})
		page, err := s.CatalogChanges(t.Context(), mark, 2)
		noErr(t, err)
		same(t, len(page), 2)
		same(t, page[1].Kind, storage.ChangeRole)
	})
	t.Run("FailedWritesRecordNothing", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustAPIKey(t, s, "app1", "key1")
		_, err := s.RevokeAPIKey(t.Context(), "key1", now(), now().Add(time.Hour), nil)
		noErr(t, err)
		before := catalogVersion(t, s)
		wantErr(t, s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "other"}, nil), storage.ErrAlreadyExists)
		wantErr(t, s.CreateApp(t.Context(), storage.App{ID: "app2", Name: "x"}, &storage.AuditEntry{}), storage.ErrInvalid)
		_, err = s.RevokeAPIKey(t.Context(), "key1", now(), now().Add(time.Hour), nil)
		wantErr(t, err, storage.ErrConflict)
		wantErr(t, s.PutRole(t.Context(), storage.Role{AppID: "nope", Name: "host"}, nil), storage.ErrNotFound)
		wantErr(t, s.DeleteRole(t.Context(), "app1", "nope", nil), storage.ErrNotFound)
		wantErr(t, s.SetSessionPolicy(t.Context(), "nope", "join", nil), storage.ErrNotFound)
		n, err := s.PruneSigningKeys(t.Context(), now())
		noErr(t, err)
		same(t, n, 0)
		same(t, catalogVersion(t, s), before)
	})
	// Writers on many connections commit while a reader follows the
	// changes: the reader, remembering only the highest seq it read,
	// learns of every entry written.
	t.Run("FollowerMissesNothing", func(t *testing.T) {
		s := open(t)
		const perRacer = 5
		written := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			defer close(written)
			errs := race(func(i int) error {
				for j := range perRacer {
					id := fmt.Sprintf("app-%d-%d", i, j)
					if err := s.CreateApp(t.Context(), storage.App{ID: id, Name: id}, nil); err != nil {
						return err
					}
				}
				return nil
			})
			for _, err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
		})
		seen := map[string]bool{}
		var seq int64
		follow := func() {
			got, next := catalogChanges(t, s, seq)
			for _, e := range got {
				seen[e.App] = true
			}
			seq = next
		}
		for done := false; !done; {
			select {
			case <-written:
				done = true
			default:
			}
			follow()
		}
		wg.Wait()
		follow()
		for i := range racers {
			for j := range perRacer {
				if id := fmt.Sprintf("app-%d-%d", i, j); !seen[id] {
					t.Errorf("the follower never learnt of %s", id)
				}
			}
		}
	})
}
