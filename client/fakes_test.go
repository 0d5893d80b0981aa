package client_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves. Each After reports its duration on
// waits, so that a test can wait until the client waits.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	pending []fakeTimer
	waits   chan time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Now(), waits: make(chan time.Duration, 1000)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- f.now
	} else {
		f.pending = append(f.pending, fakeTimer{f.now.Add(d), ch})
	}
	f.waits <- d
	return ch
}

// Advance moves the clock by d and fires the timers due.
func (f *fakeClock) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set sets the clock, even back, and fires the timers due.
func (f *fakeClock) Set(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
	kept := f.pending[:0]
	for _, t := range f.pending {
		if t.at.After(f.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- f.now
	}
	f.pending = kept
}

// nextWait returns the duration of the next After the client calls.
func (f *fakeClock) nextWait(t testing.TB) time.Duration {
	t.Helper()
	return await(t, f.waits, "wait on the clock")
}

// fault is what the proxy does instead of forwarding a request.
type fault int

const (
	// unavailable answers 503 with a plain text body, as a load balancer
	// whose backend is away does.
	unavailable fault = iota + 1
	// drop closes the connection without answering.
	drop
)

// proxy stands in front of the real server to count requests, inject
// faults and cut event streams.
type proxy struct {
	url string
	srv *httptest.Server
	rp  *httputil.ReverseProxy

	mu     sync.Mutex
	faults map[string][]fault
	// forwarded counts the requests that reached the server, by method
	// and path.
	forwarded map[string]int
	// gates hold requests of a method and path until opened.
	gates map[string]*gate
	// streams cancels the event streams in flight.
	streams map[*http.Request]context.CancelFunc
	// resumes lists the Last-Event-ID of every event stream opened.
	resumes []string
	// answers reports the status of each answer the server gave.
	answers chan answer
}

// answer is the status of one answer the server gave to a request of key.
type answer struct {
	key    string
	status int
}

type gate struct {
	arrived chan struct{}
	open    chan struct{}
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{rp: httputil.NewSingleHostReverseProxy(u), faults: map[string][]fault{}, forwarded: map[string]int{},
		gates: map[string]*gate{}, streams: map[*http.Request]context.CancelFunc{}, answers: make(chan answer, 1000)}
	p.rp.FlushInterval = -1
	p.rp.ModifyResponse = func(resp *http.Response) error {
		select {
		case p.answers <- answer{resp.Request.Method + " " + resp.Request.URL.Path, resp.StatusCode}:
		default:
		}
		return nil
	}
	p.rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.url, p.srv = srv.URL, srv
	return p
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	stream := strings.HasSuffix(r.URL.Path, "/events") && !strings.Contains(r.Header.Get("Accept"), "application/json")
	p.mu.Lock()
	var f fault
	if q := p.faults[key]; len(q) > 0 {
		f, p.faults[key] = q[0], q[1:]
	}
	g := p.gates[key]
	if f == 0 {
		p.forwarded[key]++
		if stream {
			p.resumes = append(p.resumes, r.Header.Get("Last-Event-ID"))
		}
	}
	p.mu.Unlock()
	switch f {
	case unavailable:
		http.Error(w, "backend unavailable", http.StatusServiceUnavailable)
		return
	case drop:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	if g != nil {
		g.arrived <- struct{}{}
		<-g.open
	}
	if stream {
		ctx, cancel := context.WithCancel(r.Context())
		r = r.WithContext(ctx)
		p.mu.Lock()
		p.streams[r] = cancel
		p.mu.Unlock()
		defer func() {
			p.mu.Lock()
			delete(p.streams, r)
			p.mu.Unlock()
			cancel()
		}()
	}
	p.rp.ServeHTTP(w, r)
}

// fail makes the next requests of method and path fail with faults, in
// order.
func (p *proxy) fail(key string, faults ...fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults[key] = append(p.faults[key], faults...)
}

// release lets the requests of key through again.
func (p *proxy) release(key string, g *gate) {
	p.mu.Lock()
	delete(p.gates, key)
	p.mu.Unlock()
	close(g.open)
}

// hold holds the requests of key until the returned gate opens; each
// arrival is reported on gate.arrived.
func (p *proxy) hold(key string) *gate {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := &gate{arrived: make(chan struct{}, 100), open: make(chan struct{})}
	p.gates[key] = g
	return g
}

// count is how many requests of key reached the server.
func (p *proxy) count(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forwarded[key]
}

// answered waits for an answer of status to a request of key.
func (p *proxy) answered(t testing.TB, key string, status int) {
	t.Helper()
	for {
		if a := await(t, p.answers, "answer"); a.key == key && a.status == status {
			return
		}
	}
}

// total is how many requests reached the server.
func (p *proxy) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.forwarded {
		n += c
	}
	return n
}

// cutStreams breaks every event stream in flight, as a network failure
// does: the connection closes mid-answer.
func (p *proxy) cutStreams() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cancel := range p.streams {
		cancel()
	}
	return len(p.streams)
}

// lastEventIDs is the Last-Event-ID of each event stream opened.
func (p *proxy) lastEventIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.resumes...)
}
