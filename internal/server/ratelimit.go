package server

import (
	"crypto/sha256"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"

	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/problem"
)

// failureLimiter slows down the guessing of API secrets. It counts failed
// authentications per client address, and per API key from each address:
// key ids are public, so counting per key alone would let anyone lock a
// key's owner out. A correct secret is never refused because of another
// address's failures, and only failures count, so a backend that
// authenticates correctly is never throttled.
//
// Its memory is bounded: it holds at most capacity buckets, dropping the
// least recently used, under fixed-size hashes of what a client sent.
type failureLimiter struct {
	perKey, perAddr limit
	now             func() time.Time

	mu      sync.Mutex
	buckets *simplelru.LRU[bucketKey, *rate.Limiter]
}

// limit is a token bucket's refill rate and size.
type limit struct {
	rate  rate.Limit
	burst int
}

// limitOr is the limit of rate and burst, each defaulting when zero.
func limitOr(r float64, burst int, defaultRate float64, defaultBurst int) limit {
	if r == 0 {
		r = defaultRate
	}
	if burst == 0 {
		burst = defaultBurst
	}
	return limit{rate: rate.Limit(r), burst: burst}
}

// bucketKey names a bucket by a hash, never by the client's strings.
type bucketKey [16]byte

// maxBuckets bounds the limiter at about 22 MB.
const maxBuckets = 100_000

func newFailureLimiter(perKey, perAddr limit, capacity int, now func() time.Time) *failureLimiter {
	buckets, err := simplelru.NewLRU[bucketKey, *rate.Limiter](capacity, nil)
	if err != nil {
		panic(err) // only for a capacity below 1, which is a programming error
	}
	return &failureLimiter{perKey: perKey, perAddr: perAddr, now: now, buckets: buckets}
}

// bucket is one count a failure is charged to.
type bucket struct {
	key bucketKey
	limit
}

// bucketsOf returns the buckets a failure of key from client is charged
// to: the client's, and the client's for that key.
func (l *failureLimiter) bucketsOf(client, key string) [2]bucket {
	h := sha256.New()
	h.Write([]byte(client))
	var addr, pair bucketKey
	copy(addr[:], h.Sum(nil))
	h.Write([]byte{0})
	h.Write([]byte(key))
	copy(pair[:], h.Sum(nil))
	return [2]bucket{{addr, l.perAddr}, {pair, l.perKey}}
}

// wait returns how long client must wait before trying key again, zero if
// it may try now. It remembers nothing new.
func (l *failureLimiter) wait(client, key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var longest time.Duration
	for _, b := range l.bucketsOf(client, key) {
		lim, ok := l.buckets.Get(b.key)
		if !ok {
			continue
		}
		if t := lim.TokensAt(now); t < 1 {
			longest = max(longest, time.Duration((1-t)/float64(b.rate)*float64(time.Second)))
		}
	}
	return longest
}

// fail counts a failure of key from client. A failure that raced past
// wait is still counted: the bucket goes into debt, so concurrent guesses
// lengthen the wait rather than escape it.
func (l *failureLimiter) fail(client, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, b := range l.bucketsOf(client, key) {
		lim, ok := l.buckets.Get(b.key)
		if !ok {
			lim = rate.NewLimiter(b.rate, b.burst)
			l.buckets.Add(b.key, lim)
		}
		lim.ReserveN(now, 1)
	}
}

// len is the number of buckets held.
func (l *failureLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buckets.Len()
}

// client names the request's source for throttling: its IP address, or
// for IPv6 its /64, since one host is commonly given a whole /64. The
// address is the connection's peer, unless the peer is a trusted proxy:
// then it is the last address of X-Forwarded-For that is not a trusted
// proxy, read from the right, where each proxy appends the address it saw.
// An entry may carry a port; one that cannot be read leaves the request
// at the address of the proxy that added it.
func (s *Server) client(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	a := ap.Addr().Unmap()
	if s.trusted(a) {
		a = s.forwardedFor(r, a)
	}
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	return a.String()
}

// forwardedFor is the client address X-Forwarded-For gives for a request
// that the trusted proxy peer passed on, or peer.
func (s *Server) forwardedFor(r *http.Request, peer netip.Addr) netip.Addr {
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for h := range strings.SplitSeq(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	for _, h := range slices.Backward(hops) {
		a, err := netip.ParseAddr(h)
		if err != nil {
			ap, perr := netip.ParseAddrPort(h)
			if perr != nil {
				return peer
			}
			a = ap.Addr()
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a
		}
		peer = a
	}
	return peer
}

// trusted reports whether a is one of the trusted proxies.
func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// authenticate checks the request's API key credentials. A key id that no
// key can have is refused before anything else; failures are throttled
// per client address and per key from that address.
func (s *Server) authenticate(r *http.Request) (authority.Caller, error) {
	key, sec, ok := basicAuth(r)
	if !ok {
		return authority.Caller{}, missingBasic()
	}
	if !authority.WellFormedKeyID(key) {
		s.metrics.authFailures.Inc()
		return authority.Caller{}, authority.ErrUnauthenticated
	}
	from := s.client(r)
	if d := s.limits.wait(from, key); d > 0 {
		p := problem.New(http.StatusTooManyRequests, "rate_limited", "too many failed authentications; retry later")
		p.RetryAfter = d
		return authority.Caller{}, p
	}
	c, err := s.auth.Authenticate(key, sec)
	if err != nil {
		s.limits.fail(from, key)
		s.metrics.authFailures.Inc()
		return authority.Caller{}, err
	}
	return c, nil
}
