package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/load"
)

// BenchmarkAgainstFloor measures POST /v1/verify and POST /v1/tokens of one
// `stagedoor serve` on the embedded SQLite next to the bare handler of
// `stagedoor load floor`, each a process of its own, driven by the same load
// loop: 8 keep-alive clients; verify presents 32 tokens in turn, as media
// servers re-checking their participants do. Three rounds alternate floor,
// verify and tokens, so that each ratio compares measurements taken moments
// apart; it logs each round and reports the median ratios. Run it once:
//
//	go test -run '^$' -bench AgainstFloor -benchtime 1x -v ./cmd/stagedoor/
func BenchmarkAgainstFloor(b *testing.B) {
	node := startServe(b, b.TempDir())
	m := bannerKey.FindStringSubmatch(node.stdout)
	if m == nil {
		b.Fatalf("node printed no API key:\n%s", node.stdout)
	}
	key, sec := m[1], m[2]
	floor := startCommand(b, "load", "floor", "--addr", "127.0.0.1:0")
	var tokens []string
	for i := range 32 {
		status, tok := node.post(b, "/v1/tokens", key, sec, fmt.Sprintf(`{"user_id":"user-%d","role":"host","rooms":["demo"]}`, i))
		if status != http.StatusCreated {
			b.Fatalf("mint: %d %v", status, tok)
		}
		tokens = append(tokens, tok["access_token"].(string))
	}
	verifyBody := `{"room":"demo","permission":"produce.camera"}`
	mintBody := `{"user_id":"alice","role":"host","rooms":["demo","stage"],"participant_id":"alice-1","name":"Alice"}`
	run := func(target, path, body string, auth func(*http.Request, int, int)) load.Result {
		build := func(base string, w, i int) (*http.Request, error) {
			req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
				auth(req, w, i)
			}
			return req, err
		}
		o := load.Options{Targets: []string{target}, Concurrency: 8, Duration: 500 * time.Millisecond, Request: build}
		if _, err := load.Run(b.Context(), o); err != nil {
			b.Fatal(err)
		}
		o.Duration = 3 * time.Second
		r, err := load.Run(b.Context(), o)
		if err != nil {
			b.Fatal(err)
		}
		if r.Errors > 0 {
			b.Fatalf("%s%s: %d of %d requests failed", target, path, r.Errors, r.Requests)
		}
		return r
	}
	bearer := func(req *http.Request, w, i int) {
		req.Header.Set("Authorization", "Bearer "+tokens[(w+i)%len(tokens)])
	}
	basic := func(req *http.Request, _, _ int) { req.SetBasicAuth(key, sec) }
	none := func(*http.Request, int, int) {}
	var verify, mint []float64
	for round := range 3 {
		f := run(floor.url, "/v1/verify", verifyBody, none)
		v := run(node.url, "/v1/verify", verifyBody, bearer)
		t := run(node.url, "/v1/tokens", mintBody, basic)
		verify = append(verify, v.ReqPerS/f.ReqPerS)
		mint = append(mint, t.ReqPerS/f.ReqPerS)
		b.Logf("round %d: floor %.0f req/s (p99 %d µs), verify %.0f (p99 %d µs) = %.2f×, tokens %.0f (p99 %d µs) = %.2f×",
			round+1, f.ReqPerS, f.P99us, v.ReqPerS, v.P99us, verify[round], t.ReqPerS, t.P99us, mint[round])
	}
	b.ReportMetric(median(verify), "verify/floor")
	b.ReportMetric(median(mint), "tokens/floor")
	b.ReportMetric(0, "ns/op")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
