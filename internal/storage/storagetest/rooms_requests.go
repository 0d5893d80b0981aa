package storagetest

import (
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func testPermissionRequests(t *testing.T, open opener) {
	request := func(id, session, permission string) storage.PermissionRequest {
		return storage.PermissionRequest{ID: id, AppID: "app1", Room: "stage", SessionID: session, Permission: permission}
	}
	t.Run("Grant", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		mustJoin(t, s, "stage", "s1", "alice")
		t1 := now().Add(time.Second)
		got, err := s.CreatePermissionRequest(t.Context(), request("r1", "s1", "data.send"), t1)
		noErr(t, err)
		want := request("r1", "s1", "data.send")
		want.State, want.CreatedAt = storage.RequestPending, t1
		same(t, got, want)
		events := roomEvents(t, s, "stage")
		e := events[len(events)-1]
		same(t, []string{e.Type, e.SessionID}, []string{storage.EventRequestCreated, "s1"})
		if d := e.Data; d.Request == nil || d.Request.ID != "r1" || d.Request.Permission != "data.send" ||
			d.Request.State != storage.RequestPending || d.Session.ID != "s1" {
			t.Fatalf("request.created data %+v", e.Data)
		}
		before := e.Seq
		t2 := t1.Add(time.Second)
		r, ses, err := s.ResolvePermissionRequest(t.Context(), "app1", "stage", "r1", true, t2)
		noErr(t, err)
		want.State, want.ResolvedAt = storage.RequestGranted, t2
		same(t, r, want)
		same(t, ses.Permissions, []string{"consume", "data.send", "produce.camera", "room.join"})
		same(t, ses.UpdatedAt, t2)
		stored, err := s.GetSession(t.Context(), "app1", "stage", "s1")
		noErr(t, err)
		same(t, stored, ses)
		same(t, eventTypes(t, s, "stage", before), []string{storage.EventRequestResolved, storage.EventPermissionsChanged})
		events = roomEvents(t, s, "stage")
		e = events[len(events)-2]
		if d := e.Data; d.Request == nil || d.Request.State != storage.RequestGranted || len(d.Session.Permissions) != 4 {
			t.Fatalf("request.resolved data %+v", e.Data)
		}
		_, _, err = s.ResolvePermissionRequest(t.Context(), "app1", "stage", "r1", false, now())
		wantErr(t, err, storage.ErrConflict)
	})
	t.Run("Deny", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		in := mustJoin(t, s, "stage", "s1", "alice")
		_, err := s.CreatePermissionRequest(t.Context(), request("r1", "s1", "data.send"), now())
		noErr(t, err)
		r, ses, err := s.ResolvePermissionRequest(t.Context(), "app1", "stage", "r1", false, now())
		noErr(t, err)
		same(t, r.State, storage.RequestDenied)
		same(t, ses, in)
		same(t, eventTypes(t, s, "stage", 0)[3:], []string{storage.EventRequestResolved})
		_, _, err = s.ResolvePermissionRequest(t.Context(), "app1", "stage", "r1", true, now())
		wantErr(t, err, storage.ErrConflict)
		stored, err := s.GetSession(t.Context(), "app1", "stage", "s1")
		noErr(t, err)
		same(t, stored.Permissions, in.Permissions)
	})
	t.Run("Refused", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		mustRoom(t, s, "other", 0, 0)
		mustJoin(t, s, "stage", "s1", "alice")
		mustJoin(t, s, "stage", "s2", "bob")
		_, err := s.CreatePermissionRequest(t.Context(), request("r1", "s1", "data.send"), now())
		noErr(t, err)
		_, err = s.CreatePermissionRequest(t.Context(), request("r1", "s2", "data.send"), now())
		wantErr(t, err, storage.ErrAlreadyExists)
		for _, r := range []storage.PermissionRequest{
			request("", "s1", "data.send"), request("r2", "", "data.send"), request("r2", "s1", ""),
			{ID: "r2", AppID: "app1", SessionID: "s1", Permission: "data.send"},
		} {
			_, err := s.CreatePermissionRequest(t.Context(), r, now())
			wantErr(t, err, storage.ErrInvalid)
		}
		_, err = s.CreatePermissionRequest(t.Context(), request("r2", "nope", "data.send"), now())
		wantErr(t, err, storage.ErrNotFound)
		other := request("r2", "s1", "data.send")
		other.Room = "other"
		_, err = s.CreatePermissionRequest(t.Context(), other, now())
		wantErr(t, err, storage.ErrNotFound)
		_, _, err = s.ResolvePermissionRequest(t.Context(), "app1", "other", "r1", true, now())
		wantErr(t, err, storage.ErrNotFound)
		_, _, err = s.ResolvePermissionRequest(t.Context(), "app1", "stage", "nope", true, now())
		wantErr(t, err, storage.ErrNotFound)

		_, err = s.EndSession(t.Context(), "app1", "stage", "s1", storage.EndLeft, now())
		noErr(t, err)
		_, err = s.CreatePermissionRequest(t.Context(), request("r3", "s1", "data.send"), now())
		wantErr(t, err, storage.ErrConflict)
		_, _, err = s.ResolvePermissionRequest(t.Context(), "app1", "stage", "r1", true, now())
		wantErr(t, err, storage.ErrConflict)
	})
}

func testBlocks(t *testing.T, open opener) {
	t.Run("Block", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		mustRoom(t, s, "other", 0, 0)
		mustJoin(t, s, "stage", "s1", "mallory")
		ch := subscribe(t, s)
		t1 := now().Add(time.Second)
		kicked, err := s.BlockParticipant(t.Context(), "app1", "stage", "mallory", t1, auditEntry("room.block", "app1", "mallory"))
		noErr(t, err)
		same(t, []string{kicked.ID, string(kicked.State), kicked.EndReason}, []string{"s1", string(storage.SessionEnded), storage.EndKicked})
		same(t, kicked.UpdatedAt, t1)
		events := roomEvents(t, s, "stage")
		e := events[len(events)-1]
		if d := e.Data; e.Type != storage.EventSessionEnded || d.Reason != storage.EndKicked {
			t.Fatalf("event %s %+v", e.Type, e.Data)
		}
		expectChanges(t, ch, storage.Change{Kind: storage.ChangeRoom, AppID: "app1", Room: "stage", Cursor: e.Seq})
		same(t, auditActions(t, s, "app1"), []string{"room.block"})
		_, _, err = s.JoinRoom(t.Context(), newSession("stage", "s2", "mallory"), now())
		wantErr(t, err, storage.ErrBlocked)
		mustJoin(t, s, "other", "s3", "mallory")

		before := lastSeq(t, s, "stage")
		kicked, err = s.BlockParticipant(t.Context(), "app1", "stage", "eve", now(), nil)
		noErr(t, err)
		same(t, kicked, storage.Session{})
		same(t, len(eventTypes(t, s, "stage", before)), 0)
		expectChanges(t, ch, storage.Change{Kind: storage.ChangeRoom, AppID: "app1", Room: "stage", Cursor: before})
		_, err = s.BlockParticipant(t.Context(), "app1", "stage", "eve", now(), nil)
		noErr(t, err)
		blocked, err := s.Blocked(t.Context(), "app1", "stage")
		noErr(t, err)
		same(t, blocked, []string{"eve", "mallory"})
		blocked, err = s.Blocked(t.Context(), "app1", "other")
		noErr(t, err)
		same(t, len(blocked), 0)
	})
	t.Run("Refused", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 0)
		_, err := s.BlockParticipant(t.Context(), "app1", "nope", "eve", now(), auditEntry("room.block", "app1", "eve"))
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.BlockParticipant(t.Context(), "app1", "stage", "", now(), nil)
		wantErr(t, err, storage.ErrInvalid)
		_, err = s.BlockParticipant(t.Context(), "app1", "stage", "eve", now(), &storage.AuditEntry{Action: "room.block"})
		wantErr(t, err, storage.ErrInvalid)
		blocked, err := s.Blocked(t.Context(), "app1", "stage")
		noErr(t, err)
		same(t, len(blocked), 0)
		same(t, len(auditActions(t, s, "app1")), 0)
	})
}

func testSessionPolicies(t *testing.T, open opener) {
	s := openRooms(t, open)
	ch := subscribe(t, s)
	noErr(t, s.SetSessionPolicy(t.Context(), "app1", "join", auditEntry("app.session_policy", "app1", "join")))
	app, err := s.GetApp(t.Context(), "app1")
	noErr(t, err)
	same(t, app.SessionPolicy, "join")
	expectChanges(t, ch, storage.Change{Kind: storage.ChangeApp, AppID: "app1"})
	noErr(t, s.SetSessionPolicy(t.Context(), "app1", "continuous", nil))
	app, err = s.GetApp(t.Context(), "app1")
	noErr(t, err)
	same(t, app.SessionPolicy, "continuous")
	wantErr(t, s.SetSessionPolicy(t.Context(), "app1", "strict", auditEntry("app.session_policy", "app1", "strict")), storage.ErrInvalid)
	wantErr(t, s.SetSessionPolicy(t.Context(), "app1", "", nil), storage.ErrInvalid)
	wantErr(t, s.SetSessionPolicy(t.Context(), "nope", "join", auditEntry("app.session_policy", "nope", "join")), storage.ErrNotFound)
	same(t, auditActions(t, s, "app1"), []string{"app.session_policy"})
	same(t, len(auditActions(t, s, "nope")), 0)
	app, err = s.GetApp(t.Context(), "app1")
	noErr(t, err)
	same(t, app.SessionPolicy, "continuous")
}
