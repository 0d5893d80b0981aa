package storagetest

import (
	"slices"
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
	t.Run("Filters", func(t *testing.T) {
		s := open(t)
		base := now()
		var all []storage.AuditEntry
		for i, e := range []storage.AuditEntry{
			{Actor: "cli", Action: "key.create", AppID: "app1"},
			{Actor: "api_key:k1", Action: "token.mint", AppID: "app2"},
			{Actor: "api_key:k1", Action: "token.mint", AppID: "app1"},
			{Actor: "system", Action: "signing_key.init"},
			{Actor: "cli", Action: "key.revoke", AppID: "app1"},
		} {
			e.Time = base.Add(time.Duration(i) * time.Second)
			stored, err := s.AppendAudit(t.Context(), e)
			noErr(t, err)
			all = append(all, stored)
		}
		for _, c := range []struct {
			name string
			q    storage.AuditQuery
			want []int
		}{
			{"all", storage.AuditQuery{}, []int{0, 1, 2, 3, 4}},
			{"app", storage.AuditQuery{AppID: "app1"}, []int{0, 2, 4}},
			{"action", storage.AuditQuery{Action: "token.mint"}, []int{1, 2}},
			{"actor", storage.AuditQuery{Actor: "cli"}, []int{0, 4}},
			{"app and action", storage.AuditQuery{AppID: "app1", Action: "token.mint"}, []int{2}},
			{"app, actor, newest", storage.AuditQuery{AppID: "app1", Actor: "cli", Newest: true}, []int{4, 0}},
			{"since", storage.AuditQuery{Since: all[3].Time}, []int{3, 4}},
			{"until", storage.AuditQuery{Until: all[1].Time}, []int{0}},
			{"since and until", storage.AuditQuery{Since: all[1].Time, Until: all[3].Time}, []int{1, 2}},
			{"limit", storage.AuditQuery{Limit: 2}, []int{0, 1}},
			{"newest, limit", storage.AuditQuery{Newest: true, Limit: 2}, []int{4, 3}},
			{"unknown app", storage.AuditQuery{AppID: "nope"}, nil},
			{"case matters", storage.AuditQuery{Action: "Token.Mint"}, nil},
		} {
			got, err := s.ListAudit(t.Context(), c.q)
			noErr(t, err)
			var want []storage.AuditEntry
			for _, i := range c.want {
				want = append(want, all[i])
			}
			if len(want) == 0 {
				if len(got) != 0 {
					t.Fatalf("%s: got %+v, want none", c.name, got)
				}
				continue
			}
			same(t, got, want)
		}
	})
	t.Run("TimeOrderAndCursor", func(t *testing.T) {
		s := open(t)
		base := now()
		// Appended out of time order, with ties in time: the listing
		// follows the time, then the sequence number.
		var stored []storage.AuditEntry
		for _, offset := range []int{3, 1, 1, 0, 3, 2, 1} {
			e, err := s.AppendAudit(t.Context(), storage.AuditEntry{Time: base.Add(time.Duration(offset) * time.Second), Actor: "cli", Action: "key.create", AppID: "app1"})
			noErr(t, err)
			stored = append(stored, e)
		}
		oldest := []storage.AuditEntry{stored[3], stored[1], stored[2], stored[6], stored[5], stored[0], stored[4]}
		all, err := s.ListAudit(t.Context(), storage.AuditQuery{})
		noErr(t, err)
		same(t, all, oldest)
		newest := slices.Clone(oldest)
		slices.Reverse(newest)
		for _, c := range []struct {
			newest bool
			want   []storage.AuditEntry
		}{{false, oldest}, {true, newest}} {
			for _, size := range []int{1, 2, 3, 7} {
				var pages []storage.AuditEntry
				q := storage.AuditQuery{AppID: "app1", Newest: c.newest, Limit: size}
				for range len(c.want) + 1 {
					page, err := s.ListAudit(t.Context(), q)
					noErr(t, err)
					if len(page) == 0 {
						break
					}
					pages = append(pages, page...)
					q.After = page[len(page)-1].Position()
				}
				same(t, pages, c.want)
			}
		}
		got, err := s.ListAudit(t.Context(), storage.AuditQuery{After: stored[2].Position(), Until: stored[0].Time})
		noErr(t, err)
		same(t, got, []storage.AuditEntry{stored[6], stored[5]})
	})
	t.Run("Prune", func(t *testing.T) {
		s := open(t)
		base := now().Add(-time.Hour)
		var stored []storage.AuditEntry
		for i := range 10 {
			e, err := s.AppendAudit(t.Context(), storage.AuditEntry{Time: base.Add(time.Duration(i) * time.Minute), Actor: "cli", Action: "key.create"})
			noErr(t, err)
			stored = append(stored, e)
		}
		remaining := func() []storage.AuditEntry {
			t.Helper()
			got, err := s.ListAudit(t.Context(), storage.AuditQuery{})
			noErr(t, err)
			return got
		}
		for _, bad := range []storage.AuditPrune{{Before: base}, {Before: base, Limit: -1}, {Keep: -1, Limit: 1}} {
			_, err := s.PruneAudit(t.Context(), bad)
			wantErr(t, err, storage.ErrInvalid)
		}
		n, err := s.PruneAudit(t.Context(), storage.AuditPrune{Limit: 100})
		noErr(t, err)
		same(t, n, 0)
		// By age, at most the limit, oldest first; the entry at the
		// cutoff itself stays.
		n, err = s.PruneAudit(t.Context(), storage.AuditPrune{Before: stored[4].Time, Limit: 3})
		noErr(t, err)
		same(t, n, 3)
		same(t, remaining(), stored[3:])
		n, err = s.PruneAudit(t.Context(), storage.AuditPrune{Before: stored[4].Time, Limit: 3})
		noErr(t, err)
		same(t, n, 1)
		same(t, remaining(), stored[4:])
		n, err = s.PruneAudit(t.Context(), storage.AuditPrune{Before: stored[4].Time, Limit: 3})
		noErr(t, err)
		same(t, n, 0)
		// By number: at most Keep remain, the newest.
		n, err = s.PruneAudit(t.Context(), storage.AuditPrune{Keep: 5, Limit: 100})
		noErr(t, err)
		same(t, n, 1)
		same(t, remaining(), stored[5:])
		n, err = s.PruneAudit(t.Context(), storage.AuditPrune{Keep: 5, Limit: 100})
		noErr(t, err)
		same(t, n, 0)
		// Both at once share the limit, age first.
		n, err = s.PruneAudit(t.Context(), storage.AuditPrune{Before: stored[6].Time, Keep: 2, Limit: 2})
		noErr(t, err)
		same(t, n, 2)
		same(t, remaining(), stored[7:])
		n, err = s.PruneAudit(t.Context(), storage.AuditPrune{Before: stored[6].Time, Keep: 2, Limit: 2})
		noErr(t, err)
		same(t, n, 1)
		same(t, remaining(), stored[8:])
		// Entries appended after a prune are numbered on.
		e, err := s.AppendAudit(t.Context(), storage.AuditEntry{Actor: "cli", Action: "key.create"})
		noErr(t, err)
		if e.Seq <= stored[9].Seq {
			t.Fatalf("seq %d after pruning, want above %d", e.Seq, stored[9].Seq)
		}
		n, err = s.PruneAudit(t.Context(), storage.AuditPrune{Before: time.Now().Add(time.Hour), Limit: 100})
		noErr(t, err)
		same(t, n, 3)
		same(t, len(remaining()), 0)
	})
}
