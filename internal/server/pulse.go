package server

import (
	"sync"
	"time"
)

// pulse is a beat the server's event streams share, so that idle streams
// send heartbeats without a timer each. It beats only while some stream
// listens.
type pulse struct {
	every time.Duration

	mu sync.Mutex
	// beat is closed, and replaced, at each beat.
	beat      chan struct{}
	listeners int
	stop      chan struct{}
}

func newPulse(every time.Duration) *pulse {
	return &pulse{every: every, beat: make(chan struct{})}
}

// listen counts a listener until leave is called; the first starts the
// beat, the last stops it.
func (p *pulse) listen() (leave func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listeners++; p.listeners == 1 {
		p.stop = make(chan struct{})
		go p.run(p.stop)
	}
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.listeners--; p.listeners == 0 {
			close(p.stop)
		}
	}
}

// next returns a channel closed at the next beat.
func (p *pulse) next() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.beat
}

func (p *pulse) run(stop <-chan struct{}) {
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		p.mu.Lock()
		close(p.beat)
		p.beat = make(chan struct{})
		p.mu.Unlock()
	}
}
