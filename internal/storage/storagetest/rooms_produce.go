package storagetest

import (
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func testProducers(t *testing.T, open opener) {
	t.Run("ClaimAndRelease", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 1, 0)
		mustJoin(t, s, "stage", "s1", "alice")
		mustJoin(t, s, "stage", "s2", "bob")
		before := lastSeq(t, s, "stage")
		t1 := now().Add(time.Second)
		got, err := s.ClaimProducer(t.Context(), "app1", "stage", "s1", "screen", t1)
		noErr(t, err)
		same(t, got.Sources, []string{"screen"})
		same(t, got.UpdatedAt, t1)
		if !got.Producing() {
			t.Fatal("a session producing a source holds no slot")
		}
		got = mustClaim(t, s, "stage", "s1", "camera")
		same(t, got.Sources, []string{"camera", "screen"})
		got = mustClaim(t, s, "stage", "s1", "camera")
		same(t, got.Sources, []string{"camera", "screen"})
		_, err = s.ClaimProducer(t.Context(), "app1", "stage", "s2", "camera", now())
		wantErr(t, err, storage.ErrRoomFull)
		same(t, eventTypes(t, s, "stage", before), []string{storage.EventProduceStarted, storage.EventProduceStarted})
		events := roomEvents(t, s, "stage")
		if d := events[len(events)-1].Data; d.Source != "camera" || d.Session.ID != "s1" || len(d.Session.Sources) != 2 {
			t.Fatalf("produce.started data %+v", events[len(events)-1].Data)
		}

		got, err = s.ReleaseProducer(t.Context(), "app1", "stage", "s1", "screen", now())
		noErr(t, err)
		same(t, got.Sources, []string{"camera"})
		_, err = s.ClaimProducer(t.Context(), "app1", "stage", "s2", "camera", now())
		wantErr(t, err, storage.ErrRoomFull)
		got, err = s.ReleaseProducer(t.Context(), "app1", "stage", "s1", "microphone", now())
		noErr(t, err)
		same(t, got.Sources, []string{"camera"})
		got, err = s.ReleaseProducer(t.Context(), "app1", "stage", "s1", "camera", now())
		noErr(t, err)
		same(t, len(got.Sources), 0)
		if got.Producing() {
			t.Fatal("a session producing nothing holds a slot")
		}
		mustClaim(t, s, "stage", "s2", "camera")
		events = roomEvents(t, s, "stage")
		n := len(events)
		same(t, []string{events[n-3].Type, events[n-2].Type, events[n-1].Type},
			[]string{storage.EventProduceStopped, storage.EventProduceStopped, storage.EventProduceStarted})
		if d := events[n-3].Data; d.Source != "screen" || d.Session.ID != "s1" {
			t.Fatalf("produce.stopped data %+v", events[n-3].Data)
		}
	})
	t.Run("ClaimRefused", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		w := newSession("stage", "s1", "alice")
		w.State = storage.SessionWaiting
		_, _, err := s.JoinRoom(t.Context(), w, now())
		noErr(t, err)
		_, err = s.ClaimProducer(t.Context(), "app1", "stage", "s1", "camera", now())
		wantErr(t, err, storage.ErrConflict)
		mustJoin(t, s, "stage", "s2", "bob")
		_, err = s.ClaimProducer(t.Context(), "app1", "stage", "s2", "", now())
		wantErr(t, err, storage.ErrInvalid)
		_, err = s.ClaimProducer(t.Context(), "app1", "stage", "nope", "camera", now())
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.EndSession(t.Context(), "app1", "stage", "s2", storage.EndLeft, now())
		noErr(t, err)
		_, err = s.ClaimProducer(t.Context(), "app1", "stage", "s2", "camera", now())
		wantErr(t, err, storage.ErrConflict)
		_, err = s.ReleaseProducer(t.Context(), "app1", "stage", "s2", "camera", now())
		wantErr(t, err, storage.ErrConflict)
	})
	t.Run("NoCap", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		for _, id := range []string{"s1", "s2", "s3"} {
			mustJoin(t, s, "stage", id, id)
			mustClaim(t, s, "stage", id, "microphone")
		}
	})
	t.Run("SlotFreed", func(t *testing.T) {
		for _, c := range []struct {
			name string
			free func(t *testing.T, s storage.Storage)
		}{
			{"ReleaseProducer", func(t *testing.T, s storage.Storage) {
				mustClaim(t, s, "stage", "s1", "microphone")
				_, err := s.ReleaseProducer(t.Context(), "app1", "stage", "s1", "camera", now())
				noErr(t, err)
				_, err = s.ClaimProducer(t.Context(), "app1", "stage", "s2", "camera", now())
				wantErr(t, err, storage.ErrRoomFull)
				_, err = s.ReleaseProducer(t.Context(), "app1", "stage", "s1", "microphone", now())
				noErr(t, err)
			}},
			{"EndSession", func(t *testing.T, s storage.Storage) {
				_, err := s.EndSession(t.Context(), "app1", "stage", "s1", storage.EndLeft, now())
				noErr(t, err)
			}},
			{"DropSources", func(t *testing.T, s storage.Storage) {
				_, err := s.UpdateSession(t.Context(), "app1", "stage", "s1", storage.SessionUpdate{DropSources: []string{"camera", "screen"}}, now())
				noErr(t, err)
			}},
			{"EndExpiredSessions", func(t *testing.T, s storage.Storage) {
				_, err := s.RenewSession(t.Context(), "app1", "stage", "s2", now().Add(time.Hour), "", "", time.Time{}, time.Time{}, now())
				noErr(t, err)
				gone, err := s.EndExpiredSessions(t.Context(), now().Add(time.Minute))
				noErr(t, err)
				same(t, sessionIDs(gone), []string{"s1"})
			}},
			{"BlockParticipant", func(t *testing.T, s storage.Storage) {
				_, err := s.BlockParticipant(t.Context(), "app1", "stage", "alice", now(), nil)
				noErr(t, err)
			}},
			{"DuplicateIdentity", func(t *testing.T, s storage.Storage) {
				mustJoin(t, s, "stage", "s3", "alice")
			}},
			{"EndRoom", func(t *testing.T, s storage.Storage) {
				_, err := s.EndRoom(t.Context(), "app1", "stage", now(), nil)
				noErr(t, err)
				mustRoom(t, s, "stage", 1, 0)
				mustJoin(t, s, "stage", "s2b", "bob")
				mustClaim(t, s, "stage", "s2b", "camera")
				_, err = s.ClaimProducer(t.Context(), "app1", "stage", "s1", "camera", now())
				wantErr(t, err, storage.ErrConflict)
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				s := openRooms(t, open)
				mustRoom(t, s, "stage", 1, 0)
				mustJoin(t, s, "stage", "s1", "alice")
				mustJoin(t, s, "stage", "s2", "bob")
				mustClaim(t, s, "stage", "s1", "camera")
				_, err := s.ClaimProducer(t.Context(), "app1", "stage", "s2", "camera", now())
				wantErr(t, err, storage.ErrRoomFull)
				c.free(t, s)
				if c.name != "EndRoom" {
					mustClaim(t, s, "stage", "s2", "camera")
				}
			})
		}
	})
	t.Run("Update", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		in := mustJoin(t, s, "stage", "s1", "alice")
		mustClaim(t, s, "stage", "s1", "camera")
		mustClaim(t, s, "stage", "s1", "screen")
		before := lastSeq(t, s, "stage")
		t1 := now().Add(time.Second)
		got, err := s.UpdateSession(t.Context(), "app1", "stage", "s1", storage.SessionUpdate{
			Role: "viewer", Permissions: []string{"room.join", "consume"}, DropSources: []string{"screen", "camera", "microphone"},
		}, t1)
		noErr(t, err)
		same(t, []string{got.Role, string(got.State)}, []string{"viewer", "joined"})
		same(t, got.Permissions, []string{"consume", "room.join"})
		same(t, len(got.Sources), 0)
		same(t, got.UpdatedAt, t1)
		same(t, got.CreatedAt, in.CreatedAt)
		stored, err := s.GetSession(t.Context(), "app1", "stage", "s1")
		noErr(t, err)
		same(t, stored, got)
		same(t, eventTypes(t, s, "stage", before), []string{storage.EventPermissionsChanged, storage.EventProduceStopped, storage.EventProduceStopped})
		events := roomEvents(t, s, "stage")
		n := len(events)
		if d := events[n-3].Data; d.Session.Role != "viewer" || len(d.Session.Permissions) != 2 {
			t.Fatalf("permissions.changed data %+v", events[n-3].Data)
		}
		same(t, []string{events[n-2].Data.Source, events[n-1].Data.Source}, []string{"camera", "screen"})

		got, err = s.UpdateSession(t.Context(), "app1", "stage", "s1", storage.SessionUpdate{Permissions: []string{"consume"}}, now())
		noErr(t, err)
		same(t, got.Role, "viewer")
		same(t, got.Permissions, []string{"consume"})
		got, err = s.UpdateSession(t.Context(), "app1", "stage", "s1", storage.SessionUpdate{Permissions: []string{}}, now())
		noErr(t, err)
		same(t, len(got.Permissions), 0)
		got, err = s.UpdateSession(t.Context(), "app1", "stage", "s1", storage.SessionUpdate{Role: "host"}, now())
		noErr(t, err)
		same(t, got.Role, "viewer")

		_, err = s.UpdateSession(t.Context(), "app1", "stage", "nope", storage.SessionUpdate{Permissions: []string{}}, now())
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.EndSession(t.Context(), "app1", "stage", "s1", storage.EndLeft, now())
		noErr(t, err)
		_, err = s.UpdateSession(t.Context(), "app1", "stage", "s1", storage.SessionUpdate{Permissions: []string{"consume"}}, now())
		wantErr(t, err, storage.ErrConflict)
	})
}
