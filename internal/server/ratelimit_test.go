package server

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
	"weak"

	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/testclock"
)

// wrongSecret is k with a secret that is not its own.
func wrongSecret(k authority.NewKey) *authority.NewKey {
	k.Secret += "x"
	return &k
}

// guessKey is a well-formed API key id that names no key.
func guessKey(i int) *authority.NewKey {
	return &authority.NewKey{APIKey: fmt.Sprintf("sdk_%016d", i), Secret: "nope"}
}

// limiter is the failed-authentication limiter of the server under test.
func (s *testServer) limiter() *failureLimiter {
	return s.Config.Handler.(*Server).limits
}

func want429(t *testing.T, r reply) {
	t.Helper()
	wantProblem(t, r, http.StatusTooManyRequests, "rate_limited")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func TestFailedAuthenticationRateLimit(t *testing.T) {
	body := map[string]any{"user_id": "alice", "role": "viewer"}
	mintFrom := func(s *testServer, from string, key *authority.NewKey) reply {
		return s.do(t, call{method: "POST", path: "/v1/tokens", basic: key, body: body, from: from})
	}
	wantMinted := func(t *testing.T, r reply) {
		t.Helper()
		if r.status != http.StatusCreated {
			t.Fatalf("%d %s, want 201", r.status, r.raw)
		}
	}

	t.Run("per key from one address", func(t *testing.T) {
		s := newTestServer(t)
		for range 10 {
			wantProblem(t, mintFrom(s, "127.0.0.2", wrongSecret(s.prod)), http.StatusUnauthorized, "invalid_client")
		}
		r := mintFrom(s, "127.0.0.2", wrongSecret(s.prod))
		want429(t, r)
		if r.header.Get("Retry-After") != "1" {
			t.Fatalf("Retry-After = %q, want 1", r.header.Get("Retry-After"))
		}
		// The right secret is throttled from the guessing address, which
		// must not learn whether a guess was right...
		want429(t, mintFrom(s, "127.0.0.2", &s.prod))
		// ...but never from another address...
		wantMinted(t, mintFrom(s, "127.0.0.3", &s.prod))
		// ...nor for another key from the guessing address.
		wantMinted(t, mintFrom(s, "127.0.0.2", &s.dev))
		s.clock.Advance(time.Second)
		wantMinted(t, mintFrom(s, "127.0.0.2", &s.prod))
	})

	t.Run("per address", func(t *testing.T) {
		s := newTestServer(t)
		for i := range 100 {
			wantProblem(t, mintFrom(s, "127.0.0.4", guessKey(i)), http.StatusUnauthorized, "invalid_client")
		}
		// A correct secret from the guessing address is still throttled.
		want429(t, mintFrom(s, "127.0.0.4", &s.prod))
		wantMinted(t, mintFrom(s, "127.0.0.5", &s.prod))
		s.clock.Advance(100 * time.Millisecond)
		wantMinted(t, mintFrom(s, "127.0.0.4", &s.prod))
		// One more failure empties the refilled bucket again.
		wantProblem(t, mintFrom(s, "127.0.0.4", wrongSecret(s.dev)), http.StatusUnauthorized, "invalid_client")
		want429(t, mintFrom(s, "127.0.0.4", &s.prod))
	})

	t.Run("successes are never throttled", func(t *testing.T) {
		s := newTestServer(t)
		for range 25 {
			wantMinted(t, mintFrom(s, "", &s.prod))
		}
		if n := s.limiter().len(); n != 0 {
			t.Fatalf("successes left %d limiter entries", n)
		}
	})

	t.Run("every API-key route shares the limit", func(t *testing.T) {
		s := newTestServer(t)
		for range 10 {
			wantProblem(t, mintFrom(s, "127.0.0.6", wrongSecret(s.prod)), http.StatusUnauthorized, "invalid_client")
		}
		for _, c := range []struct {
			call
			status int
		}{
			{call{method: "POST", path: "/v1/tokens", body: body}, http.StatusCreated},
			{call{method: "POST", path: "/v1/guests", body: map[string]any{"name": "Gus"}}, http.StatusCreated},
			{call{method: "POST", path: "/v1/introspect", body: map[string]any{"token": "garbage"}}, http.StatusOK},
			{call{method: "POST", path: "/v1/revocations", body: map[string]any{"user_id": "mallory"}}, http.StatusCreated},
			{call{method: "GET", path: "/v1/revocations"}, http.StatusOK},
			{call{method: "POST", path: "/v1/rooms", body: map[string]any{"name": "stage"}}, http.StatusCreated},
			{call{method: "PUT", path: "/v1/app/session-policy", body: map[string]any{"policy": "join"}}, http.StatusOK},
		} {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				c.basic = &s.prod
				c.from = "127.0.0.6"
				want429(t, s.do(t, c.call))
				c.from = "127.0.0.7"
				if r := s.do(t, c.call); r.status != c.status {
					t.Fatalf("the owner from another address: %d %s, want %d", r.status, r.raw, c.status)
				}
			})
		}
	})
}

// TestOwnerServedDuringFlood floods failures for the owner's key id from
// one address while the owner, from another, authenticates correctly.
func TestOwnerServedDuringFlood(t *testing.T) {
	s := newTestServer(t)
	body := `{"user_id":"alice","role":"viewer"}`
	var refused, flood atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			c := clientFrom("127.0.0.2")
			for {
				select {
				case <-stop:
					return
				default:
				}
				req := s.request(t, call{method: "POST", path: "/v1/tokens", basic: wrongSecret(s.prod), body: body})
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				flood.Add(1)
				if resp.StatusCode == http.StatusTooManyRequests {
					refused.Add(1)
				}
			}
		})
	}
	const rounds = 200
	served := 0
	for range rounds {
		r := s.do(t, call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: body, from: "127.0.0.3"})
		if r.status == http.StatusCreated {
			served++
		}
		s.clock.Advance(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if served*100 < rounds*99 {
		t.Errorf("the owner was served %d of %d times while %d failures flooded its key id", served, rounds, flood.Load())
	}
	if refused.Load() == 0 {
		t.Errorf("none of the %d flooding requests was throttled", flood.Load())
	}
}

// TestMalformedKeyIDs checks that key ids no key can have are refused
// before anything is looked up or counted: they leave no limiter entry and
// do not throttle the address that sent them.
func TestMalformedKeyIDs(t *testing.T) {
	s := newTestServer(t)
	good := s.prod.APIKey
	for _, id := range []string{
		"sdk_",
		good[:len(good)-1],
		good + "A",
		"key_" + good[4:],
		"SDK_" + good[4:],
		good[:len(good)-1] + "+",
		good[:len(good)-1] + "=",
		good[:len(good)-1] + ".",
		good[:len(good)-2] + "é",
		good[:len(good)-1] + "\x00",
		"sdk_" + strings.Repeat("A", 10<<10),
		strings.Repeat("x", 64<<10),
	} {
		for range 20 {
			r := s.do(t, call{method: "POST", path: "/v1/tokens", basic: &authority.NewKey{APIKey: id, Secret: "nope"}, body: map[string]any{}, from: "127.0.0.8"})
			wantProblem(t, r, http.StatusUnauthorized, "invalid_client")
		}
	}
	if n := s.limiter().len(); n != 0 {
		t.Fatalf("malformed key ids left %d limiter entries", n)
	}
	r := s.do(t, call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "alice", "role": "viewer"}, from: "127.0.0.8"})
	if r.status != http.StatusCreated {
		t.Fatalf("the owner after malformed key ids: %d %s", r.status, r.raw)
	}
}

// TestFailureLimiterBounded floods the limiter with failures of distinct
// addresses and long key ids: it keeps at most its bound of entries, keeps
// the ones in use, and retains none of the key ids.
func TestFailureLimiterBounded(t *testing.T) {
	clk := testclock.New(time.Now())
	const bound = 64
	l := newFailureLimiter(limit{rate: 1, burst: 10}, limit{rate: 10, burst: 100}, bound, clk.Now)
	const guesser, guessed = "10.1.0.1", "sdk_AAAAAAAAAAAAAAAA"
	for range 10 {
		l.fail(guesser, guessed)
	}
	var keys []weak.Pointer[byte]
	for i := range 5000 {
		key := "sdk_" + rand.Text() + strings.Repeat("A", 10<<10)
		keys = append(keys, weak.Make(unsafe.StringData(key)))
		l.fail(fmt.Sprintf("10.2.%d.%d", i>>8, i&255), key)
		if n := l.len(); n > bound {
			t.Fatalf("after %d failures the limiter holds %d entries, bound %d", i+1, n, bound)
		}
		if l.wait(guesser, guessed) == 0 {
			t.Fatalf("after %d failures elsewhere the guessing address is no longer throttled", i+1)
		}
	}
	runtime.GC()
	for i, w := range keys {
		if w.Value() != nil {
			t.Fatalf("key id %d is still reachable", i)
		}
	}
}

// TestFailureLimiterCountsRacedFailures lets two guesses pass the check
// before either fails: both are counted, so the wait is as long as if they
// had come one after the other.
func TestFailureLimiterCountsRacedFailures(t *testing.T) {
	clk := testclock.New(time.Now())
	l := newFailureLimiter(limit{rate: 1, burst: 1}, limit{rate: 10, burst: 100}, maxBuckets, clk.Now)
	const from, key = "10.0.0.1", "sdk_AAAAAAAAAAAAAAAA"
	l.fail(from, key)
	clk.Advance(time.Second)
	if l.wait(from, key) != 0 || l.wait(from, key) != 0 {
		t.Fatal("a refilled bucket refuses")
	}
	l.fail(from, key)
	l.fail(from, key)
	if d := l.wait(from, key); d != 2*time.Second {
		t.Fatalf("wait %v after two failures, want 2s", d)
	}
	clk.Advance(time.Second)
	if d := l.wait(from, key); d != time.Second {
		t.Fatalf("wait %v a second later, want 1s", d)
	}
}

// TestFailureLimiterConcurrentGuesses races guesses from one address at a
// stopped clock: however they interleave, no more are let through than
// the burst and those already in flight when it ran out, since a failure
// that raced past the check is still counted.
func TestFailureLimiterConcurrentGuesses(t *testing.T) {
	const workers, burst = 8, 10
	clk := testclock.New(time.Now())
	for round := range 200 {
		l := newFailureLimiter(limit{rate: 1, burst: burst}, limit{rate: 10, burst: 100}, maxBuckets, clk.Now)
		var through atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range 5 {
					if l.wait("10.0.0.1", "sdk_AAAAAAAAAAAAAAAA") == 0 {
						through.Add(1)
						l.fail("10.0.0.1", "sdk_AAAAAAAAAAAAAAAA")
					}
				}
			})
		}
		wg.Wait()
		if n := through.Load(); n < burst || n > burst+workers-1 {
			t.Fatalf("round %d: %d guesses let through, want %d to %d", round, n, burst, burst+workers-1)
		}
		if l.wait("10.0.0.1", "sdk_AAAAAAAAAAAAAAAA") == 0 {
			t.Fatalf("round %d: the address may still guess", round)
		}
	}
}

// TestMemoryUnderRandomKeyIDs sends requests with random 10 KB key ids
// through the real handler: the heap they leave behind stays under 50 MB.
// The requests are pipelined on a few connections, prepared by hand, so
// that the server's work dominates. Under the race detector or -short it
// sends 10,000, which leave about 90 MB behind if key ids are kept.
func TestMemoryUnderRandomKeyIDs(t *testing.T) {
	s := newTestServer(t)
	requests := 60_000
	if raceEnabled || testing.Short() {
		requests = 10_000
	}
	const conns = 4
	before := heapInUse()
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			if err := unknownKeyRequests(s.Listener.Addr().String(), requests/conns+min(c, requests%conns)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	grown := heapInUse() - before
	t.Logf("%d requests with random 10 KB key ids: heap %+.1f MB, %d limiter entries", requests, float64(grown)/(1<<20), s.limiter().len())
	if grown > 50<<20 {
		t.Fatalf("the heap grew by %.1f MB", float64(grown)/(1<<20))
	}
}

// unknownKeyRequests sends n pipelined requests, each with a new random
// 10 KB key id, on one connection to addr, and checks that each is
// refused.
func unknownKeyRequests(addr string, n int) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	sent := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(conn)
		plain := append(make([]byte, 10<<10), ":nope"...)
		cred := make([]byte, base64.StdEncoding.EncodedLen(len(plain)))
		for range n {
			randomKeyID(plain[:10<<10])
			base64.StdEncoding.Encode(cred, plain)
			fmt.Fprintf(w, "GET /v1/revocations HTTP/1.1\r\nHost: stagedoor\r\nAuthorization: Basic %s\r\n\r\n", cred)
		}
		sent <- w.Flush()
	}()
	r := bufio.NewReader(conn)
	for i := range n {
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return fmt.Errorf("response %d: %w", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusTooManyRequests {
			return fmt.Errorf("response %d: status %d, want a refusal", i, resp.StatusCode)
		}
	}
	return <-sent
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// randomKeyID fills id with "sdk_" and random characters of the key id
// alphabet: a key id of the wrong length only.
func randomKeyID(id []byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	rand.Read(id)
	for i, b := range id {
		id[i] = alphabet[b&63]
	}
	copy(id, "sdk_")
}

// TestClient checks whom failures are counted against: an IPv4 address, or
// the /64 of an IPv6 one, however the address is written; X-Forwarded-For
// only from a trusted proxy, read from the right past the trusted proxies.
func TestClient(t *testing.T) {
	s := New(Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ff::/48")}})
	for _, tc := range []struct {
		remote string
		xff    []string
		want   string
	}{
		{"127.0.0.1:40000", nil, "127.0.0.1"},
		{"[::ffff:127.0.0.1]:40000", nil, "127.0.0.1"},
		{"[2001:db8:1:2:aaaa::1]:40000", nil, "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb::2]:1", nil, "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:40000", nil, "fe80::/64"},
		{"@", nil, "@"},
		// A header from anyone but a trusted proxy is not believed.
		{"127.0.0.1:40000", []string{"198.51.100.7"}, "127.0.0.1"},
		// From a trusted proxy: the address it saw...
		{"10.1.2.3:40000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"[::ffff:10.1.2.3]:40000", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"[2001:db8:ff::1]:40000", []string{"2001:db8:1:2:aaaa::1"}, "2001:db8:1:2::/64"},
		{"10.1.2.3:40000", []string{"198.51.100.7:5555"}, "198.51.100.7"},
		// ...past other trusted proxies, not what the client wrote itself...
		{"10.1.2.3:40000", []string{"203.0.113.9, 198.51.100.7, 10.9.9.9"}, "198.51.100.7"},
		{"10.1.2.3:40000", []string{"203.0.113.9", "198.51.100.7, 10.9.9.9"}, "198.51.100.7"},
		// ...the last trusted proxy when all of them are...
		{"10.1.2.3:40000", []string{"10.9.9.9"}, "10.9.9.9"},
		{"10.1.2.3:40000", nil, "10.1.2.3"},
		// ...and the proxy that added what cannot be read.
		{"10.1.2.3:40000", []string{"198.51.100.7, not-an-address"}, "10.1.2.3"},
		{"10.1.2.3:40000", []string{"198.51.100.7, not-an-address, 10.9.9.9"}, "10.9.9.9"},
		{"10.1.2.3:40000", []string{""}, "10.1.2.3"},
	} {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.client(r); got != tc.want {
			t.Errorf("client(%q, X-Forwarded-For %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// Behind a trusted proxy, failures are counted against the clients the
// proxy names, so one guessing client does not lock the others out; a
// client that is no proxy cannot move its failures onto another address.
func TestFailuresBehindATrustedProxy(t *testing.T) {
	base := newTestServer(t)
	api := New(Config{Auth: base.auth, Now: base.clock.Now, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	s := *base
	s.Server, s.api = srv, api
	mint := func(from, xff string, key *authority.NewKey) reply {
		return s.do(t, call{method: "POST", path: "/v1/tokens", basic: key, body: map[string]any{"user_id": "alice", "role": "viewer"},
			from: from, header: map[string]string{"X-Forwarded-For": xff}})
	}
	for range 10 {
		wantProblem(t, mint("127.0.0.2", "198.51.100.7", wrongSecret(s.prod)), http.StatusUnauthorized, "invalid_client")
	}
	want429(t, mint("127.0.0.2", "198.51.100.7", &s.prod))
	if r := mint("127.0.0.2", "198.51.100.8", &s.prod); r.status != http.StatusCreated {
		t.Fatalf("another client behind the proxy: %d %s, want 201", r.status, r.raw)
	}

	for range 10 {
		wantProblem(t, mint("127.0.0.3", "198.51.100.9", wrongSecret(s.prod)), http.StatusUnauthorized, "invalid_client")
	}
	want429(t, mint("127.0.0.3", "198.51.100.10", &s.prod))
	if r := mint("127.0.0.2", "198.51.100.9", &s.prod); r.status != http.StatusCreated {
		t.Fatalf("the client a non-proxy named: %d %s, want 201", r.status, r.raw)
	}
}
