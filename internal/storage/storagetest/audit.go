package storagetest

import (
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func testAudit(t *testing.T, open opener) {
	t.Run("AppendAndList", func(t *testing.T) {
		s := open(t)
		want := storage.AuditEntry{Time: now(), Actor: "api_key:abc", Action: "token.mint", AppID: "app1", Target: "user-1", Detail: []byte(`{"room":"r1"}`)}
		got, err := s.AppendAudit(t.Context(), want)
		noErr(t, err)
		if got.Seq <= 0 {
			t.Fatalf("seq %d, want positive", got.Seq)
		}
		want.Seq = got.Seq
		same(t, got, want)
		listed, err := s.ListAudit(t.Context(), storage.AuditQuery{})
		noErr(t, err)
		same(t, listed, []storage.AuditEntry{want})
	})
	t.Run("ZeroTimeIsNow", func(t *testing.T) {
		s := open(t)
		before := now()
		got, err := s.AppendAudit(t.Context(), storage.AuditEntry{Actor: "cli", Action: "key.create"})
		noErr(t, err)
		if got.Time.Before(before) || got.Time.After(time.Now().Add(time.Second)) {
			t.Fatalf("time %v, want about %v", got.Time, before)
		}
		listed, err := s.ListAudit(t.Context(), storage.AuditQuery{})
		noErr(t, err)
		same(t, listed, []storage.AuditEntry{got})
	})
	t.Run("Batch", func(t *testing.T) {
		s := open(t)
		batch := []storage.AuditEntry{
			{Time: now(), Actor: "api_key:k", Action: "token.mint", AppID: "app1", Target: "u1", Detail: []byte(`{"jti":"j1"}`)},
			{Time: now(), Actor: "api_key:k", Action: "token.mint", AppID: "app1", Target: "u2"},
		}
		noErr(t, s.AppendAuditBatch(t.Context(), batch))
		listed, err := s.ListAudit(t.Context(), storage.AuditQuery{})
		noErr(t, err)
		if len(listed) != 2 || listed[0].Target != "u1" || listed[1].Target != "u2" || listed[0].Seq >= listed[1].Seq {
			t.Fatalf("batch stored as %+v", listed)
		}
		if string(listed[0].Detail) != `{"jti":"j1"}` || len(listed[1].Detail) != 0 || !listed[0].Time.Equal(batch[0].Time) {
			t.Fatalf("batch entries stored as %+v, want %+v", listed, batch)
		}
		bad := append(batch, storage.AuditEntry{Action: "token.mint"})
		wantErr(t, s.AppendAuditBatch(t.Context(), bad), storage.ErrInvalid)
		listed, err = s.ListAudit(t.Context(), storage.AuditQuery{})
		noErr(t, err)
		if len(listed) != 2 {
			t.Fatalf("an invalid batch stored %d entries", len(listed)-2)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		s := open(t)
		_, err := s.AppendAudit(t.Context(), storage.AuditEntry{Action: "token.mint"})
		wantErr(t, err, storage.ErrInvalid)
		_, err = s.AppendAudit(t.Context(), storage.AuditEntry{Actor: "cli"})
		wantErr(t, err, storage.ErrInvalid)
	})
	t.Run("CursorLimitAndApp", func(t *testing.T) {
		s := open(t)
		var all []storage.AuditEntry
		for _, app := range []string{"app1", "app2", "app1", "", "app1"} {
			e, err := s.AppendAudit(t.Context(), storage.AuditEntry{Time: now(), Actor: "cli", Action: "key.create", AppID: app})
			noErr(t, err)
			all = append(all, e)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Seq <= all[i-1].Seq {
				t.Fatalf("seqs not increasing: %d then %d", all[i-1].Seq, all[i].Seq)
			}
		}
		got, err := s.ListAudit(t.Context(), storage.AuditQuery{AfterSeq: all[0].Seq, Limit: 3})
		noErr(t, err)
		same(t, got, all[1:4])
		got, err = s.ListAudit(t.Context(), storage.AuditQuery{AppID: "app1", AfterSeq: all[0].Seq})
		noErr(t, err)
		same(t, got, []storage.AuditEntry{all[2], all[4]})
	})
}
