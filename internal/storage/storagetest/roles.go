package storagetest

import (
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func testRoles(t *testing.T, open opener) {
	t.Run("PutAndGet", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		want := storage.Role{AppID: "app1", Name: "host", Permissions: []string{"room.publish", "room.admin"}, Rank: 50, UpdatedAt: now()}
		noErr(t, s.PutRole(t.Context(), want, auditEntry("role.set", "app1", "host")))
		got, err := s.GetRole(t.Context(), "app1", "host")
		noErr(t, err)
		same(t, got, want)
		same(t, auditActions(t, s, "app1"), []string{"role.set"})
	})
	t.Run("PutReplaces", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		noErr(t, s.PutRole(t.Context(), storage.Role{AppID: "app1", Name: "host", Permissions: []string{"a"}, Rank: 1, UpdatedAt: now()}, nil))
		want := storage.Role{AppID: "app1", Name: "host", Permissions: []string{"b", "c"}, Rank: 2, UpdatedAt: now().Add(time.Second)}
		noErr(t, s.PutRole(t.Context(), want, nil))
		got, err := s.GetRole(t.Context(), "app1", "host")
		noErr(t, err)
		same(t, got, want)
	})
	t.Run("NoPermissions", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		noErr(t, s.PutRole(t.Context(), storage.Role{AppID: "app1", Name: "guest"}, nil))
		got, err := s.GetRole(t.Context(), "app1", "guest")
		noErr(t, err)
		same(t, len(got.Permissions), 0)
	})
	t.Run("UnknownApp", func(t *testing.T) {
		s := open(t)
		err := s.PutRole(t.Context(), storage.Role{AppID: "nope", Name: "host"}, auditEntry("role.set", "nope", "host"))
		wantErr(t, err, storage.ErrNotFound)
		same(t, len(auditActions(t, s, "nope")), 0)
	})
	t.Run("Invalid", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		wantErr(t, s.PutRole(t.Context(), storage.Role{AppID: "app1"}, nil), storage.ErrInvalid)
	})
	t.Run("GetNotFound", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		_, err := s.GetRole(t.Context(), "app1", "nope")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("ListByApp", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustApp(t, s, "app2")
		b := storage.Role{AppID: "app1", Name: "b", Permissions: []string{"x"}, Rank: 1, UpdatedAt: now()}
		a := storage.Role{AppID: "app1", Name: "a", Permissions: []string{"y"}, Rank: 2, UpdatedAt: now()}
		other := storage.Role{AppID: "app2", Name: "c", Permissions: []string{"z"}, UpdatedAt: now()}
		for _, r := range []storage.Role{b, a, other} {
			noErr(t, s.PutRole(t.Context(), r, nil))
		}
		got, err := s.ListRoles(t.Context(), "app1")
		noErr(t, err)
		same(t, got, []storage.Role{a, b})
		all, err := s.ListRoles(t.Context(), "")
		noErr(t, err)
		same(t, all, []storage.Role{a, b, other})
	})
	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		noErr(t, s.PutRole(t.Context(), storage.Role{AppID: "app1", Name: "host"}, nil))
		noErr(t, s.DeleteRole(t.Context(), "app1", "host", auditEntry("role.delete", "app1", "host")))
		_, err := s.GetRole(t.Context(), "app1", "host")
		wantErr(t, err, storage.ErrNotFound)
		same(t, auditActions(t, s, "app1"), []string{"role.delete"})
	})
	t.Run("DeleteNotFound", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		wantErr(t, s.DeleteRole(t.Context(), "app1", "nope", auditEntry("role.delete", "app1", "nope")), storage.ErrNotFound)
		same(t, len(auditActions(t, s, "app1")), 0)
	})
}
