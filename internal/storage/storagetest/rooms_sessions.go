package storagetest

import (
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func testSessions(t *testing.T, open opener) {
	t.Run("Join", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		in := newSession("stage", "s1", "alice")
		in.Permissions = []string{"room.join", "consume", "produce.camera", "consume"}
		in.Sources = []string{"camera"}
		t1 := now().Add(time.Second)
		got, replaced, err := s.JoinRoom(t.Context(), in, t1)
		noErr(t, err)
		same(t, len(replaced), 0)
		want := in
		want.Permissions = []string{"consume", "produce.camera", "room.join"}
		want.Sources = nil
		want.CreatedAt, want.UpdatedAt = t1, t1
		same(t, got, want)
		stored, err := s.GetSession(t.Context(), "app1", "stage", "s1")
		noErr(t, err)
		same(t, stored, want)
		events := roomEvents(t, s, "stage")
		e := events[len(events)-1]
		same(t, []string{e.Type, e.SessionID}, []string{storage.EventSessionJoined, "s1"})
		same(t, e.Time, t1)
		d := e.Data
		if d.Session == nil || d.Session.ID != "s1" || d.Session.Participant != "alice" || d.Session.Subject != "user-alice" ||
			d.Session.Role != "guest" || d.Session.State != "joined" || d.Session.EndReason != "" {
			t.Fatalf("session.joined data %+v", e.Data)
		}
		same(t, d.Session.Permissions, want.Permissions)
		if d.Session.Sources == nil || len(d.Session.Sources) != 0 {
			t.Fatalf("session.joined sources %+v", e.Data)
		}
	})
	t.Run("JoinWaiting", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		in := newSession("stage", "s1", "alice")
		in.State = storage.SessionWaiting
		in.TokenExpiresAt = time.Time{}
		got, _, err := s.JoinRoom(t.Context(), in, now())
		noErr(t, err)
		same(t, got.State, storage.SessionWaiting)
		same(t, got.TokenExpiresAt, time.Time{})
		same(t, eventTypes(t, s, "stage", 0), []string{storage.EventRoomCreated, storage.EventSessionWaiting})
		admitted, err := s.AdmitSession(t.Context(), "app1", "stage", "s1", now())
		noErr(t, err)
		same(t, admitted.State, storage.SessionJoined)
		same(t, eventTypes(t, s, "stage", 0)[2:], []string{storage.EventSessionAdmitted})
		_, err = s.AdmitSession(t.Context(), "app1", "stage", "s1", now())
		wantErr(t, err, storage.ErrConflict)
		_, err = s.AdmitSession(t.Context(), "app1", "stage", "nope", now())
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("JoinRefused", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 1)
		mustRoom(t, s, "ended", 0, 0)
		_, err := s.EndRoom(t.Context(), "app1", "ended", now(), nil)
		noErr(t, err)
		_, err = s.BlockParticipant(t.Context(), "app1", "stage", "mallory", now(), nil)
		noErr(t, err)
		mustJoin(t, s, "stage", "s1", "alice")
		before := lastSeq(t, s, "stage")
		noLease := newSession("stage", "x", "bob")
		noLease.LeaseUntil = time.Time{}
		ended := newSession("stage", "x", "bob")
		ended.State = storage.SessionEnded
		for _, c := range []struct {
			s   storage.Session
			err error
		}{
			{newSession("nope", "x", "bob"), storage.ErrNotFound},
			{newSession("ended", "x", "bob"), storage.ErrConflict},
			{newSession("stage", "x", "mallory"), storage.ErrBlocked},
			{newSession("stage", "x", "bob"), storage.ErrRoomFull},
			{newSession("stage", "s1", "bob"), storage.ErrRoomFull},
			{newSession("stage", "", "bob"), storage.ErrInvalid},
			{newSession("stage", "x", ""), storage.ErrInvalid},
			{noLease, storage.ErrInvalid},
			{ended, storage.ErrInvalid},
		} {
			_, _, err := s.JoinRoom(t.Context(), c.s, now())
			wantErr(t, err, c.err)
		}
		_, err = s.GetSession(t.Context(), "app1", "stage", "x")
		wantErr(t, err, storage.ErrNotFound)
		live, err := s.ListSessions(t.Context(), "app1", "")
		noErr(t, err)
		same(t, sessionIDs(live), []string{"s1"})
		same(t, len(eventTypes(t, s, "stage", before)), 0)
	})
	t.Run("DuplicateID", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		mustJoin(t, s, "stage", "s1", "alice")
		_, _, err := s.JoinRoom(t.Context(), newSession("stage", "s1", "bob"), now())
		wantErr(t, err, storage.ErrAlreadyExists)
	})
	t.Run("DuplicateIdentity", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 1, 2)
		first := mustJoin(t, s, "stage", "s1", "alice")
		mustClaim(t, s, "stage", "s1", "camera")
		mustJoin(t, s, "stage", "s2", "bob")
		before := lastSeq(t, s, "stage")
		in := newSession("stage", "s3", "alice")
		in.State = storage.SessionWaiting
		t1 := now().Add(time.Second)
		got, replaced, err := s.JoinRoom(t.Context(), in, t1)
		noErr(t, err)
		same(t, got.ID, "s3")
		same(t, sessionIDs(replaced), []string{"s1"})
		old := replaced[0]
		same(t, []string{string(old.State), old.EndReason}, []string{string(storage.SessionEnded), storage.EndDuplicateIdentity})
		same(t, len(old.Sources), 0)
		same(t, old.CreatedAt, first.CreatedAt)
		same(t, old.UpdatedAt, t1)
		stored, err := s.GetSession(t.Context(), "app1", "stage", "s1")
		noErr(t, err)
		same(t, stored, old)
		same(t, eventTypes(t, s, "stage", before), []string{storage.EventSessionEnded, storage.EventSessionWaiting})
		events := roomEvents(t, s, "stage")
		if d := events[len(events)-2].Data; d.Reason != storage.EndDuplicateIdentity || d.Session.ID != "s1" {
			t.Fatalf("session.ended data %+v", events[len(events)-2].Data)
		}
		live, err := s.ListSessions(t.Context(), "app1", "stage")
		noErr(t, err)
		same(t, sessionIDs(live), []string{"s2", "s3"})
	})
	t.Run("GetAndList", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "a", 0, 0)
		mustRoom(t, s, "b", 0, 0)
		mustJoin(t, s, "a", "s1", "alice")
		mustJoin(t, s, "b", "s2", "alice")
		mustJoin(t, s, "a", "s3", "bob")
		mustJoin(t, s, "a", "s4", "carol")
		_, err := s.EndSession(t.Context(), "app1", "a", "s3", storage.EndLeft, now())
		noErr(t, err)
		live, err := s.ListSessions(t.Context(), "app1", "a")
		noErr(t, err)
		same(t, sessionIDs(live), []string{"s1", "s4"})
		live, err = s.ListSessions(t.Context(), "app1", "")
		noErr(t, err)
		same(t, sessionIDs(live), []string{"s1", "s2", "s4"})
		ended, err := s.GetSession(t.Context(), "app1", "a", "s3")
		noErr(t, err)
		same(t, ended.State, storage.SessionEnded)
		_, err = s.GetSession(t.Context(), "app1", "b", "s1")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetSession(t.Context(), "app1", "a", "nope")
		wantErr(t, err, storage.ErrNotFound)
		own, err := s.ParticipantSession(t.Context(), "app1", "a", "carol")
		noErr(t, err)
		same(t, own.ID, "s4")
		own, err = s.ParticipantSession(t.Context(), "app1", "b", "alice")
		noErr(t, err)
		same(t, own.ID, "s2")
		for _, who := range [][2]string{{"a", "bob"}, {"b", "carol"}, {"c", "alice"}} {
			_, err = s.ParticipantSession(t.Context(), "app1", who[0], who[1])
			wantErr(t, err, storage.ErrNotFound)
		}
		_, err = s.ParticipantSession(t.Context(), "app2", "a", "alice")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("End", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		mustJoin(t, s, "stage", "s1", "alice")
		mustClaim(t, s, "stage", "s1", "camera")
		t1 := now().Add(time.Second)
		got, err := s.EndSession(t.Context(), "app1", "stage", "s1", storage.EndKicked, t1)
		noErr(t, err)
		same(t, []string{string(got.State), got.EndReason}, []string{string(storage.SessionEnded), storage.EndKicked})
		same(t, len(got.Sources), 0)
		same(t, got.UpdatedAt, t1)
		events := roomEvents(t, s, "stage")
		e := events[len(events)-1]
		same(t, e.Type, storage.EventSessionEnded)
		if d := e.Data; d.Reason != storage.EndKicked || d.Session.State != "ended" || d.Session.EndReason != storage.EndKicked {
			t.Fatalf("session.ended data %+v", e.Data)
		}
		_, err = s.EndSession(t.Context(), "app1", "stage", "s1", storage.EndLeft, now())
		wantErr(t, err, storage.ErrConflict)
		_, err = s.EndSession(t.Context(), "app1", "stage", "nope", storage.EndLeft, now())
		wantErr(t, err, storage.ErrNotFound)
		mustJoin(t, s, "stage", "s2", "bob")
		_, err = s.EndSession(t.Context(), "app1", "stage", "s2", "", now())
		wantErr(t, err, storage.ErrInvalid)
	})
	t.Run("EndExpired", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "a", 0, 0)
		mustRoom(t, s, "b", 0, 0)
		t0 := now()
		join := func(room, id string, lease, token time.Time) {
			in := newSession(room, id, id)
			in.LeaseUntil, in.TokenExpiresAt = lease, token
			_, _, err := s.JoinRoom(t.Context(), in, t0)
			noErr(t, err)
		}
		join("a", "lease", t0.Add(time.Minute), time.Time{})
		join("b", "token", t0.Add(time.Hour), t0.Add(time.Minute))
		join("a", "both", t0.Add(time.Minute), t0.Add(time.Minute))
		join("a", "unwatched", t0.Add(time.Hour), time.Time{})
		join("b", "later", t0.Add(time.Hour), t0.Add(2*time.Minute))
		gone, err := s.EndExpiredSessions(t.Context(), t0.Add(time.Minute-time.Millisecond))
		noErr(t, err)
		same(t, len(gone), 0)
		gone, err = s.EndExpiredSessions(t.Context(), t0.Add(time.Minute))
		noErr(t, err)
		same(t, sessionIDs(gone), []string{"lease", "token", "both"})
		same(t, []string{gone[0].EndReason, gone[1].EndReason, gone[2].EndReason},
			[]string{storage.EndLeaseExpired, storage.EndTokenExpired, storage.EndLeaseExpired})
		live, err := s.ListSessions(t.Context(), "app1", "")
		noErr(t, err)
		same(t, sessionIDs(live), []string{"unwatched", "later"})
		same(t, eventTypes(t, s, "b", 0), []string{storage.EventRoomCreated, storage.EventSessionJoined, storage.EventSessionJoined, storage.EventSessionEnded})
		events := roomEvents(t, s, "b")
		if d := events[3].Data; d.Reason != storage.EndTokenExpired || d.Session.ID != "token" {
			t.Fatalf("session.ended data %+v", events[3].Data)
		}
		gone, err = s.EndExpiredSessions(t.Context(), t0.Add(time.Minute))
		noErr(t, err)
		same(t, len(gone), 0)
	})
	t.Run("Renew", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		in := mustJoin(t, s, "stage", "s1", "alice")
		before := lastSeq(t, s, "stage")
		t1 := now().Add(time.Second)
		got, err := s.RenewSession(t.Context(), "app1", "stage", "s1", t1.Add(time.Minute), "", "", time.Time{}, time.Time{}, t1)
		noErr(t, err)
		want := in
		want.LeaseUntil, want.UpdatedAt = t1.Add(time.Minute), t1
		same(t, got, want)
		got, err = s.RenewSession(t.Context(), "app1", "stage", "s1", t1.Add(2*time.Minute), "tok2", "key2", t1, time.Time{}, t1)
		noErr(t, err)
		want.LeaseUntil = t1.Add(2 * time.Minute)
		want.TokenID, want.TokenIssuer, want.TokenIssuedAt, want.TokenExpiresAt = "tok2", "key2", t1, time.Time{}
		same(t, got, want)
		stored, err := s.GetSession(t.Context(), "app1", "stage", "s1")
		noErr(t, err)
		same(t, stored, want)
		gone, err := s.EndExpiredSessions(t.Context(), in.LeaseUntil)
		noErr(t, err)
		same(t, len(gone), 0)
		same(t, len(eventTypes(t, s, "stage", before)), 0)
		_, err = s.RenewSession(t.Context(), "app1", "stage", "s1", time.Time{}, "", "", time.Time{}, time.Time{}, t1)
		wantErr(t, err, storage.ErrInvalid)
		_, err = s.EndSession(t.Context(), "app1", "stage", "s1", storage.EndLeft, t1)
		noErr(t, err)
		_, err = s.RenewSession(t.Context(), "app1", "stage", "s1", t1.Add(time.Hour), "", "", time.Time{}, time.Time{}, t1)
		wantErr(t, err, storage.ErrConflict)
		_, err = s.RenewSession(t.Context(), "app1", "stage", "nope", t1.Add(time.Hour), "", "", time.Time{}, time.Time{}, t1)
		wantErr(t, err, storage.ErrNotFound)
	})
}
