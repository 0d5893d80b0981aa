package authority_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// auditAway is a store whose audit writer's batches can be refused while
// every other write works.
type auditAway struct {
	storage.Storage
	down atomic.Bool
}

func (s *auditAway) AppendAuditBatch(ctx context.Context, entries []storage.AuditEntry) error {
	if s.down.Load() {
		return fmt.Errorf("append audit: %w", storage.ErrUnavailable)
	}
	return s.Storage.AppendAuditBatch(ctx, entries)
}

// A refresh writes its access token's audit entry in the transaction that
// uses the refresh token up: it never answers an error after using it, so
// a client that retries is not taken for a thief and its family lives on.
func TestRefreshAuditedWithItsRotation(t *testing.T) {
	store := &auditAway{Storage: openSQLite(t, filepath.Join(t.TempDir(), "stagedoor.db"))}
	a, _, caller := startOver(t, store, 0)
	ctx := t.Context()
	first, err := a.IssueToken(ctx, authority.AsKey(caller), authority.IssueRequest{UserID: "alice", Role: "viewer", Refresh: true})
	if err != nil {
		t.Fatal(err)
	}

	// Minting alone waits for the audit writer, and is refused with it.
	store.down.Store(true)
	if _, err := a.IssueToken(ctx, authority.AsKey(caller), authority.IssueRequest{UserID: "bob", Role: "viewer"}); !errors.Is(err, authority.ErrUnavailable) {
		t.Fatalf("mint while the audit writer is refused: %v, want ErrUnavailable", err)
	}
	second, err := a.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh while the audit writer is refused: %v", err)
	}
	store.down.Store(false)

	page, err := a.Audit(ctx, authority.AuditQuery{AppID: caller.AppID, Action: "token.mint"})
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range page.Entries {
		if e.Target == "alice" && strings.Contains(string(e.Detail), second.Claims.ID) {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("%d audit entries for the refreshed token %s, want 1: %+v", found, second.Claims.ID, page.Entries)
	}
	if _, err := a.Refresh(ctx, second.RefreshToken); err != nil {
		t.Fatalf("the family ended: %v", err)
	}
}
