package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkHTTP measures requests per second and p99 latency over loopback
// for POST /v1/tokens and POST /v1/verify, next to the floor: a plain
// net/http handler returning a fixed small JSON, measured in the same run.
// Compare the reported req/s and p99-µs as ratios of the floor's.
func BenchmarkHTTP(b *testing.B) {
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"allowed":true,"sub":"alice"}`))
	}))
	defer floor.Close()
	s := newTestServer(b)
	mintBody := []byte(`{"user_id":"alice","role":"host","rooms":["demo","stage"],"participant_id":"alice-1","name":"Alice"}`)
	var tokens []string
	for range 64 {
		tokens = append(tokens, s.mint(b, &s.prod, map[string]any{"user_id": "alice", "role": "host", "rooms": []string{"demo"}}))
	}
	verifyBody := []byte(`{"room":"demo","permission":"produce.camera"}`)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}

	cases := []struct {
		name   string
		url    string
		body   []byte
		status int
		auth   func(r *http.Request, i int)
	}{
		{"floor", floor.URL, verifyBody, 200, func(*http.Request, int) {}},
		{"tokens", s.URL + "/v1/tokens", mintBody, 201, func(r *http.Request, _ int) { r.SetBasicAuth(s.prod.APIKey, s.prod.Secret) }},
		{"verify", s.URL + "/v1/verify", verifyBody, 200, func(r *http.Request, i int) { r.Header.Set("Authorization", "Bearer "+tokens[i%len(tokens)]) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			driveHTTP(b, client, func(i int) *http.Request {
				req, _ := http.NewRequest("POST", c.url, bytes.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				c.auth(req, i)
				return req
			}, func(status int) bool { return status == c.status })
		})
	}
}

// driveHTTP sends b.N requests made by req from 16 concurrent keep-alive
// clients, fails the benchmark if ok refuses a status, and reports req/s
// and the p99 latency in microseconds.
func driveHTTP(b *testing.B, client *http.Client, req func(i int) *http.Request, ok func(status int) bool) {
	var (
		mu    sync.Mutex
		all   []time.Duration
		seq   atomic.Int64
		fails atomic.Int64
	)
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var lat []time.Duration
		for pb.Next() {
			r := req(int(seq.Add(1)))
			t0 := time.Now()
			resp, err := client.Do(r)
			if err != nil {
				fails.Add(1)
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			lat = append(lat, time.Since(t0))
			if !ok(resp.StatusCode) {
				fails.Add(1)
			}
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if n := fails.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}
