package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// revocation returns a token ID revocation of an app.
func revocation(appID, value string, created time.Time) storage.Revocation {
	return storage.Revocation{AppID: appID, Kind: storage.RevocationTokenID, Value: value, CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
}

func testRevocations(t *testing.T, open opener) {
	t.Run("AddAndList", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		t0 := now()
		want := storage.Revocation{AppID: "app1", Kind: storage.RevocationIssuedBefore, IssuedBefore: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		got, err := s.AddRevocation(t.Context(), want, auditEntry("revocation.create", "app1", ""))
		noErr(t, err)
		if got.Seq <= 0 {
			t.Fatalf("seq %d, want positive", got.Seq)
		}
		want.Seq = got.Seq
		same(t, got, want)
		listed, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
		noErr(t, err)
		same(t, listed, []storage.Revocation{want})
		same(t, auditActions(t, s, "app1"), []string{"revocation.create"})
	})
	t.Run("EveryKind", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		t0 := now()
		for _, k := range []storage.RevocationKind{
			storage.RevocationTokenID, storage.RevocationUserID, storage.RevocationRoom,
			storage.RevocationAPIKey, storage.RevocationRefreshFamily,
		} {
			r := storage.Revocation{AppID: "app1", Kind: k, Value: "v", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
			got, err := s.AddRevocation(t.Context(), r, nil)
			noErr(t, err)
			same(t, got.Kind, k)
		}
	})
	t.Run("UnknownApp", func(t *testing.T) {
		s := open(t)
		_, err := s.AddRevocation(t.Context(), revocation("nope", "t1", now()), auditEntry("revocation.create", "nope", ""))
		wantErr(t, err, storage.ErrNotFound)
		listed, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
		noErr(t, err)
		same(t, len(listed), 0)
		same(t, len(auditActions(t, s, "nope")), 0)
	})
	t.Run("Invalid", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		t0 := now()
		for _, r := range []storage.Revocation{
			{AppID: "app1", Kind: "everything", Value: "v", ExpiresAt: t0},
			{AppID: "app1", Kind: storage.RevocationTokenID, ExpiresAt: t0},
			{AppID: "app1", Kind: storage.RevocationTokenID, Value: "v"},
			{AppID: "app1", Kind: storage.RevocationIssuedBefore, ExpiresAt: t0},
			{Kind: storage.RevocationTokenID, Value: "v", ExpiresAt: t0},
			// Without its creation time it would match no token, and
			// every verifier would refuse the feed from it on.
			{AppID: "app1", Kind: storage.RevocationUserID, Value: "alice", ExpiresAt: t0},
		} {
			_, err := s.AddRevocation(t.Context(), r, nil)
			wantErr(t, err, storage.ErrInvalid)
		}
	})
	t.Run("CursorLimitAndApp", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustApp(t, s, "app2")
		t0 := now()
		var all []storage.Revocation
		for i, app := range []string{"app1", "app2", "app1", "app2", "app1"} {
			r, err := s.AddRevocation(t.Context(), revocation(app, string(rune('a'+i)), t0), nil)
			noErr(t, err)
			all = append(all, r)
		}
		got, err := s.ListRevocations(t.Context(), storage.RevocationQuery{AfterSeq: all[1].Seq, Limit: 2})
		noErr(t, err)
		same(t, got, all[2:4])
		got, err = s.ListRevocations(t.Context(), storage.RevocationQuery{AfterSeq: all[0].Seq, AppID: "app1"})
		noErr(t, err)
		same(t, got, []storage.Revocation{all[2], all[4]})
		got, err = s.ListRevocations(t.Context(), storage.RevocationQuery{AfterSeq: all[4].Seq})
		noErr(t, err)
		same(t, len(got), 0)
	})
	t.Run("Prune", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		t0 := now()
		short := storage.Revocation{AppID: "app1", Kind: storage.RevocationUserID, Value: "u1", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
		_, err := s.AddRevocation(t.Context(), short, nil)
		noErr(t, err)
		long, err := s.AddRevocation(t.Context(), revocation("app1", "t1", t0), nil)
		noErr(t, err)
		n, err := s.PruneRevocations(t.Context(), t0.Add(time.Minute))
		noErr(t, err)
		same(t, n, 1)
		got, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
		noErr(t, err)
		same(t, got, []storage.Revocation{long})
	})
	t.Run("SeqNotReusedAfterPrune", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		t0 := now()
		first, err := s.AddRevocation(t.Context(), revocation("app1", "t1", t0), nil)
		noErr(t, err)
		_, err = s.PruneRevocations(t.Context(), t0.Add(2*time.Hour))
		noErr(t, err)
		second, err := s.AddRevocation(t.Context(), revocation("app1", "t2", t0), nil)
		noErr(t, err)
		if second.Seq <= first.Seq {
			t.Fatalf("seq %d after pruned seq %d", second.Seq, first.Seq)
		}
	})
	t.Run("ConcurrentAdd", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		seqs := make([]int64, racers)
		errs := race(func(i int) error {
			r, err := s.AddRevocation(t.Context(), revocation("app1", string(rune('a'+i)), now()), nil)
			seqs[i] = r.Seq
			return err
		})
		for _, err := range errs {
			noErr(t, err)
		}
		slices.Sort(seqs)
		if len(slices.Compact(slices.Clone(seqs))) != racers {
			t.Fatalf("seqs not distinct: %v", seqs)
		}
		listed, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
		noErr(t, err)
		var listedSeqs []int64
		for _, r := range listed {
			listedSeqs = append(listedSeqs, r.Seq)
		}
		same(t, listedSeqs, seqs)
	})
	t.Run("ConcurrentAddNeverSkipsCursor", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		stop := make(chan struct{})
		done := make(chan []int64)
		go func() {
			var seen []int64
			var cursor int64
			for last := false; !last; {
				select {
				case <-stop:
					last = true
				default:
				}
				got, err := s.ListRevocations(t.Context(), storage.RevocationQuery{AfterSeq: cursor})
				if err != nil {
					t.Errorf("ListRevocations: %v", err)
					break
				}
				for _, r := range got {
					seen = append(seen, r.Seq)
					cursor = r.Seq
				}
			}
			done <- seen
		}()
		errs := race(func(i int) error {
			_, err := s.AddRevocation(t.Context(), revocation("app1", string(rune('a'+i)), now()), nil)
			return err
		})
		close(stop)
		seen := <-done
		for _, err := range errs {
			noErr(t, err)
		}
		same(t, len(seen), racers)
	})
}
