package main

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/load"
)

// Workload of BenchmarkRoomNodes.
const (
	// roomBenchSeats is how many participants the join and produce
	// measurements each cycle through.
	roomBenchSeats = 256
	// roomBenchDeliveries is how many actions, half joins and half
	// produces, the delivery measurement times.
	roomBenchDeliveries = 200
	// roomBenchEventWait bounds the wait for one event on a stream.
	roomBenchEventWait = 5 * time.Second
)

// roomCluster is a set of running nodes sharing one database, the API key
// the first one printed, and the participants of the rooms it measures.
type roomCluster struct {
	nodes    []*process
	key, sec string
	// joinToks are guests of room "joins", one identity each.
	joinToks []string
	// prodToks and prodIDs are the participants of conference "conf" and
	// their joined sessions.
	prodToks, prodIDs []string
}

// startRoomCluster starts n `stagedoor serve` nodes on the database set in
// STAGEDOOR_DATABASE (SQLite when empty), creates the rooms "joins" and
// "conf" (a conference: ten producer slots), mints a token for each
// participant and joins the conference's participants, spread over the
// nodes.
func startRoomCluster(b *testing.B, n int) *roomCluster {
	b.Helper()
	c := &roomCluster{}
	for i := range n {
		p := startServe(b, b.TempDir())
		c.nodes = append(c.nodes, p)
		if i == 0 {
			m := bannerKey.FindStringSubmatch(p.stdout)
			if m == nil {
				b.Fatalf("first node printed no API key:\n%s", p.stdout)
			}
			c.key, c.sec = m[1], m[2]
		}
	}
	c.createRoom(b, `{"name":"joins"}`)
	c.createRoom(b, `{"name":"conf","type":"conference"}`)
	for i := range roomBenchSeats {
		node := c.nodes[i%n]
		c.joinToks = append(c.joinToks, c.mint(b, node, fmt.Sprintf("j%03d", i), "guest", "joins"))
		tok := c.mint(b, node, fmt.Sprintf("p%03d", i), "conference-participant", "conf")
		status, ses := bearerPost(b, node.url, "/v1/rooms/conf/join", tok, `{}`)
		if status != http.StatusCreated || ses["state"] != "joined" {
			b.Fatalf("join conf: %d %v", status, ses)
		}
		c.prodToks = append(c.prodToks, tok)
		c.prodIDs = append(c.prodIDs, ses["session_id"].(string))
	}
	return c
}

// createRoom creates a room on the first node.
func (c *roomCluster) createRoom(b *testing.B, body string) {
	b.Helper()
	if status, r := c.nodes[0].post(b, "/v1/rooms", c.key, c.sec, body); status != http.StatusCreated {
		b.Fatalf("create room %s: %d %v", body, status, r)
	}
}

// mint issues, on node, a token for user with role in room.
func (c *roomCluster) mint(b *testing.B, node *process, user, role, room string) string {
	b.Helper()
	status, tok := node.post(b, "/v1/tokens", c.key, c.sec, fmt.Sprintf(`{"user_id":%q,"role":%q,"rooms":[%q]}`, user, role, room))
	if status != http.StatusCreated {
		b.Fatalf("mint: %d %v", status, tok)
	}
	return tok["access_token"].(string)
}

func (c *roomCluster) stop() {
	for _, p := range c.nodes {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// roomLoad is what one room measurement found: the run, and how many
// answers were 200 and 409.
type roomLoad struct {
	load.Result
	ok, conflict int64
}

// measure drives every node with joins or produce decisions, after a
// warm-up. Client w sends to node w mod n and owns the participants w,
// w+16, w+32, …, which it takes in turn, so no two clients act for the
// same participant at once.
//
// join: a guest joins "joins" again; the join replaces its previous
// session, so each request is a write transaction with its events.
// produce: a conference participant asks to produce its camera; the ten
// holding a slot get 200 (asking again changes nothing), the others 409
// room_full, each decision taken in a transaction against the room's cap.
func (c *roomCluster) measure(b *testing.B, route string) roomLoad {
	b.Helper()
	var ok, conflict atomic.Int64
	build := func(target string, w, i int) (*http.Request, error) {
		seat := (w + benchClients*i) % roomBenchSeats
		path, tok, body := "/v1/rooms/joins/join", c.joinToks[seat], `{}`
		if route == "produce" {
			path, tok, body = "/v1/rooms/conf/sessions/"+c.prodIDs[seat]+"/produce", c.prodToks[seat], `{"source":"camera"}`
		}
		req, err := http.NewRequest("POST", target+path, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
	accept := func(status int) bool {
		switch {
		case route == "join" && status == http.StatusCreated, route == "produce" && status == http.StatusOK:
			ok.Add(1)
			return true
		case route == "produce" && status == http.StatusConflict:
			conflict.Add(1)
			return true
		}
		return false
	}
	o := load.Options{Targets: c.urls(), Concurrency: benchClients, Duration: benchWarmup, Request: build, OK: accept}
	if _, err := load.Run(b.Context(), o); err != nil {
		b.Fatal(err)
	}
	ok.Store(0)
	conflict.Store(0)
	o.Duration = benchDuration
	r, err := load.Run(b.Context(), o)
	if err != nil {
		b.Fatal(err)
	}
	if r.Errors > 0 {
		b.Fatalf("%s on %d node(s): %d of %d requests failed", route, len(c.nodes), r.Errors, r.Requests)
	}
	if route == "produce" {
		c.checkFull(b)
	}
	return roomLoad{Result: r, ok: ok.Load(), conflict: conflict.Load()}
}

// checkFull checks that the 409s of the produce measurement are refusals
// for a full room: the ten slots of "conf" are held, so one of any eleven
// participants is refused with room_full.
func (c *roomCluster) checkFull(b *testing.B) {
	b.Helper()
	for seat := range 11 {
		status, body := bearerPost(b, c.nodes[seat%len(c.nodes)].url, "/v1/rooms/conf/sessions/"+c.prodIDs[seat]+"/produce", c.prodToks[seat], `{"source":"camera"}`)
		if status == http.StatusConflict {
			if body["code"] != "room_full" {
				b.Fatalf("produce refused: %v", body)
			}
			return
		}
	}
	b.Fatal("eleven participants hold a slot of a conference of ten")
}

func (c *roomCluster) urls() []string {
	var out []string
	for _, p := range c.nodes {
		out = append(out, p.url)
	}
	return out
}

// eventLog records when a stream showed each event, by type and session,
// and hands the time to whoever waits for it.
type eventLog struct {
	mu      sync.Mutex
	seen    map[string]time.Time
	waiters map[string]chan time.Time
}

func newEventLog() *eventLog {
	return &eventLog{seen: make(map[string]time.Time), waiters: make(map[string]chan time.Time)}
}

func (l *eventLog) arrive(key string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch, ok := l.waiters[key]; ok {
		ch <- at
		delete(l.waiters, key)
		return
	}
	l.seen[key] = at
}

// wait returns a channel that receives when the event key arrived, at
// once if it already has.
func (l *eventLog) wait(key string) <-chan time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan time.Time, 1)
	if at, ok := l.seen[key]; ok {
		ch <- at
		delete(l.seen, key)
	} else {
		l.waiters[key] = ch
	}
	return ch
}

// follow opens the event stream of room on node with the API key and
// records its events in a log until ctx ends. It returns once the stream
// is open.
func (c *roomCluster) follow(ctx context.Context, b *testing.B, node *process, room string) *eventLog {
	b.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", node.url+"/v1/rooms/"+room+"/events", nil)
	req.SetBasicAuth(c.key, c.sec)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		b.Fatalf("event stream on %s: %d", node.url, resp.StatusCode)
	}
	l := newEventLog()
	sc := bufio.NewScanner(resp.Body)
	if !sc.Scan() {
		resp.Body.Close()
		b.Fatalf("event stream on %s: nothing came", node.url)
	}
	go func() {
		defer resp.Body.Close()
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			at := time.Now()
			var e struct {
				Type      string `json:"type"`
				SessionID string `json:"session_id"`
			}
			if json.Unmarshal([]byte(data), &e) == nil {
				l.arrive(e.Type+"/"+e.SessionID, at)
			}
		}
	}()
	return l
}

// delivery measures, roomBenchDeliveries times, the delay from the HTTP
// answer to an action on one node to the matching event on an event
// stream held open on the next node (the same node when there is one).
// The actions alternate between a join of a new participant of conference
// "relay" (event session.joined) and that participant's produce (event
// produce.started); an unproduce, not timed, frees the slot again. A
// delay is counted as zero when the event reached the stream before the
// answer reached the client; early says how many did.
func (c *roomCluster) delivery(b *testing.B) (p50, p99 time.Duration, early int) {
	b.Helper()
	c.createRoom(b, `{"name":"relay","type":"conference"}`)
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	logs := make([]*eventLog, len(c.nodes))
	for i, node := range c.nodes {
		logs[i] = c.follow(ctx, b, node, "relay")
	}
	await := func(l *eventLog, key string, acked time.Time) time.Duration {
		select {
		case at := <-l.wait(key):
			if at.Before(acked) {
				early++
				return 0
			}
			return at.Sub(acked)
		case <-time.After(roomBenchEventWait):
			b.Fatalf("event %s did not arrive in %v", key, roomBenchEventWait)
			return 0
		}
	}
	var delays []time.Duration
	for i := range roomBenchDeliveries / 2 {
		from, to := c.nodes[i%len(c.nodes)], logs[(i+1)%len(c.nodes)]
		tok := c.mint(b, from, fmt.Sprintf("r%03d", i), "conference-participant", "relay")
		status, ses := bearerPost(b, from.url, "/v1/rooms/relay/join", tok, `{}`)
		acked := time.Now()
		if status != http.StatusCreated || ses["state"] != "joined" {
			b.Fatalf("join relay: %d %v", status, ses)
		}
		id := ses["session_id"].(string)
		delays = append(delays, await(to, "session.joined/"+id, acked))

		status, body := bearerPost(b, from.url, "/v1/rooms/relay/sessions/"+id+"/produce", tok, `{"source":"camera"}`)
		acked = time.Now()
		if status != http.StatusOK {
			b.Fatalf("produce in relay: %d %v", status, body)
		}
		delays = append(delays, await(to, "produce.started/"+id, acked))

		if status, body := bearerPost(b, from.url, "/v1/rooms/relay/sessions/"+id+"/unproduce", tok, `{"source":"camera"}`); status != http.StatusOK {
			b.Fatalf("unproduce in relay: %d %v", status, body)
		}
	}
	slices.Sort(delays)
	return delays[len(delays)/2], delays[min(len(delays)*99/100, len(delays)-1)], early
}

// BenchmarkRoomNodes measures, in one run, room joins and produce
// decisions per second, with p99 latency, through the HTTP API of one
// `stagedoor serve` node on the embedded SQLite and of three nodes sharing
// the PostgreSQL database of STAGEDOOR_TEST_POSTGRES, and the delay for a
// room event to reach an event stream held open on another node. Every
// node, the database and the load generator share the machine. Run it
// once:
//
//	go test -run '^$' -bench RoomNodes -benchtime 1x ./cmd/stagedoor/
func BenchmarkRoomNodes(b *testing.B) {
	mk := make([]byte, 32)
	crand.Read(mk)
	b.Setenv("STAGEDOOR_MASTER_KEY", base64.StdEncoding.EncodeToString(mk))
	db := testDatabase(b)
	for b.Loop() {
		type row struct {
			name          string
			join, produce roomLoad
			p50, p99      time.Duration
			early         int
		}
		var rows []row
		for _, cfg := range []struct {
			name, db string
			nodes    int
		}{{"sqlite-1", "", 1}, {"postgres-3", db, 3}} {
			b.Setenv("STAGEDOOR_DATABASE", cfg.db)
			c := startRoomCluster(b, cfg.nodes)
			r := row{name: cfg.name, join: c.measure(b, "join"), produce: c.measure(b, "produce")}
			r.p50, r.p99, r.early = c.delivery(b)
			c.stop()
			rows = append(rows, r)
		}

		base := rows[0]
		var table strings.Builder
		table.WriteString("| nodes | join req/s | join p99 ms | produce req/s | produce p99 ms | produce 200 / 409 | event p50 ms | event p99 ms | events before answer | join × sqlite-1 | produce × sqlite-1 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		ms := func(us int64) float64 { return float64(us) / 1000 }
		for _, r := range rows {
			fmt.Fprintf(&table, "| %s | %.0f | %.1f | %.0f | %.1f | %d / %d | %.2f | %.2f | %d / %d | %.2f | %.2f |\n", r.name,
				r.join.ReqPerS, ms(r.join.P99us), r.produce.ReqPerS, ms(r.produce.P99us), r.produce.ok, r.produce.conflict,
				ms(r.p50.Microseconds()), ms(r.p99.Microseconds()), r.early, roomBenchDeliveries,
				r.join.ReqPerS/base.join.ReqPerS, r.produce.ReqPerS/base.produce.ReqPerS)
			b.ReportMetric(r.join.ReqPerS, r.name+"-join-req/s")
			b.ReportMetric(float64(r.join.P99us), r.name+"-join-p99-µs")
			b.ReportMetric(r.produce.ReqPerS, r.name+"-produce-req/s")
			b.ReportMetric(float64(r.produce.P99us), r.name+"-produce-p99-µs")
			b.ReportMetric(float64(r.p50.Microseconds()), r.name+"-event-p50-µs")
			b.ReportMetric(float64(r.p99.Microseconds()), r.name+"-event-p99-µs")
		}
		b.Log("\n" + table.String())
	}
}
