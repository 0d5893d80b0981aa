package storagetest

import (
	"testing"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func testApps(t *testing.T, open opener) {
	t.Run("CreateAndGet", func(t *testing.T) {
		s := open(t)
		want := storage.App{ID: "app1", Name: "Acme", SessionPolicy: "strict", CreatedAt: now()}
		noErr(t, s.CreateApp(t.Context(), want, nil))
		got, err := s.GetApp(t.Context(), "app1")
		noErr(t, err)
		same(t, got, want)
		got, err = s.GetAppByName(t.Context(), "Acme")
		noErr(t, err)
		same(t, got, want)
	})
	t.Run("DefaultSessionPolicy", func(t *testing.T) {
		s := open(t)
		noErr(t, s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil))
		got, err := s.GetApp(t.Context(), "app1")
		noErr(t, err)
		if got.SessionPolicy != storage.DefaultSessionPolicy {
			t.Fatalf("session policy %q, want %q", got.SessionPolicy, storage.DefaultSessionPolicy)
		}
		if got.CreatedAt.IsZero() {
			t.Fatal("zero CreatedAt was not set")
		}
	})
	t.Run("DuplicateID", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		err := s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "other"}, nil)
		wantErr(t, err, storage.ErrAlreadyExists)
	})
	t.Run("DuplicateName", func(t *testing.T) {
		s := open(t)
		a := mustApp(t, s, "app1")
		err := s.CreateApp(t.Context(), storage.App{ID: "app2", Name: a.Name}, auditEntry("app.create", "app2", ""))
		wantErr(t, err, storage.ErrAlreadyExists)
		_, err = s.GetApp(t.Context(), "app2")
		wantErr(t, err, storage.ErrNotFound)
		if got := auditActions(t, s, "app2"); len(got) != 0 {
			t.Fatalf("failed create left audit entries %v", got)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		s := open(t)
		wantErr(t, s.CreateApp(t.Context(), storage.App{ID: "app1"}, nil), storage.ErrInvalid)
		wantErr(t, s.CreateApp(t.Context(), storage.App{Name: "Acme"}, nil), storage.ErrInvalid)
	})
	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.GetApp(t.Context(), "nope")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetAppByName(t.Context(), "nope")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("List", func(t *testing.T) {
		s := open(t)
		got, err := s.ListApps(t.Context())
		noErr(t, err)
		if len(got) != 0 {
			t.Fatalf("new store lists %d apps", len(got))
		}
		b := mustApp(t, s, "b")
		a := mustApp(t, s, "a")
		got, err = s.ListApps(t.Context())
		noErr(t, err)
		same(t, got, []storage.App{a, b})
	})
	t.Run("AuditedInSameTransaction", func(t *testing.T) {
		s := open(t)
		noErr(t, s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, auditEntry("app.create", "app1", "app1")))
		entries, err := s.ListAudit(t.Context(), storage.AuditQuery{AppID: "app1"})
		noErr(t, err)
		if len(entries) != 1 || entries[0].Action != "app.create" || entries[0].Target != "app1" || entries[0].Seq == 0 {
			t.Fatalf("audit entries %+v", entries)
		}
	})
	t.Run("InvalidAuditWritesNothing", func(t *testing.T) {
		s := open(t)
		err := s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, &storage.AuditEntry{Action: "app.create"})
		wantErr(t, err, storage.ErrInvalid)
		_, err = s.GetApp(t.Context(), "app1")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("ConcurrentCreateSameName", func(t *testing.T) {
		s := open(t)
		errs := race(func(i int) error {
			return s.CreateApp(t.Context(), storage.App{ID: string(rune('a' + i)), Name: "Acme"}, nil)
		})
		if ok, dup := tally(t, errs, storage.ErrAlreadyExists); ok != 1 || dup != racers-1 {
			t.Fatalf("%d created and %d refused, want 1 and %d", ok, dup, racers-1)
		}
	})
}
