package server

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/stagedoor/stagedoor/internal/authority"
)

// failureLimiter limits failed API-key authentications per key and per
// client address, so guessing a secret is slow. Only failures count: a
// partner backend that authenticates correctly is never throttled.
type failureLimiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// maxBuckets bounds memory under a flood of distinct keys or addresses;
// past it, full buckets (which carry no state worth keeping) are dropped.
const maxBuckets = 100_000

func newFailureLimiter(perSecond float64, burst int, now func() time.Time) *failureLimiter {
	return &failureLimiter{rate: rate.Limit(perSecond), burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
}

func (l *failureLimiter) bucket(name string) *rate.Limiter {
	b, ok := l.buckets[name]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.sweep()
		}
		b = rate.NewLimiter(l.rate, l.burst)
		l.buckets[name] = b
	}
	return b
}

func (l *failureLimiter) sweep() {
	now := l.now()
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
}

// wait returns how long the names must wait before another attempt, zero
// if they may try now.
func (l *failureLimiter) wait(names ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var longest time.Duration
	for _, n := range names {
		b := l.bucket(n)
		if t := b.TokensAt(now); t < 1 {
			longest = max(longest, time.Duration((1-t)/float64(l.rate)*float64(time.Second)))
		}
	}
	return longest
}

// fail counts a failed attempt against every name.
func (l *failureLimiter) fail(names ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, n := range names {
		l.bucket(n).AllowN(now, 1)
	}
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authenticate checks the request's API key credentials, rate-limiting
// failures per key and per client address.
func (s *Server) authenticate(r *http.Request) (authority.Caller, error) {
	key, sec, ok := basicAuth(r)
	if !ok {
		return authority.Caller{}, missingBasic()
	}
	names := []string{"key:" + key, "addr:" + clientAddr(r)}
	if d := s.limits.wait(names...); d > 0 {
		p := newProblem(http.StatusTooManyRequests, "rate_limited", "too many failed authentications; retry later")
		p.retryAfter = d
		return authority.Caller{}, p
	}
	c, err := s.auth.Authenticate(key, sec)
	if err != nil {
		s.limits.fail(names...)
		s.metrics.authFailures.Inc()
		return authority.Caller{}, err
	}
	return c, nil
}
