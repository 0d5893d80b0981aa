package main

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage/postgres/pgtest"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServeUnreachableDatabase starts serve against a PostgreSQL address
// where nothing listens: it fails at once, naming the database it could not
// reach without its password.
func TestServeUnreachableDatabase(t *testing.T) {
	addr := closedPort(t)
	t.Setenv("STAGEDOOR_DATABASE", "")
	r := cli(t, "", "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(),
		"--database", "postgres://stagedoor:s3cret@"+addr+"/stagedoor?sslmode=disable")
	wantFailure(t, r, 1, "cannot reach PostgreSQL at postgres://stagedoor:xxxxx@"+addr+"/stagedoor")
	if !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("stderr %q does not say why", r.stderr)
	}
	if strings.Contains(r.stderr, "s3cret") {
		t.Errorf("stderr shows the password: %q", r.stderr)
	}
}

// faultLoad drives two nodes with mints, verifies and revocations, and
// records every answer that breaks the rules of an outage.
type faultLoad struct {
	t     *testing.T
	nodes []*process
	key   string
	sec   string
	http  *http.Client

	mu          sync.Mutex
	tokens      []mintedToken
	revoked     []mintedToken
	unavailable map[string]int // 503s by route
	bad         []string
}

type mintedToken struct {
	user, token string
}

// call sends one request and checks its answer: no 5xx but 503, and a 503
// is problem+json with code unavailable and a Retry-After.
func (l *faultLoad) call(route string, req *http.Request) (int, map[string]any) {
	resp, err := l.http.Do(req)
	if err != nil {
		l.fail("%s: %v", route, err)
		return 0, nil
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable:
		if body["code"] != "unavailable" || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Type") != "application/problem+json" {
			l.fail("%s: 503 without the unavailable problem: %v %v", route, resp.Header, body)
		}
		l.mu.Lock()
		l.unavailable[route]++
		l.mu.Unlock()
	case resp.StatusCode >= 500:
		l.fail("%s: %d %v", route, resp.StatusCode, body)
	}
	return resp.StatusCode, body
}

func (l *faultLoad) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.bad) < 20 {
		l.bad = append(l.bad, fmt.Sprintf(format, args...))
	}
}

func (l *faultLoad) basic(node *process, path, body string) *http.Request {
	req, _ := http.NewRequest("POST", node.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(l.key, l.sec)
	return req
}

func (l *faultLoad) verify(node *process, tok string) *http.Request {
	req, _ := http.NewRequest("POST", node.url+"/v1/verify", strings.NewReader(`{"room":"r","permission":"consume"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	return req
}

func (l *faultLoad) mint(g, i int) {
	user := fmt.Sprintf("u%d-%d", g, i)
	status, body := l.call("mint", l.basic(l.nodes[i%2], "/v1/tokens", `{"user_id":"`+user+`","role":"viewer","rooms":["r"]}`))
	if status == http.StatusCreated {
		l.mu.Lock()
		l.tokens = append(l.tokens, mintedToken{user: user, token: body["access_token"].(string)})
		l.mu.Unlock()
	}
}

// pick returns a random minted token, or false if there is none yet.
func (l *faultLoad) pick(r *rand.Rand) (mintedToken, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.tokens) == 0 {
		return mintedToken{}, false
	}
	return l.tokens[r.IntN(len(l.tokens))], true
}

func (l *faultLoad) verifyOne(r *rand.Rand, i int) {
	if m, ok := l.pick(r); ok {
		if status, body := l.call("verify", l.verify(l.nodes[i%2], m.token)); status != 200 && status != 401 {
			l.fail("verify: %d %v", status, body)
		}
	}
}

func (l *faultLoad) revokeOne(r *rand.Rand, i int) {
	m, ok := l.pick(r)
	if !ok {
		return
	}
	if status, _ := l.call("revoke", l.basic(l.nodes[i%2], "/v1/revocations", `{"user_id":"`+m.user+`"}`)); status == http.StatusCreated {
		l.mu.Lock()
		l.revoked = append(l.revoked, m)
		l.mu.Unlock()
	}
}

// run runs workers that each call step every few milliseconds until ctx
// ends or they made max calls. The pause between calls sets the load's
// rate; it waits for nothing.
func (l *faultLoad) run(ctx context.Context, wg *sync.WaitGroup, workers, max int, step func(r *rand.Rand, g, i int)) {
	for g := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for i := 0; i < max && ctx.Err() == nil; i++ {
				step(r, g, i)
				time.Sleep(3 * time.Millisecond)
			}
		})
	}
}

// ready reports the status of node's /readyz.
func (l *faultLoad) ready(node *process) int {
	resp, err := l.http.Get(node.url + "/readyz")
	if err != nil {
		l.fail("readyz: %v", err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestNodesSurvivePostgresRestart runs two nodes on a PostgreSQL cluster of
// its own under load and stops the cluster for a while in the middle.
// Nothing may answer a 5xx but 503 (problem+json, Retry-After); verifies and
// the JWKS keep working during the outage while /readyz says 503; both
// nodes serve again soon after the database is back; and every revocation
// that was acknowledged with 201 is on both nodes, its token refused.
func TestNodesSurvivePostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and processes")
	}
	pg := pgtest.StartCluster(t)
	mk := make([]byte, 32)
	crand.Read(mk)
	t.Setenv("STAGEDOOR_MASTER_KEY", base64.StdEncoding.EncodeToString(mk))
	t.Setenv("STAGEDOOR_DATABASE", pg.URL())
	n1 := startServe(t, t.TempDir())
	m := bannerKey.FindStringSubmatch(n1.stdout)
	if m == nil {
		t.Fatalf("first node printed no API key:\n%s", n1.stdout)
	}
	n2 := startServe(t, t.TempDir())
	l := &faultLoad{t: t, nodes: []*process{n1, n2}, key: m[1], sec: m[2],
		http: &http.Client{Timeout: 10 * time.Second}, unavailable: make(map[string]int)}
	jwks := string(jwksOf(t, n1.url))

	ctx, stop := context.WithTimeout(t.Context(), 20*time.Second)
	defer stop()
	var wg sync.WaitGroup
	l.run(ctx, &wg, 2, 2000, func(_ *rand.Rand, g, i int) { l.mint(g, i) })
	l.run(ctx, &wg, 2, 4000, func(r *rand.Rand, _, i int) { l.verifyOne(r, i) })
	l.run(ctx, &wg, 1, 1000, func(r *rand.Rand, _, i int) { l.revokeOne(r, i) })

	// The load runs for two seconds before the outage.
	time.Sleep(2 * time.Second)
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	for i, n := range l.nodes {
		if !waitFor(ctx, 3*time.Second, func() bool { return l.ready(n) == http.StatusServiceUnavailable }) {
			t.Errorf("node %d: /readyz does not answer 503 while the database is down", i+1)
		}
		if got := string(jwksOf(t, n.url)); got != jwks {
			t.Errorf("node %d: JWKS changed while the database is down:\n%s", i+1, got)
		}
	}
	// The outage lasts at least a second and a half, under load.
	time.Sleep(1500*time.Millisecond - time.Since(down))
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	for i, n := range l.nodes {
		if !waitFor(ctx, 5*time.Second, func() bool { return l.ready(n) == http.StatusOK }) {
			t.Errorf("node %d: /readyz not 200 five seconds after the database came back", i+1)
		}
	}
	t.Logf("nodes ready %v after the database came back", time.Since(up).Round(time.Millisecond))
	// The load runs for two more seconds on the recovered nodes.
	time.Sleep(2 * time.Second)
	stop()
	wg.Wait()

	for i, n := range l.nodes {
		if status, body := l.call("revoke", l.basic(n, "/v1/revocations", fmt.Sprintf(`{"user_id":"after-%d"}`, i))); status != http.StatusCreated {
			t.Errorf("node %d: revoke after recovery: %d %v", i+1, status, body)
		}
	}
	l.mu.Lock()
	t.Logf("%d tokens minted, %d revocations acknowledged, 503s by route %v", len(l.tokens), len(l.revoked), l.unavailable)
	for _, b := range l.bad {
		t.Error(b)
	}
	revoked := l.revoked
	l.mu.Unlock()
	if l.unavailable["revoke"] == 0 {
		t.Error("no revocation met the outage: the test did not exercise it")
	}
	if l.unavailable["verify"] != 0 {
		t.Errorf("%d verifies answered 503: verifying needs no database", l.unavailable["verify"])
	}
	if len(revoked) == 0 {
		t.Fatal("no revocation was acknowledged")
	}
	for i, n := range l.nodes {
		checkRevocations(t, l, n, revoked, i+1)
	}
}

// checkRevocations checks that node lists every acknowledged revocation
// and refuses the token of each.
func checkRevocations(t *testing.T, l *faultLoad, n *process, revoked []mintedToken, num int) {
	t.Helper()
	listed := map[string]bool{}
	after := 0.0
	for {
		status, feed := n.get(t, fmt.Sprintf("/v1/revocations?after=%d", int64(after)), l.key, l.sec)
		if status != 200 {
			t.Fatalf("node %d: revocation feed: %d %v", num, status, feed)
		}
		revs, _ := feed["revocations"].([]any)
		if len(revs) == 0 {
			break
		}
		for _, r := range revs {
			rm := r.(map[string]any)
			listed[rm["value"].(string)] = true
			after = rm["seq"].(float64)
		}
	}
	for _, m := range revoked {
		if !listed[m.user] {
			t.Errorf("node %d: revocation of %s was acknowledged but is not in the feed", num, m.user)
		}
		if status, body := l.call("verify", l.verify(n, m.token)); status != 401 {
			t.Errorf("node %d: token of revoked %s: %d %v", num, m.user, status, body)
		}
	}
}

// waitFor asks ok every 20 ms until it reports true or d passes. It is for
// what another process offers only as an answer to a request, never as an
// event: /readyz, a catalog change or the audit retention reaching a
// running server.
func waitFor(ctx context.Context, d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
