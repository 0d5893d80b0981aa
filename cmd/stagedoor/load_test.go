package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoadCommand(t *testing.T) {
	var good, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, s, ok := r.BasicAuth()
		if !ok || k != "sdk_k" || s != "sec" || r.URL.Path != "/v1/tokens" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Run") != "7" {
			bad.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		good.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	out := wantSuccess(t, cli(t, "", "load", "--target", srv.URL, "--requests", "50", "--concurrency", "3",
		"--path", "/v1/tokens", "--basic", "sdk_k:sec", "--body", `{"user_id":"a","role":"viewer"}`, "--header", "X-Run: 7"))
	r := decodeJSON[map[string]float64](t, out)
	if r["requests"] != 50 || r["errors"] != 0 || r["req_per_s"] <= 0 || r["p99_us"] < r["p50_us"] {
		t.Fatalf("result %v", r)
	}
	if good.Load() != 50 || bad.Load() != 0 {
		t.Fatalf("server saw %d good and %d bad requests", good.Load(), bad.Load())
	}
}

func TestLoadCommandRefuses(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"load"}, "--target is required"},
		{[]string{"load", "--target", "http://192.0.2.1:7800", "--requests", "1"}, "only loopback"},
		{[]string{"load", "--target", "http://example.com", "--requests", "1"}, "only loopback"},
		{[]string{"load", "--target", "http://127.0.0.1:1", "--concurrency", "0"}, "concurrency 0"},
		{[]string{"load", "--target", "http://127.0.0.1:1", "--duration", "11m"}, "at most 10m"},
		{[]string{"load", "--target", "http://127.0.0.1:1", "--header", "nocolon"}, "--header"},
		{[]string{"load", "--target", "http://127.0.0.1:1", "--basic", "k:s", "--bearer", "t"}, "exclude"},
		{[]string{"load", "--target", "http://127.0.0.1:1", "extra"}, "unexpected argument"},
		{[]string{"load", "floor", "--addr", "0.0.0.0:0"}, "only loopback"},
	} {
		wantFailure(t, cli(t, "", c.args...), 2, c.want)
	}
}

// The floor answers every request with its fixed body; several --bearer
// tokens are taken in turn.
func TestLoadFloorAndBearers(t *testing.T) {
	floor := startCommand(t, "load", "floor", "--addr", "127.0.0.1:0")
	out := wantSuccess(t, cli(t, "", "load", "--target", floor.url, "--requests", "20", "--concurrency", "2", "--body", "{}"))
	if r := decodeJSON[map[string]float64](t, out); r["requests"] != 20 || r["errors"] != 0 {
		t.Fatalf("floor result %v", r)
	}
	seen := make(chan string, 40)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get("Authorization")
	}))
	defer srv.Close()
	wantSuccess(t, cli(t, "", "load", "--target", srv.URL, "--requests", "40", "--concurrency", "2", "--bearer", "t1", "--bearer", "t2", "--bearer", "t3"))
	close(seen)
	count := map[string]int{}
	for a := range seen {
		count[a]++
	}
	if len(count) != 3 || count["Bearer t1"] == 0 || count["Bearer t2"] == 0 || count["Bearer t3"] == 0 {
		t.Fatalf("tokens presented: %v", count)
	}
}

// The events scenario against a real node: every subscriber sees every
// write, the node's idle CPU and memory are read, and the room is ended
// afterwards; a wrong secret is refused.
func TestLoadEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	data := t.TempDir()
	p := startServe(t, data)
	m := bannerKey.FindStringSubmatch(p.stdout)
	if m == nil {
		t.Fatalf("first start printed no API key:\n%s", p.stdout)
	}
	basic := m[1] + ":" + m[2]
	out := wantSuccess(t, cli(t, "", "load", "events", "--target", p.url, "--basic", basic, "--room", "stage",
		"--subscribers", "12", "--writes", "3", "--idle", "200ms", "--concurrency", "4"))
	r := decodeJSON[map[string]any](t, out)
	if r["delivered"] != 36.0 || r["missed"] != 0.0 || r["ended"] != nil || r["nodes"] != 1.0 {
		t.Fatalf("result %v", r)
	}
	if r["p50_ms"].(float64) <= 0 || r["p99_ms"].(float64) < r["p50_ms"].(float64) || r["max_ms"].(float64) < r["p99_ms"].(float64) {
		t.Fatalf("latencies %v", r)
	}
	if r["idle_s"].(float64) <= 0 || r["idle_cpu_cores"].(float64) < 0 || r["node_rss_mb"].([]any)[0].(float64) <= 0 {
		t.Fatalf("node figures %v", r)
	}
	status, room := p.get(t, "/v1/rooms/stage", m[1], m[2])
	if status != 200 || room["ended_at"] == nil {
		t.Fatalf("the room was not ended: %d %v", status, room)
	}
	// Without sessions the subscribers need moderate.admit, which a
	// development key cannot grant and a production key can.
	wantFailure(t, cli(t, "", "load", "events", "--target", p.url, "--basic", basic, "--moderators",
		"--subscribers", "2", "--writes", "1", "--idle", "100ms"), 1, "mint a token for load-viewer-")
	prod := decodeJSON[map[string]string](t, wantSuccess(t, cli(t, "", "key", "create", "--app", "default", "--data", data, "--json")))
	if !waitFor(t.Context(), 10*time.Second, func() bool {
		status, _ := p.post(t, "/v1/tokens", prod["api_key"], prod["api_secret"], `{"user_id":"a","role":"viewer"}`)
		return status == 201
	}) {
		t.Fatal("the node did not learn of the new key")
	}
	out = wantSuccess(t, cli(t, "", "load", "events", "--target", p.url, "--basic", prod["api_key"]+":"+prod["api_secret"], "--moderators",
		"--subscribers", "5", "--writes", "2", "--idle", "100ms"))
	if r := decodeJSON[map[string]any](t, out); r["delivered"] != 10.0 || r["missed"] != 0.0 {
		t.Fatalf("moderators' result %v", r)
	}
	wantFailure(t, cli(t, "", "load", "events", "--target", p.url, "--basic", m[1]+":wrong",
		"--subscribers", "1", "--writes", "1", "--idle", "100ms"), 1, "create room")
}

func TestLoadEventsRefuses(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"load", "events", "--target", "http://127.0.0.1:1"}, "--basic is required"},
		{[]string{"load", "events", "--basic", "k:s"}, "--target is required"},
		{[]string{"load", "events", "--target", "http://127.0.0.1:1", "--basic", "nocolon"}, "want key:secret"},
		{[]string{"load", "events", "--target", "http://192.0.2.1:7800", "--basic", "k:s"}, "only loopback"},
		{[]string{"load", "events", "--target", "http://127.0.0.1:1", "--basic", "k:s", "--subscribers", "0"}, "subscribers 0"},
		{[]string{"load", "events", "--target", "http://127.0.0.1:1", "--basic", "k:s", "--writes", "0"}, "writes 0"},
		{[]string{"load", "events", "--target", "http://127.0.0.1:1", "--basic", "k:s", "--idle", "26s"}, "at most 25s"},
		{[]string{"load", "events", "--target", "http://127.0.0.1:1", "--basic", "k:s", "--wait", "0s"}, "wait 0s"},
		{[]string{"load", "events", "--target", "http://127.0.0.1:1", "--basic", "k:s", "--timeout", "11m"}, "--timeout"},
	} {
		wantFailure(t, cli(t, "", c.args...), 2, c.want)
	}
}
