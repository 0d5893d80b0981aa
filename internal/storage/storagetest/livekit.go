package storagetest

import (
	"testing"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func liveKitProject(appID, key string) storage.LiveKitProject {
	return storage.LiveKitProject{AppID: appID, URL: "wss://" + appID + ".livekit.example", APIKey: key,
		SecretCiphertext: []byte{0, 1, 2, 255}, UpdatedAt: now()}
}

func testLiveKitProjects(t *testing.T, open opener) {
	t.Run("PutAndGet", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		ch := subscribe(t, s)
		want := liveKitProject("app1", "APIkey1")
		noErr(t, s.PutLiveKitProject(t.Context(), want, auditEntry("livekit.set", "app1", "APIkey1")))
		got, err := s.GetLiveKitProject(t.Context(), "app1")
		noErr(t, err)
		same(t, got, want)
		same(t, auditActions(t, s, "app1"), []string{"livekit.set"})
		expectChanges(t, ch, storage.Change{Kind: storage.ChangeLiveKit, AppID: "app1"})
	})
	t.Run("Replace", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		noErr(t, s.PutLiveKitProject(t.Context(), liveKitProject("app1", "APIkey1"), nil))
		want := storage.LiveKitProject{AppID: "app1", URL: "ws://127.0.0.1:7880", APIKey: "APIkey2", SecretCiphertext: []byte("other"), UpdatedAt: now()}
		noErr(t, s.PutLiveKitProject(t.Context(), want, nil))
		got, err := s.GetLiveKitProject(t.Context(), "app1")
		noErr(t, err)
		same(t, got, want)
		all, err := s.ListLiveKitProjects(t.Context())
		noErr(t, err)
		same(t, all, []storage.LiveKitProject{want})
	})
	t.Run("KeyOfAnotherApp", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustApp(t, s, "app2")
		first := liveKitProject("app1", "APIkey1")
		noErr(t, s.PutLiveKitProject(t.Context(), first, nil))
		err := s.PutLiveKitProject(t.Context(), liveKitProject("app2", "APIkey1"), auditEntry("livekit.set", "app2", "APIkey1"))
		wantErr(t, err, storage.ErrAlreadyExists)
		_, err = s.GetLiveKitProject(t.Context(), "app2")
		wantErr(t, err, storage.ErrNotFound)
		if got := auditActions(t, s, "app2"); len(got) != 0 {
			t.Fatalf("failed put left audit entries %v", got)
		}
		got, err := s.GetLiveKitProject(t.Context(), "app1")
		noErr(t, err)
		same(t, got, first)
	})
	t.Run("UnknownApp", func(t *testing.T) {
		s := open(t)
		err := s.PutLiveKitProject(t.Context(), liveKitProject("nope", "APIkey1"), auditEntry("livekit.set", "nope", "APIkey1"))
		wantErr(t, err, storage.ErrNotFound)
		if got := auditActions(t, s, "nope"); len(got) != 0 {
			t.Fatalf("failed put left audit entries %v", got)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		for _, p := range []storage.LiveKitProject{
			{URL: "ws://x", APIKey: "k", SecretCiphertext: []byte("s")},
			{AppID: "app1", APIKey: "k", SecretCiphertext: []byte("s")},
			{AppID: "app1", URL: "ws://x", SecretCiphertext: []byte("s")},
			{AppID: "app1", URL: "ws://x", APIKey: "k"},
		} {
			wantErr(t, s.PutLiveKitProject(t.Context(), p, nil), storage.ErrInvalid)
		}
	})
	t.Run("GetNotFound", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		_, err := s.GetLiveKitProject(t.Context(), "app1")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("List", func(t *testing.T) {
		s := open(t)
		none, err := s.ListLiveKitProjects(t.Context())
		noErr(t, err)
		same(t, len(none), 0)
		mustApp(t, s, "app2")
		mustApp(t, s, "app1")
		p2 := liveKitProject("app2", "APIkey2")
		p1 := liveKitProject("app1", "APIkey1")
		noErr(t, s.PutLiveKitProject(t.Context(), p2, nil))
		noErr(t, s.PutLiveKitProject(t.Context(), p1, nil))
		all, err := s.ListLiveKitProjects(t.Context())
		noErr(t, err)
		same(t, all, []storage.LiveKitProject{p1, p2})
	})
	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustApp(t, s, "app2")
		kept := liveKitProject("app2", "APIkey2")
		noErr(t, s.PutLiveKitProject(t.Context(), liveKitProject("app1", "APIkey1"), nil))
		noErr(t, s.PutLiveKitProject(t.Context(), kept, nil))
		ch := subscribe(t, s)
		noErr(t, s.DeleteLiveKitProject(t.Context(), "app1", auditEntry("livekit.remove", "app1", "APIkey1")))
		expectChanges(t, ch, storage.Change{Kind: storage.ChangeLiveKit, AppID: "app1"})
		_, err := s.GetLiveKitProject(t.Context(), "app1")
		wantErr(t, err, storage.ErrNotFound)
		all, err := s.ListLiveKitProjects(t.Context())
		noErr(t, err)
		same(t, all, []storage.LiveKitProject{kept})
		same(t, auditActions(t, s, "app1"), []string{"livekit.remove"})
		// The key is free again for another app.
		noErr(t, s.PutLiveKitProject(t.Context(), liveKitProject("app2", "APIkey1"), nil))
	})
	t.Run("DeleteNone", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		wantErr(t, s.DeleteLiveKitProject(t.Context(), "app1", auditEntry("livekit.remove", "app1", "")), storage.ErrNotFound)
		if got := auditActions(t, s, "app1"); len(got) != 0 {
			t.Fatalf("failed delete left audit entries %v", got)
		}
	})
}
