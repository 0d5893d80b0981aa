package postgres

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// roomNodes returns two stores sharing one schema, with an app and a room
// of the given caps.
func roomNodes(t *testing.T, maxProducers, maxParticipants int) (a, b *Store) {
	t.Helper()
	dsn := testDSN(t)
	a, b = open(t, dsn), open(t, dsn)
	if err := a.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	r := storage.Room{AppID: "app1", Name: "stage", Type: "conference", MaxProducers: maxProducers, MaxParticipants: maxParticipants}
	if err := a.CreateRoom(t.Context(), r, nil); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func joinSession(id string, now time.Time) storage.Session {
	return storage.Session{ID: id, AppID: "app1", Room: "stage", Participant: "p-" + id, State: storage.SessionJoined, LeaseUntil: now.Add(time.Minute)}
}

func TestRoomChangesReachOtherNodes(t *testing.T) {
	a, b := roomNodes(t, 0, 0)
	ch, err := b.Changes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.JoinRoom(t.Context(), joinSession("s1", time.Now()), time.Now()); err != nil {
		t.Fatal(err)
	}
	events, err := b.ListRoomEvents(t.Context(), "app1", "stage", 0, 0)
	if err != nil || len(events) != 2 {
		t.Fatalf("events %+v, %v", events, err)
	}
	receive(t, ch, storage.Change{Kind: storage.ChangeRoom, AppID: "app1", Room: "stage", Cursor: events[1].Seq})
}

func TestChangeEncoding(t *testing.T) {
	for _, c := range []storage.Change{
		{Kind: storage.ChangeRoom, AppID: "app1", Room: "stage", Cursor: 42},
		{Kind: storage.ChangeRevocation, AppID: "app1", Cursor: 7},
		{Kind: storage.ChangeSigningKey},
	} {
		got, err := decodeChange(encodeChange(c))
		if err != nil || got != c {
			t.Errorf("%+v came back as %+v, %v", c, got, err)
		}
	}
}

// raceNodes runs fn n times at once, alternating between two nodes, and
// returns how many calls succeeded and how many were refused with
// ErrRoomFull.
func raceNodes(t *testing.T, a, b *Store, n int, fn func(s *Store, i int) error) (ok, full int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			<-start
			err := fn(s, i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, storage.ErrRoomFull):
				full++
			default:
				t.Errorf("call %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return ok, full
}

func TestProducerCapAcrossNodes(t *testing.T) {
	const racers, limit = 40, 3
	a, b := roomNodes(t, limit, 0)
	now := time.Now()
	for i := range racers {
		if _, _, err := a.JoinRoom(t.Context(), joinSession(fmt.Sprintf("s%d", i), now), now); err != nil {
			t.Fatal(err)
		}
	}
	ok, full := raceNodes(t, a, b, racers, func(s *Store, i int) error {
		_, err := s.ClaimProducer(t.Context(), "app1", "stage", fmt.Sprintf("s%d", i), "camera", time.Now())
		return err
	})
	if ok != limit || full != racers-limit {
		t.Fatalf("%d claims won and %d were refused, want %d and %d", ok, full, limit, racers-limit)
	}
}

func TestParticipantCapAcrossNodes(t *testing.T) {
	const racers, limit = 40, 5
	a, b := roomNodes(t, 0, limit)
	ok, full := raceNodes(t, a, b, racers, func(s *Store, i int) error {
		_, _, err := s.JoinRoom(t.Context(), joinSession(fmt.Sprintf("s%d", i), time.Now()), time.Now())
		return err
	})
	if ok != limit || full != racers-limit {
		t.Fatalf("%d joins won and %d were refused, want %d and %d", ok, full, limit, racers-limit)
	}
}

func TestSweepsOfTwoNodesEndEachSessionOnce(t *testing.T) {
	a, b := roomNodes(t, 0, 0)
	now := time.Now()
	for i := range 20 {
		if _, _, err := a.JoinRoom(t.Context(), joinSession(fmt.Sprintf("s%d", i), now), now); err != nil {
			t.Fatal(err)
		}
	}
	later := now.Add(time.Hour)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, s := range []*Store{a, b} {
		wg.Go(func() {
			ended, err := s.EndExpiredSessions(t.Context(), later)
			if err != nil {
				t.Error(err)
			}
			counts[i] = len(ended)
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != 20 {
		t.Fatalf("sweeps ended %v sessions, want 20 in all", counts)
	}
	events, err := a.ListRoomEvents(t.Context(), "app1", "stage", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 41 {
		t.Fatalf("%d events, want 41", len(events))
	}
}
