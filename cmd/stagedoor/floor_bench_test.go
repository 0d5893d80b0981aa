package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkAgainstFloor measures POST /v1/verify and POST /v1/tokens of one
// `stagedoor serve` on the embedded SQLite next to the bare handler of
// `stagedoor load floor`, each a process of its own, driven by the same load
// loop with the same requests: 8 keep-alive clients; verify presents 32
// tokens in turn, as media servers re-checking their participants do, and
// tokens an API key. Three rounds alternate the floor and the node for each
// route, so that each ratio compares measurements taken moments apart; it
// logs each round, with the CPU time each process spent per request, and
// reports the median ratios. Run it once:
//
//	go test -run '^$' -bench AgainstFloor -benchtime 1x -v ./cmd/stagedoor/
func BenchmarkAgainstFloor(b *testing.B) {
	node := startServe(b, b.TempDir())
	key, sec := bannerCredentials(b, node)
	floor := startCommand(b, "load", "floor", "--addr", "127.0.0.1:0")
	var tokens []string
	for i := range verifyTokens {
		status, tok := node.post(b, "/v1/tokens", key, sec, fmt.Sprintf(`{"user_id":"user-%d","role":"host","rooms":["demo"]}`, i))
		if status != http.StatusCreated {
			b.Fatalf("mint: %d %v", status, tok)
		}
		tokens = append(tokens, tok["access_token"].(string))
	}
	verify := verifyRequest(tokens, "produce.camera")
	mint := (&auditBench{key: key, sec: sec}).mintRequest
	var verifyRatios, mintRatios []float64
	for round := range 3 {
		for _, route := range []struct {
			name   string
			build  func(string, int, int) (*http.Request, error)
			ratios *[]float64
		}{{"verify", verify, &verifyRatios}, {"tokens", mint, &mintRatios}} {
			var f, n loadRun
			if round%2 == 0 {
				f, n = measureLoad(b, floor, verifyClients, route.build), measureLoad(b, node, verifyClients, route.build)
			} else {
				n, f = measureLoad(b, node, verifyClients, route.build), measureLoad(b, floor, verifyClients, route.build)
			}
			*route.ratios = append(*route.ratios, n.ReqPerS/f.ReqPerS)
			b.Logf("round %d %s: floor %.0f req/s (p99 %d µs, %.0f µs CPU/req), node %.0f req/s (p99 %d µs, %.0f µs CPU/req): %.2f×, CPU floor/node %.2f×",
				round+1, route.name, f.ReqPerS, f.P99us, micros(f.cpuPerReq), n.ReqPerS, n.P99us, micros(n.cpuPerReq), n.ReqPerS/f.ReqPerS, float64(f.cpuPerReq)/float64(n.cpuPerReq))
		}
	}
	p50, p90, p99 := syncLatency(b, b.TempDir())
	b.Logf("fsync of a 4 KiB append on the data directory's disk: p50 %v, p90 %v, p99 %v", p50, p90, p99)
	b.ReportMetric(median(verifyRatios), "verify/floor")
	b.ReportMetric(median(mintRatios), "tokens/floor")
	b.ReportMetric(0, "ns/op")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// syncLatency appends 4 KiB to a file in dir and syncs it, 200 times, as
// a commit of SQLite's write-ahead log does, and returns percentiles of
// the time each sync took.
func syncLatency(b *testing.B, dir string) (p50, p90, p99 time.Duration) {
	f, err := os.Create(filepath.Join(dir, "sync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	took := make([]time.Duration, 200)
	for i := range took {
		if _, err := f.Write(page); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		took[i] = time.Since(start)
	}
	slices.Sort(took)
	at := func(q float64) time.Duration { return took[int(q*float64(len(took)-1))].Round(time.Microsecond) }
	return at(0.5), at(0.9), at(0.99)
}
