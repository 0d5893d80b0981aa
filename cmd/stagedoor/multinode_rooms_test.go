package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"
)

// TestProducerRaceAcrossNodes has 50 participants, spread over three nodes
// on one PostgreSQL database, race to produce in a private room (exactly 1
// wins) and in a conference (exactly 10 win); the others get 409 room_full.
func TestProducerRaceAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	db := testDatabase(t)
	mk := make([]byte, 32)
	rand.Read(mk)
	t.Setenv("STAGEDOOR_MASTER_KEY", base64.StdEncoding.EncodeToString(mk))
	t.Setenv("STAGEDOOR_DATABASE", db)
	n1 := startServe(t, t.TempDir())
	m := bannerKey.FindStringSubmatch(n1.stdout)
	if m == nil {
		t.Fatalf("first node printed no API key:\n%s", n1.stdout)
	}
	key, sec := m[1], m[2]
	nodes := []*process{n1, startServe(t, t.TempDir()), startServe(t, t.TempDir())}

	for _, room := range []struct {
		name, kind string
		winners    int
	}{{"one-to-many", "private", 1}, {"meeting", "conference", 10}} {
		t.Run(room.kind, func(t *testing.T) {
			if status, body := n1.post(t, "/v1/rooms", key, sec, fmt.Sprintf(`{"name":%q,"type":%q}`, room.name, room.kind)); status != 201 {
				t.Fatalf("create room: %d %v", status, body)
			}
			type seat struct {
				node    *process
				tok, id string
			}
			seats := make([]seat, 50)
			for i := range seats {
				node := nodes[i%len(nodes)]
				status, tok := node.post(t, "/v1/tokens", key, sec,
					fmt.Sprintf(`{"user_id":"p%d","role":"conference-participant","rooms":[%q]}`, i, room.name))
				if status != 201 {
					t.Fatalf("mint: %d %v", status, tok)
				}
				access := tok["access_token"].(string)
				status, ses := bearerPost(t, node.url, "/v1/rooms/"+room.name+"/join", access, `{}`)
				if status != 201 || ses["state"] != "joined" {
					t.Fatalf("join on %s: %d %v", node.url, status, ses)
				}
				seats[i] = seat{node: node, tok: access, id: ses["session_id"].(string)}
			}
			var (
				wg               sync.WaitGroup
				mu               sync.Mutex
				won, full, other int
			)
			start := make(chan struct{})
			for _, st := range seats {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					status, body := bearerPost(t, st.node.url, "/v1/rooms/"+room.name+"/sessions/"+st.id+"/produce", st.tok, `{"source":"camera"}`)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case status == 200:
						won++
					case status == 409 && body["code"] == "room_full":
						full++
					default:
						other++
						t.Errorf("produce: %d %v", status, body)
					}
				}()
			}
			close(start)
			wg.Wait()
			if won != room.winners || full != 50-room.winners || other != 0 {
				t.Fatalf("%d won, %d room_full, %d other; want %d winners", won, full, other, room.winners)
			}
		})
	}
}
