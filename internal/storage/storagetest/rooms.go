package storagetest

import (
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func testRooms(t *testing.T, open opener) {
	t.Run("CreateAndGet", func(t *testing.T) {
		s := openRooms(t, open)
		want := storage.Room{AppID: "app1", Name: "stage", Type: "livestream", MaxProducers: 1, MaxParticipants: 100,
			Metadata: []byte(`{"topic":"launch"}`), CreatedBy: "api_key:k1", CreatedAt: now()}
		noErr(t, s.CreateRoom(t.Context(), want, auditEntry("room.create", "app1", "stage")))
		got, err := s.GetRoom(t.Context(), "app1", "stage")
		noErr(t, err)
		same(t, got, want)
		if got.Ended() {
			t.Fatal("a new room has ended")
		}
		same(t, auditActions(t, s, "app1"), []string{"room.create"})
		events := roomEvents(t, s, "stage")
		same(t, len(events), 1)
		e := events[0]
		same(t, []string{e.AppID, e.Room, e.Type, e.SessionID}, []string{"app1", "stage", storage.EventRoomCreated, ""})
		same(t, e.Time, want.CreatedAt)
		d := e.Data
		if d.Room == nil || d.Room.Name != "stage" || d.Room.Type != "livestream" || d.Room.MaxProducers != 1 ||
			d.Room.MaxParticipants != 100 || string(d.Room.Metadata) != `{"topic":"launch"}` || d.Room.Ended() {
			t.Fatalf("room.created data %+v", e.Data)
		}
	})
	t.Run("NoMetadata", func(t *testing.T) {
		s := openRooms(t, open)
		want := storage.Room{AppID: "app1", Name: "stage", Type: "private", CreatedAt: now()}
		noErr(t, s.CreateRoom(t.Context(), want, nil))
		got, err := s.GetRoom(t.Context(), "app1", "stage")
		noErr(t, err)
		same(t, got, want)
	})
	t.Run("CreateRefused", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		for _, c := range []struct {
			room storage.Room
			err  error
		}{
			{storage.Room{AppID: "app1", Name: "stage", Type: "private"}, storage.ErrAlreadyExists},
			{storage.Room{AppID: "nope", Name: "stage", Type: "private"}, storage.ErrNotFound},
			{storage.Room{AppID: "app1", Type: "private"}, storage.ErrInvalid},
			{storage.Room{AppID: "app1", Name: "x"}, storage.ErrInvalid},
			{storage.Room{Name: "x", Type: "private"}, storage.ErrInvalid},
			{storage.Room{AppID: "app1", Name: "x", Type: "private", MaxProducers: -1}, storage.ErrInvalid},
			{storage.Room{AppID: "app1", Name: "x", Type: "private", MaxParticipants: -1}, storage.ErrInvalid},
		} {
			wantErr(t, s.CreateRoom(t.Context(), c.room, auditEntry("room.create", "app1", c.room.Name)), c.err)
		}
		same(t, auditActions(t, s, "app1"), []string(nil))
		same(t, eventTypes(t, s, "stage", 0), []string{storage.EventRoomCreated})
		_, err := s.GetRoom(t.Context(), "app1", "x")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("GetUnknown", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		_, err := s.GetRoom(t.Context(), "app1", "other")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetRoom(t.Context(), "app2", "stage")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("End", func(t *testing.T) {
		s := openRooms(t, open)
		r := mustRoom(t, s, "stage", 2, 0)
		a := mustJoin(t, s, "stage", "s1", "alice")
		mustClaim(t, s, "stage", "s1", "camera")
		w := newSession("stage", "s2", "bob")
		w.State = storage.SessionWaiting
		_, _, err := s.JoinRoom(t.Context(), w, now())
		noErr(t, err)
		mustRoom(t, s, "other", 0, 0)
		mustJoin(t, s, "other", "s3", "carol")
		before := lastSeq(t, s, "stage")
		t1 := now().Add(time.Second)
		ended, err := s.EndRoom(t.Context(), "app1", "stage", t1, auditEntry("room.end", "app1", "stage"))
		noErr(t, err)
		same(t, sessionIDs(ended), []string{"s1", "s2"})
		for _, e := range ended {
			same(t, []string{string(e.State), e.EndReason}, []string{string(storage.SessionEnded), storage.EndRoomEnded})
			same(t, len(e.Sources), 0)
			same(t, e.UpdatedAt, t1)
		}
		got, err := s.GetSession(t.Context(), "app1", "stage", a.ID)
		noErr(t, err)
		same(t, got, ended[0])
		room, err := s.GetRoom(t.Context(), "app1", "stage")
		noErr(t, err)
		r.EndedAt = t1
		same(t, room, r)
		same(t, eventTypes(t, s, "stage", before), []string{storage.EventSessionEnded, storage.EventSessionEnded, storage.EventRoomEnded})
		events := roomEvents(t, s, "stage")
		last := events[len(events)-1]
		if d := last.Data; d.Room == nil || !d.Room.EndedAt.Equal(t1) {
			t.Fatalf("room.ended data %+v", last.Data)
		}
		if d := events[len(events)-3].Data; d.Reason != storage.EndRoomEnded || d.Session.EndReason != storage.EndRoomEnded {
			t.Fatalf("session.ended data %+v", events[len(events)-3].Data)
		}
		live, err := s.ListSessions(t.Context(), "app1", "stage")
		noErr(t, err)
		same(t, len(live), 0)
		live, err = s.ListSessions(t.Context(), "app1", "")
		noErr(t, err)
		same(t, sessionIDs(live), []string{"s3"})
		same(t, auditActions(t, s, "app1"), []string{"room.end"})

		_, err = s.EndRoom(t.Context(), "app1", "stage", t1, auditEntry("room.end", "app1", "stage"))
		wantErr(t, err, storage.ErrConflict)
		_, err = s.EndRoom(t.Context(), "app1", "nope", t1, nil)
		wantErr(t, err, storage.ErrNotFound)
		_, _, err = s.JoinRoom(t.Context(), newSession("stage", "s4", "dave"), now())
		wantErr(t, err, storage.ErrConflict)
		same(t, auditActions(t, s, "app1"), []string{"room.end"})
	})
	t.Run("ReplaceEnded", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 1, 0)
		mustJoin(t, s, "stage", "s1", "alice")
		_, err := s.BlockParticipant(t.Context(), "app1", "stage", "mallory", now(), nil)
		noErr(t, err)
		_, err = s.EndRoom(t.Context(), "app1", "stage", now(), nil)
		noErr(t, err)
		want := storage.Room{AppID: "app1", Name: "stage", Type: "private", MaxProducers: 3, CreatedBy: "cli", CreatedAt: now().Add(time.Minute)}
		noErr(t, s.CreateRoom(t.Context(), want, nil))
		got, err := s.GetRoom(t.Context(), "app1", "stage")
		noErr(t, err)
		same(t, got, want)
		blocked, err := s.Blocked(t.Context(), "app1", "stage")
		noErr(t, err)
		same(t, len(blocked), 0)
		mustJoin(t, s, "stage", "s2", "mallory")
		old, err := s.GetSession(t.Context(), "app1", "stage", "s1")
		noErr(t, err)
		same(t, old.State, storage.SessionEnded)
		same(t, eventTypes(t, s, "stage", 0), []string{
			storage.EventRoomCreated, storage.EventSessionJoined, storage.EventSessionEnded, storage.EventRoomEnded,
			storage.EventRoomCreated, storage.EventSessionJoined,
		})
	})
	t.Run("AppsApart", func(t *testing.T) {
		s := openRooms(t, open)
		mustApp(t, s, "app2")
		mustRoom(t, s, "stage", 0, 0)
		noErr(t, s.CreateRoom(t.Context(), storage.Room{AppID: "app2", Name: "stage", Type: "private"}, nil))
		mustJoin(t, s, "stage", "s1", "alice")
		_, err := s.GetSession(t.Context(), "app2", "stage", "s1")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.EndSession(t.Context(), "app2", "stage", "s1", storage.EndKicked, now())
		wantErr(t, err, storage.ErrNotFound)
		live, err := s.ListSessions(t.Context(), "app2", "")
		noErr(t, err)
		same(t, len(live), 0)
		events, err := s.ListRoomEvents(t.Context(), "app2", "stage", 0, 0)
		noErr(t, err)
		same(t, len(events), 1)
		mustJoin(t, s, "stage", "s2", "bob")
		other := newSession("stage", "s3", "carol")
		other.AppID = "app2"
		_, _, err = s.JoinRoom(t.Context(), other, now())
		noErr(t, err)
		all, err := s.ListSessions(t.Context(), "", "")
		noErr(t, err)
		var ids []string
		for _, l := range all {
			ids = append(ids, l.AppID+"/"+l.ID)
		}
		same(t, ids, []string{"app1/s1", "app1/s2", "app2/s3"})
	})
}
