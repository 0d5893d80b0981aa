package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// withStreamCaps serves s's authority through another handler, capping
// event streams at perCredential per credential and perNode in all.
func (s *testServer) withStreamCaps(t *testing.T, perCredential, perNode int) *testServer {
	t.Helper()
	api := New(Config{Auth: s.auth, Now: s.clock.Now, StreamsPerCredential: perCredential, StreamsPerNode: perNode})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	capped := *s
	capped.Server, capped.api = srv, api
	return &capped
}

// tryOpen asks for the event stream or long poll c, closing it at once
// if it opens, and returns the answer, without its body when it opened.
func (s *testServer) tryOpen(t *testing.T, c call) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(s.request(t, c))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	if r.status == http.StatusOK {
		return r
	}
	if r.raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(r.raw, &r.body); err != nil {
		t.Fatalf("%d %q: %v", r.status, r.raw, err)
	}
	return r
}

// wantTooManyStreams checks a 429 refusal of a stream.
func wantTooManyStreams(t *testing.T, r reply) {
	t.Helper()
	wantProblem(t, r, http.StatusTooManyRequests, "too_many_streams")
	if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
		t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
	}
}

// One credential holds at most its cap of streams and long polls at
// once, whatever other credentials hold; closing one frees its slot.
func TestStreamsPerCredential(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	host := s.user(t, "hana", "host")
	var streams []*sseStream
	for range DefaultStreamsPerCredential {
		streams = append(streams, s.openEvents(t, host, "stage", 0))
	}
	stream := call{method: "GET", path: "/v1/rooms/stage/events", bearer: host}
	wantTooManyStreams(t, s.tryOpen(t, stream))
	poll := call{method: "GET", path: "/v1/rooms/stage/events?wait=0s", bearer: host, header: map[string]string{"Accept": "application/json"}}
	wantTooManyStreams(t, s.tryOpen(t, poll))

	// Another token of the same user, and the app's API key, are other
	// credentials.
	s.openEvents(t, s.user(t, "hana", "host"), "stage", 0)
	s.openEvents(t, "", "stage", 0)
	wantOK(t, s.do(t, call{method: "GET", path: "/v1/rooms/stage/events?wait=0s", basic: &s.prod, header: map[string]string{"Accept": "application/json"}}), http.StatusOK)

	// The host's streams, hana's other token's and the key's.
	streams[0].close()
	s.waitStreams(t, DefaultStreamsPerCredential-1+2)
	again := s.openEvents(t, host, "stage", 0)
	again.waitFor(t, "room.created", "")
	wantTooManyStreams(t, s.tryOpen(t, stream))
}

// The node holds at most its cap of streams, from any credentials.
func TestStreamsPerNode(t *testing.T) {
	s := newTestServer(t).withStreamCaps(t, 2, 3)
	s.newRoom(t, map[string]any{"name": "stage"})
	first := s.openEvents(t, s.user(t, "a", "host"), "stage", 0)
	s.openEvents(t, s.user(t, "b", "host"), "stage", 0)
	s.openEvents(t, "", "stage", 0)
	wantTooManyStreams(t, s.tryOpen(t, call{method: "GET", path: "/v1/rooms/stage/events", bearer: s.user(t, "c", "host")}))
	first.close()
	s.waitStreams(t, 2)
	s.openEvents(t, s.user(t, "d", "host"), "stage", 0)
}

// Refused and failed attempts hold no slot.
func TestStreamsRefusedHoldNoSlot(t *testing.T) {
	s := newTestServer(t).withStreamCaps(t, 1, 2)
	s.newRoom(t, map[string]any{"name": "stage"})
	s.openEvents(t, "", "stage", 0)
	outsider := s.user(t, "out", "viewer")
	for range 3 {
		wantTooManyStreams(t, s.tryOpen(t, call{method: "GET", path: "/v1/rooms/stage/events", basic: &s.prod}))
		wantProblem(t, s.do(t, call{method: "GET", path: "/v1/rooms/stage/events", bearer: outsider}), http.StatusForbidden, "not_admitted")
		wantProblem(t, s.do(t, call{method: "GET", path: "/v1/rooms/none/events", bearer: s.user(t, "b", "host")}), http.StatusNotFound, "not_found")
	}
	s.openEvents(t, s.user(t, "a", "host"), "stage", 0)
	wantTooManyStreams(t, s.tryOpen(t, call{method: "GET", path: "/v1/rooms/stage/events", bearer: s.user(t, "c", "host")}))
}

// A refused stream and an ended long poll answer as the OpenAPI document
// says.
func TestOpenAPIContractStreams(t *testing.T) {
	s := newTestServer(t).withStreamCaps(t, 1, 10)
	ct := newContract(t, s)
	s.newRoom(t, map[string]any{"name": "stage"})
	s.newRoom(t, map[string]any{"name": "hall"})
	wantOK(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/hall", basic: &s.prod}), http.StatusNoContent)
	accept := map[string]string{"Accept": "application/json"}
	r, err := ct.exchange(t, s, call{method: "GET", path: "/v1/rooms/hall/events?wait=0s", basic: &s.prod, header: accept})
	if err != nil {
		t.Fatalf("the document refuses the request: %v", err)
	}
	if end, _ := r.body["end"].(map[string]any); r.status != http.StatusOK || end["reason"] != "room_ended" {
		t.Fatalf("poll of an ended room: %d %s", r.status, r.raw)
	}
	s.openEvents(t, "", "stage", 0)
	r, err = ct.exchange(t, s, call{method: "GET", path: "/v1/rooms/stage/events?wait=0s", basic: &s.prod, header: accept})
	if err != nil {
		t.Fatalf("the document refuses the request: %v", err)
	}
	wantTooManyStreams(t, r)
}

// waitStreams waits until n event streams and long polls are open on the
// node, looking again at each change of the count, and checks that the
// metrics say so too. A long poll frees its slot when its handler returns,
// which may be after its answer arrived: a test that just had one
// answered waits for the count without it before it opens another.
func (s *testServer) waitStreams(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		open, moved := s.api.slots.opened()
		if open == n {
			break
		}
		select {
		case <-moved:
		case <-deadline:
			t.Fatalf("%d event streams open, want %d", open, n)
		}
	}
	if got := s.openStreams(t); got != n {
		t.Fatalf("stagedoor_event_streams %d, want %d", got, n)
	}
}

// openStreams is the number of event streams and long polls open, as the
// metrics say.
func (s *testServer) openStreams(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "stagedoor_event_streams "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("stagedoor_event_streams %q", v)
			}
			return n
		}
	}
	t.Fatal("no stagedoor_event_streams in the metrics")
	return 0
}

// However many streams ask at once, exactly the caps' worth open, and
// every slot comes back.
func TestStreamSlotsRace(t *testing.T) {
	l := newStreamSlots(3, 10, prometheus.NewRegistry())
	creds := []string{"a", "b", "c", "d", "e"}
	for round := range 300 {
		var (
			mu       sync.Mutex
			releases []func()
			per      = map[string]int{}
			wg       sync.WaitGroup
		)
		for i := range 40 {
			wg.Go(func() {
				cred := creds[i%len(creds)]
				release, err := l.acquire(cred)
				if err != nil {
					return
				}
				mu.Lock()
				releases = append(releases, release)
				per[cred]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(releases) != 10 {
			t.Fatalf("round %d: %d streams open, want the node's 10", round, len(releases))
		}
		for cred, n := range per {
			if n > 3 {
				t.Fatalf("round %d: %s holds %d streams, want at most 3", round, cred, n)
			}
		}
		for _, release := range releases {
			release()
		}
		if l.open != 0 || len(l.byCred) != 0 {
			t.Fatalf("round %d: %d open, %v held after every release", round, l.open, l.byCred)
		}
	}
}

// Streams asked for at once by one credential open up to its cap, the
// rest are refused.
func TestStreamsPerCredentialAtOnce(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	const asks = 4 * DefaultStreamsPerCredential
	statuses := make(chan int, asks)
	for range asks {
		req := s.request(t, call{method: "GET", path: "/v1/rooms/stage/events", basic: &s.prod})
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			t.Cleanup(func() { resp.Body.Close() })
			statuses <- resp.StatusCode
		}()
	}
	got := map[int]int{}
	for range asks {
		got[<-statuses]++
	}
	if got[http.StatusOK] != DefaultStreamsPerCredential || got[http.StatusTooManyRequests] != asks-DefaultStreamsPerCredential {
		t.Fatalf("statuses %v, want %d × 200 and the rest 429", got, DefaultStreamsPerCredential)
	}
}
