package main

import (
	crand "crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/load"
)

// Load of each measurement of BenchmarkNodes.
const (
	benchClients  = 16
	benchDuration = 3 * time.Second
	benchWarmup   = 500 * time.Millisecond
	benchTokens   = 256
	benchSamples  = 200
)

// benchCluster is a set of running nodes sharing one database, and the API
// key the first one printed.
type benchCluster struct {
	nodes    []*process
	key, sec string
	tokens   []string
}

// startBenchCluster starts n `stagedoor serve` nodes on the database set
// in STAGEDOOR_DATABASE (SQLite when empty) and mints the tokens the
// verify measurements present.
func startBenchCluster(b *testing.B, n int) *benchCluster {
	b.Helper()
	c := &benchCluster{}
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
	for i := range benchTokens {
		status, tok := c.nodes[0].post(b, "/v1/tokens", c.key, c.sec, fmt.Sprintf(`{"user_id":"user-%d","role":"host","rooms":["demo"]}`, i))
		if status != http.StatusCreated {
			b.Fatalf("mint: %d %v", status, tok)
		}
		c.tokens = append(c.tokens, tok["access_token"].(string))
	}
	return c
}

func (c *benchCluster) urls(n int) []string {
	var out []string
	for _, p := range c.nodes[:n] {
		out = append(out, p.url)
	}
	return out
}

// measure drives the first n nodes with mints or verifies, after a warm-up.
func (c *benchCluster) measure(b *testing.B, route string, n int) load.Result {
	b.Helper()
	mintBody := []byte(`{"user_id":"alice","role":"host","rooms":["demo","stage"],"participant_id":"alice-1","name":"Alice"}`)
	verifyBody := []byte(`{"room":"demo","permission":"produce.camera"}`)
	build := func(target string, w, i int) (*http.Request, error) {
		if route == "tokens" {
			req, err := http.NewRequest("POST", target+"/v1/tokens", strings.NewReader(string(mintBody)))
			if err == nil {
				req.SetBasicAuth(c.key, c.sec)
				req.Header.Set("Content-Type", "application/json")
			}
			return req, err
		}
		req, err := http.NewRequest("POST", target+"/v1/verify", strings.NewReader(string(verifyBody)))
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+c.tokens[(w*31+i)%len(c.tokens)])
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
	o := load.Options{Targets: c.urls(n), Concurrency: benchClients, Duration: benchWarmup, Request: build}
	if _, err := load.Run(b.Context(), o); err != nil {
		b.Fatal(err)
	}
	o.Duration = benchDuration
	r, err := load.Run(b.Context(), o)
	if err != nil {
		b.Fatal(err)
	}
	if r.Errors > 0 {
		b.Fatalf("%s on %d node(s): %d of %d requests failed", route, n, r.Errors, r.Requests)
	}
	return r
}

// propagation measures, benchSamples times, the delay from a revocation's
// 201 on one node to the first 401 for the revoked token on the next node.
func (c *benchCluster) propagation(b *testing.B) (p50, p99 time.Duration) {
	b.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	verify := func(node *process, tok string) int {
		req, _ := http.NewRequest("POST", node.url+"/v1/verify", strings.NewReader(`{"room":"demo","permission":"consume"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var delays []time.Duration
	for i := range benchSamples {
		from, to := c.nodes[i%len(c.nodes)], c.nodes[(i+1)%len(c.nodes)]
		user := fmt.Sprintf("prop-%d", i)
		status, tok := from.post(b, "/v1/tokens", c.key, c.sec, `{"user_id":"`+user+`","role":"viewer","rooms":["demo"]}`)
		if status != http.StatusCreated {
			b.Fatalf("mint: %d %v", status, tok)
		}
		token := tok["access_token"].(string)
		if s := verify(to, token); s != http.StatusOK {
			b.Fatalf("verify before revocation: %d", s)
		}
		if status, body := from.post(b, "/v1/revocations", c.key, c.sec, `{"user_id":"`+user+`"}`); status != http.StatusCreated {
			b.Fatalf("revoke: %d %v", status, body)
		}
		acked := time.Now()
		for verify(to, token) != http.StatusUnauthorized {
			if time.Since(acked) > 5*time.Second {
				b.Fatalf("revocation %d did not reach the next node in 5 s", i)
			}
		}
		delays = append(delays, time.Since(acked))
	}
	slices.Sort(delays)
	return delays[len(delays)/2], delays[min(len(delays)*99/100, len(delays)-1)]
}

// BenchmarkNodes measures, in one run, POST /v1/tokens and POST /v1/verify
// throughput and p99 through 1, 2 and 3 `stagedoor serve` nodes sharing the
// PostgreSQL database of STAGEDOOR_TEST_POSTGRES, next to one node on the
// embedded SQLite, and the delay for a revocation to reach another node.
// Every node and the load generator share the machine. Run it once:
//
//	go test -run '^$' -bench Nodes -benchtime 1x ./cmd/stagedoor/
func BenchmarkNodes(b *testing.B) {
	mk := make([]byte, 32)
	crand.Read(mk)
	b.Setenv("STAGEDOOR_MASTER_KEY", base64.StdEncoding.EncodeToString(mk))
	db := testDatabase(b)
	for b.Loop() {
		b.Setenv("STAGEDOOR_DATABASE", "")
		lite := startBenchCluster(b, 1)
		type row struct {
			name           string
			tokens, verify load.Result
		}
		rows := []row{{name: "sqlite-1", tokens: lite.measure(b, "tokens", 1), verify: lite.measure(b, "verify", 1)}}
		for _, p := range lite.nodes {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		b.Setenv("STAGEDOOR_DATABASE", db)
		pg := startBenchCluster(b, 3)
		for n := 1; n <= 3; n++ {
			rows = append(rows, row{name: fmt.Sprintf("postgres-%d", n), tokens: pg.measure(b, "tokens", n), verify: pg.measure(b, "verify", n)})
		}
		p50, p99 := pg.propagation(b)

		base := rows[0]
		var table strings.Builder
		table.WriteString("| nodes | tokens req/s | tokens p99 µs | verify req/s | verify p99 µs | tokens × sqlite-1 | verify × sqlite-1 |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range rows {
			fmt.Fprintf(&table, "| %s | %.0f | %d | %.0f | %d | %.2f | %.2f |\n", r.name, r.tokens.ReqPerS, r.tokens.P99us, r.verify.ReqPerS, r.verify.P99us,
				r.tokens.ReqPerS/base.tokens.ReqPerS, r.verify.ReqPerS/base.verify.ReqPerS)
			b.ReportMetric(r.tokens.ReqPerS, r.name+"-tokens-req/s")
			b.ReportMetric(float64(r.tokens.P99us), r.name+"-tokens-p99-µs")
			b.ReportMetric(r.verify.ReqPerS, r.name+"-verify-req/s")
			b.ReportMetric(float64(r.verify.P99us), r.name+"-verify-p99-µs")
		}
		fmt.Fprintf(&table, "\nrevocation propagation over %d samples: p50 %v, p99 %v\n", benchSamples, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond))
		b.ReportMetric(float64(p50.Microseconds()), "propagation-p50-µs")
		b.ReportMetric(float64(p99.Microseconds()), "propagation-p99-µs")
		b.Log("\n" + table.String())
	}
}
