package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// openRooms opens a store with an app "app1".
func openRooms(t *testing.T, open opener) storage.Storage {
	t.Helper()
	s := open(t)
	mustApp(t, s, "app1")
	return s
}

// mustRoom creates a live room of app1 with the given caps.
func mustRoom(t *testing.T, s storage.Storage, name string, maxProducers, maxParticipants int) storage.Room {
	t.Helper()
	r := storage.Room{AppID: "app1", Name: name, Type: "conference", MaxProducers: maxProducers, MaxParticipants: maxParticipants,
		Metadata: []byte(`{"topic":"demo"}`), CreatedBy: "cli", CreatedAt: now()}
	noErr(t, s.CreateRoom(t.Context(), r, nil))
	return r
}

// newSession returns a joined session of app1 asking to enter room.
func newSession(room, id, participant string) storage.Session {
	t0 := now()
	return storage.Session{
		ID: id, AppID: "app1", Room: room, Participant: participant, Subject: "user-" + participant,
		Role: "guest", Permissions: []string{"room.join", "produce.camera", "consume"}, State: storage.SessionJoined,
		TokenID: "tok-" + id, TokenIssuer: "key1", TokenIssuedAt: t0, TokenExpiresAt: t0.Add(10 * time.Minute),
		LeaseUntil: t0.Add(time.Minute),
	}
}

// mustJoin joins a session of participant to room.
func mustJoin(t *testing.T, s storage.Storage, room, id, participant string) storage.Session {
	t.Helper()
	got, _, err := s.JoinRoom(t.Context(), newSession(room, id, participant), now())
	noErr(t, err)
	return got
}

// mustClaim makes a session produce source.
func mustClaim(t *testing.T, s storage.Storage, room, id, source string) storage.Session {
	t.Helper()
	got, err := s.ClaimProducer(t.Context(), "app1", room, id, source, now())
	noErr(t, err)
	return got
}

// roomEvents returns every event of a room of app1.
func roomEvents(t *testing.T, s storage.Storage, room string) []storage.RoomEvent {
	t.Helper()
	events, err := s.ListRoomEvents(t.Context(), "app1", room, 0, 0)
	noErr(t, err)
	return events
}

// eventTypes returns the types of a room's events after seq, in order.
func eventTypes(t *testing.T, s storage.Storage, room string, after int64) []string {
	t.Helper()
	events, err := s.ListRoomEvents(t.Context(), "app1", room, after, 0)
	noErr(t, err)
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	return types
}

// lastSeq returns the seq of a room's newest event, or zero.
func lastSeq(t *testing.T, s storage.Storage, room string) int64 {
	t.Helper()
	events := roomEvents(t, s, room)
	if len(events) == 0 {
		return 0
	}
	return events[len(events)-1].Seq
}

// sessionIDs returns the ids of sessions, in order.
func sessionIDs(sessions []storage.Session) []string {
	var ids []string
	for _, s := range sessions {
		ids = append(ids, s.ID)
	}
	return ids
}

// raceN runs fn in n goroutines released at once and returns their errors.
func raceN(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}
