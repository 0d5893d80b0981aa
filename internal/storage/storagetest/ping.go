package storagetest

import (
	"context"
	"testing"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func testPing(t *testing.T, open opener) {
	t.Run("Writable", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		for range 3 {
			noErr(t, s.Ping(t.Context()))
		}
		entries, err := s.ListAudit(t.Context(), storage.AuditQuery{})
		noErr(t, err)
		if len(entries) != 0 {
			t.Fatalf("ping left audit entries: %+v", entries)
		}
		if _, err := s.GetApp(t.Context(), "app1"); err != nil {
			t.Fatalf("after ping: %v", err)
		}
	})
	t.Run("CancelledIsNotReady", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.Ping(ctx); err == nil {
			t.Fatal("ping with a cancelled context succeeded")
		}
	})
}
