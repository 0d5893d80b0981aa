package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stagedoor/stagedoor/problem"
)

// Default caps on open event streams and long polls: a credential (one
// access token or API key) rarely needs more than a few, a tab or device
// each; a node holds at most this many, so one credential, or many, cannot
// take its memory, goroutines or store.
const (
	DefaultStreamsPerCredential = 8
	DefaultStreamsPerNode       = 10_000
)

// streamRetry is the Retry-After of a refused stream: a slot frees only
// when another stream of the credential or node ends, so retrying at once
// is pointless.
const streamRetry = 5 * time.Second

// streamSlots counts open event streams, per credential and per node, and
// refuses those beyond the caps.
type streamSlots struct {
	perCredential, perNode int

	mu     sync.Mutex
	open   int
	byCred map[string]int
	// moved, made when someone waits on opened, is closed when open
	// changes.
	moved chan struct{}

	gauge   prometheus.Gauge
	refused *prometheus.CounterVec
}

func newStreamSlots(perCredential, perNode int, reg prometheus.Registerer) *streamSlots {
	l := &streamSlots{
		perCredential: perCredential,
		perNode:       perNode,
		byCred:        make(map[string]int),
		gauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stagedoor_event_streams", Help: "Event streams and long polls open on this node.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stagedoor_event_streams_refused_total", Help: "Event streams refused with 429, by the cap reached (credential or node).",
		}, []string{"cap"}),
	}
	reg.MustRegister(l.gauge, l.refused)
	return l
}

// acquire takes a slot for a stream of cred, or returns a 429 problem when
// cred or the node holds all it may. Call release once the stream ended.
func (l *streamSlots) acquire(cred string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.open >= l.perNode:
		l.refused.WithLabelValues("node").Inc()
		return nil, tooManyStreams("this server holds as many event streams as it may; try again later")
	case l.byCred[cred] >= l.perCredential:
		l.refused.WithLabelValues("credential").Inc()
		return nil, tooManyStreams("this credential holds as many event streams as it may; close one first")
	}
	l.open++
	l.byCred[cred]++
	l.gauge.Inc()
	l.move()
	return func() { l.release(cred) }, nil
}

func (l *streamSlots) release(cred string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byCred[cred]--; l.byCred[cred] == 0 {
		delete(l.byCred, cred)
	}
	l.gauge.Dec()
	l.move()
}

// move tells those waiting on opened that the count changed; l.mu is held.
func (l *streamSlots) move() {
	if l.moved != nil {
		close(l.moved)
		l.moved = nil
	}
}

// opened returns how many streams are open and a channel closed when that
// number next changes.
func (l *streamSlots) opened() (int, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.moved == nil {
		l.moved = make(chan struct{})
	}
	return l.open, l.moved
}

func tooManyStreams(detail string) *problem.Problem {
	p := problem.New(http.StatusTooManyRequests, "too_many_streams", detail)
	p.RetryAfter = streamRetry
	return p
}
