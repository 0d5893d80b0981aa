package sqldata

import (
	"reflect"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func TestEventDataRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for name, d := range map[string]storage.RoomEventData{
		"session ended": {Reason: storage.EndKicked, Session: &storage.Session{
			ID: "s1", AppID: "app1", Room: "stage", Participant: "alice", Subject: "user-alice", Role: "guest",
			Permissions: []string{"consume", "room.join"}, State: storage.SessionEnded, Sources: []string{},
			EndReason: storage.EndKicked, LeaseUntil: at.Add(time.Minute), TokenExpiresAt: at.Add(time.Hour), CreatedAt: at,
		}},
		"request": {
			Session: &storage.Session{ID: "s1", AppID: "app1", Room: "stage", Participant: "alice", Permissions: []string{}, Sources: []string{"camera"}, State: storage.SessionJoined},
			Request: &storage.PermissionRequest{ID: "r1", AppID: "app1", Room: "stage", SessionID: "s1", Permission: "produce.screen", State: storage.RequestPending},
		},
		"room": {Room: &storage.Room{AppID: "app1", Name: "stage", Type: "livestream", MaxProducers: 2,
			Metadata: []byte(`{"topic":"launch"}`), CreatedBy: "key:sdk_x", CreatedAt: at, EndedAt: at.Add(time.Hour)}},
	} {
		t.Run(name, func(t *testing.T) {
			e := storage.RoomEvent{Seq: 7, AppID: "app1", Room: "stage", SessionID: "s1"}
			if err := decodeEventData(&e, EncodeEventData(d)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(e.Data, d) {
				t.Fatalf("read back\n%+v\nwrote\n%+v", e.Data, d)
			}
		})
	}
}

// Events stored before sessions carried their lease and times read the
// same, with those times zero.
func TestEventDataStoredBefore(t *testing.T) {
	e := storage.RoomEvent{Seq: 3, AppID: "app1", Room: "stage", SessionID: "s1"}
	old := `{"session":{"id":"s1","participant":"alice","subject":"user-alice","role":"host","permissions":["consume"],"state":"ended","sources":[],"end_reason":"left"},"reason":"left"}`
	if err := decodeEventData(&e, []byte(old)); err != nil {
		t.Fatal(err)
	}
	want := storage.RoomEventData{Reason: "left", Session: &storage.Session{
		ID: "s1", AppID: "app1", Room: "stage", Participant: "alice", Subject: "user-alice", Role: "host",
		Permissions: []string{"consume"}, State: storage.SessionEnded, Sources: []string{}, EndReason: "left",
	}}
	if !reflect.DeepEqual(e.Data, want) {
		t.Fatalf("read\n%+v\nwant\n%+v", e.Data, want)
	}
}

func TestEventDataUnreadable(t *testing.T) {
	e := storage.RoomEvent{Seq: 9}
	if err := decodeEventData(&e, []byte(`{"session":`)); err == nil {
		t.Fatal("truncated data read without error")
	}
}
