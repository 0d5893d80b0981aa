package storagetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func testRoomEvents(t *testing.T, open opener) {
	t.Run("CursorAndLimit", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "a", 0, 0)
		mustRoom(t, s, "b", 0, 0)
		mustJoin(t, s, "a", "s1", "alice")
		mustJoin(t, s, "b", "s2", "bob")
		mustClaim(t, s, "a", "s1", "camera")
		all := roomEvents(t, s, "a")
		same(t, len(all), 3)
		for i, e := range all {
			if i > 0 && e.Seq <= all[i-1].Seq {
				t.Fatalf("seqs %d then %d", all[i-1].Seq, e.Seq)
			}
			same(t, []string{e.AppID, e.Room}, []string{"app1", "a"})
		}
		got, err := s.ListRoomEvents(t.Context(), "app1", "a", all[0].Seq, 1)
		noErr(t, err)
		same(t, got, all[1:2])
		got, err = s.ListRoomEvents(t.Context(), "app1", "a", all[0].Seq, 0)
		noErr(t, err)
		same(t, got, all[1:])
		got, err = s.ListRoomEvents(t.Context(), "app1", "a", all[2].Seq, -1)
		noErr(t, err)
		same(t, len(got), 0)
		got, err = s.ListRoomEvents(t.Context(), "app1", "nope", 0, 0)
		noErr(t, err)
		same(t, len(got), 0)
	})
	t.Run("Cursors", func(t *testing.T) {
		s := openRooms(t, open)
		cursors := func() []int64 {
			t.Helper()
			a, err := s.RoomEventCursor(t.Context(), "app1", "a")
			noErr(t, err)
			b, err := s.RoomEventCursor(t.Context(), "app1", "b")
			noErr(t, err)
			other, err := s.RoomEventCursor(t.Context(), "app2", "a")
			noErr(t, err)
			all, err := s.EventCursor(t.Context())
			noErr(t, err)
			return []int64{a, b, other, all}
		}
		same(t, cursors(), []int64{0, 0, 0, 0})
		mustRoom(t, s, "a", 0, 0)
		mustRoom(t, s, "b", 0, 0)
		mustJoin(t, s, "a", "s1", "alice")
		mustJoin(t, s, "b", "s2", "bob")
		a, b := roomEvents(t, s, "a"), roomEvents(t, s, "b")
		same(t, cursors(), []int64{a[len(a)-1].Seq, b[len(b)-1].Seq, 0, b[len(b)-1].Seq})
		mustClaim(t, s, "a", "s1", "camera")
		a = roomEvents(t, s, "a")
		same(t, cursors(), []int64{a[len(a)-1].Seq, b[len(b)-1].Seq, 0, a[len(a)-1].Seq})
		_, err := s.PruneRoomEvents(t.Context(), now().Add(time.Hour))
		noErr(t, err)
		same(t, cursors(), []int64{0, 0, 0, 0})
	})
	t.Run("Prune", func(t *testing.T) {
		s := openRooms(t, open)
		t0 := now()
		noErr(t, s.CreateRoom(t.Context(), storage.Room{AppID: "app1", Name: "stage", Type: "private", CreatedAt: t0}, nil))
		_, _, err := s.JoinRoom(t.Context(), newSession("stage", "s1", "alice"), t0.Add(time.Minute))
		noErr(t, err)
		_, err = s.ClaimProducer(t.Context(), "app1", "stage", "s1", "camera", t0.Add(2*time.Minute))
		noErr(t, err)
		all := roomEvents(t, s, "stage")
		n, err := s.PruneRoomEvents(t.Context(), t0.Add(time.Minute))
		noErr(t, err)
		same(t, n, 1)
		same(t, roomEvents(t, s, "stage"), all[1:])
		n, err = s.PruneRoomEvents(t.Context(), t0.Add(time.Minute))
		noErr(t, err)
		same(t, n, 0)
		_, err = s.ReleaseProducer(t.Context(), "app1", "stage", "s1", "camera", t0.Add(3*time.Minute))
		noErr(t, err)
		n, err = s.PruneRoomEvents(t.Context(), t0.Add(time.Hour))
		noErr(t, err)
		same(t, n, 3)
		mustClaim(t, s, "stage", "s1", "camera")
		events := roomEvents(t, s, "stage")
		if len(events) != 1 || events[0].Seq <= all[len(all)-1].Seq {
			t.Fatalf("after pruning: %+v", events)
		}
	})
	t.Run("Changes", func(t *testing.T) {
		s := openRooms(t, open)
		ch := subscribe(t, s)
		mustRoom(t, s, "stage", 0, 0)
		mustJoin(t, s, "stage", "s1", "alice")
		_, err := s.EndRoom(t.Context(), "app1", "stage", now(), nil)
		noErr(t, err)
		all := roomEvents(t, s, "stage")
		same(t, len(all), 4)
		room := func(seq int64) storage.Change {
			return storage.Change{Kind: storage.ChangeRoom, AppID: "app1", Room: "stage", Cursor: seq}
		}
		expectChanges(t, ch, room(all[0].Seq), room(all[1].Seq), room(all[3].Seq))
	})
	t.Run("FailedWriteAppendsNothing", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 1, 1)
		mustJoin(t, s, "stage", "s1", "alice")
		mustClaim(t, s, "stage", "s1", "camera")
		before := roomEvents(t, s, "stage")
		_, _, err := s.JoinRoom(t.Context(), newSession("stage", "s2", "bob"), now())
		wantErr(t, err, storage.ErrRoomFull)
		_, err = s.AdmitSession(t.Context(), "app1", "stage", "s1", now())
		wantErr(t, err, storage.ErrConflict)
		err = s.CreateRoom(t.Context(), storage.Room{AppID: "app1", Name: "stage", Type: "private"}, nil)
		wantErr(t, err, storage.ErrAlreadyExists)
		same(t, roomEvents(t, s, "stage"), before)
	})
	t.Run("ConcurrentSeqsInCommitOrder", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		const writers = 8
		for i := range writers {
			mustJoin(t, s, "stage", fmt.Sprintf("s%d", i), fmt.Sprintf("p%d", i))
		}
		stop := make(chan struct{})
		done := make(chan []error)
		go func() {
			done <- raceN(writers, func(i int) error {
				id := fmt.Sprintf("s%d", i)
				for {
					select {
					case <-stop:
						return nil
					default:
					}
					if _, err := s.ClaimProducer(t.Context(), "app1", "stage", id, "camera", now()); err != nil {
						return err
					}
					if _, err := s.ReleaseProducer(t.Context(), "app1", "stage", id, "camera", now()); err != nil {
						return err
					}
				}
			})
		}()
		var seen []int64
		cursor := int64(0)
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			events, err := s.ListRoomEvents(t.Context(), "app1", "stage", cursor, 0)
			noErr(t, err)
			for _, e := range events {
				seen = append(seen, e.Seq)
				cursor = e.Seq
			}
		}
		close(stop)
		for _, err := range <-done {
			noErr(t, err)
		}
		events, err := s.ListRoomEvents(t.Context(), "app1", "stage", cursor, 0)
		noErr(t, err)
		for _, e := range events {
			seen = append(seen, e.Seq)
		}
		var all []int64
		for _, e := range roomEvents(t, s, "stage") {
			all = append(all, e.Seq)
		}
		if !slices.Equal(seen, all) {
			t.Fatalf("a reader following the cursor saw %d events of %d", len(seen), len(all))
		}
	})
}
