package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/postgres/pgtest"
)

// TestReadOnlyDatabaseIsUnavailable opens a second store on a schema with
// every transaction read-only, as on a standby or a database an operator
// set read-only: writes and the ping fail with storage.ErrUnavailable and
// store nothing, while reads work.
func TestReadOnlyDatabaseIsUnavailable(t *testing.T) {
	dsn := testDSN(t)
	rw := open(t, dsn)
	if err := rw.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	ro := open(t, pgtest.WithParams(t, dsn, "default_transaction_read_only", "on"))
	if err := ro.Ping(t.Context()); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("ping: %v, want storage.ErrUnavailable", err)
	}
	rev := storage.Revocation{AppID: "app1", Kind: storage.RevocationUserID, Value: "alice", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	audit := &storage.AuditEntry{Actor: "api_key:k", Action: "revocation.create", AppID: "app1", Target: "alice"}
	if _, err := ro.AddRevocation(t.Context(), rev, audit); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("add revocation: %v, want storage.ErrUnavailable", err)
	}
	if err := ro.AppendAuditBatch(t.Context(), []storage.AuditEntry{*audit}); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("append audit: %v, want storage.ErrUnavailable", err)
	}
	if _, err := ro.GetApp(t.Context(), "app1"); err != nil {
		t.Errorf("read: %v", err)
	}
	if rs, err := rw.ListRevocations(t.Context(), storage.RevocationQuery{}); err != nil || len(rs) != 0 {
		t.Errorf("revocations: %v %v, want none", rs, err)
	}
	if entries, err := rw.ListAudit(t.Context(), storage.AuditQuery{}); err != nil || len(entries) != 0 {
		t.Errorf("audit: %v %v, want none", entries, err)
	}
	if err := rw.Ping(t.Context()); err != nil {
		t.Errorf("ping of the writable store: %v", err)
	}
}
