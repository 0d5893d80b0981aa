package storagetest

import (
	"fmt"
	"testing"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// roomRacers is how many goroutines race for a room's slots.
const roomRacers = 50

func testRoomRaces(t *testing.T, open opener) {
	for _, limit := range []int{1, 10} {
		t.Run(fmt.Sprintf("ClaimProducer%d", limit), func(t *testing.T) {
			s := openRooms(t, open)
			mustRoom(t, s, "stage", limit, 0)
			for i := range roomRacers {
				mustJoin(t, s, "stage", fmt.Sprintf("s%d", i), fmt.Sprintf("p%d", i))
			}
			errs := raceN(roomRacers, func(i int) error {
				_, err := s.ClaimProducer(t.Context(), "app1", "stage", fmt.Sprintf("s%d", i), "camera", now())
				return err
			})
			ok, full := tally(t, errs, storage.ErrRoomFull)
			same(t, []int{ok, full}, []int{limit, roomRacers - limit})
			producing := 0
			live, err := s.ListSessions(t.Context(), "app1", "stage")
			noErr(t, err)
			for _, ses := range live {
				if ses.Producing() {
					producing++
				}
			}
			same(t, producing, limit)
			started := 0
			for _, typ := range eventTypes(t, s, "stage", 0) {
				if typ == storage.EventProduceStarted {
					started++
				}
			}
			same(t, started, limit)
		})
		t.Run(fmt.Sprintf("JoinRoom%d", limit), func(t *testing.T) {
			s := openRooms(t, open)
			mustRoom(t, s, "stage", 0, limit)
			errs := raceN(roomRacers, func(i int) error {
				_, _, err := s.JoinRoom(t.Context(), newSession("stage", fmt.Sprintf("s%d", i), fmt.Sprintf("p%d", i)), now())
				return err
			})
			ok, full := tally(t, errs, storage.ErrRoomFull)
			same(t, []int{ok, full}, []int{limit, roomRacers - limit})
			live, err := s.ListSessions(t.Context(), "app1", "stage")
			noErr(t, err)
			same(t, len(live), limit)
			same(t, len(eventTypes(t, s, "stage", 0)), limit+1)
		})
	}
	t.Run("CreateRoom", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "ended", 0, 0)
		_, err := s.EndRoom(t.Context(), "app1", "ended", now(), nil)
		noErr(t, err)
		for _, name := range []string{"new", "ended"} {
			errs := raceN(roomRacers, func(i int) error {
				return s.CreateRoom(t.Context(), storage.Room{AppID: "app1", Name: name, Type: "private", MaxProducers: i, CreatedAt: now()}, nil)
			})
			ok, exists := tally(t, errs, storage.ErrAlreadyExists)
			same(t, []int{ok, exists}, []int{1, roomRacers - 1})
			r, err := s.GetRoom(t.Context(), "app1", name)
			noErr(t, err)
			if r.Ended() || errs[r.MaxProducers] != nil {
				t.Fatalf("room %+v is not the one created", r)
			}
		}
	})
	t.Run("SameParticipant", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 0, 1)
		errs := raceN(roomRacers, func(i int) error {
			_, _, err := s.JoinRoom(t.Context(), newSession("stage", fmt.Sprintf("s%d", i), "alice"), now())
			return err
		})
		ok, _ := tally(t, errs, storage.ErrRoomFull)
		same(t, ok, roomRacers)
		live, err := s.ListSessions(t.Context(), "app1", "stage")
		noErr(t, err)
		same(t, len(live), 1)
	})
	t.Run("ClaimSameSession", func(t *testing.T) {
		s := openRooms(t, open)
		mustRoom(t, s, "stage", 1, 0)
		mustJoin(t, s, "stage", "s1", "alice")
		sources := []string{"camera", "microphone", "screen"}
		errs := raceN(roomRacers, func(i int) error {
			_, err := s.ClaimProducer(t.Context(), "app1", "stage", "s1", sources[i%len(sources)], now())
			return err
		})
		ok, _ := tally(t, errs, storage.ErrRoomFull)
		same(t, ok, roomRacers)
		got, err := s.GetSession(t.Context(), "app1", "stage", "s1")
		noErr(t, err)
		same(t, got.Sources, sources)
	})
}
