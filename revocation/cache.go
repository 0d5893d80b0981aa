package revocation

import (
	"sync"
	"time"
)

// verifiedCache remembers tokens whose signature and grants were checked,
// keyed by the whole token, so a media server checking the same token many
// times pays for the signature once. An entry is never used at or past
// the token's exp. It holds no verdict on revocations or the issuer: the
// Checker asks those again on every use, so a revocation needs no entry
// forgotten and leaves the others in place.
type verifiedCache struct {
	shards [cacheShards]cacheShard
	max    int // per shard
}

const cacheShards = 32

type cacheShard struct {
	mu sync.Mutex
	m  map[string]*Verified
}

func newVerifiedCache(size int) *verifiedCache {
	c := &verifiedCache{max: max(size/cacheShards, 1)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*Verified)
	}
	return c
}

func (c *verifiedCache) shard(key string) *cacheShard {
	// FNV-1a over the signature end of the token, which is the random part.
	h := uint32(2166136261)
	for i := max(len(key)-16, 0); i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return &c.shards[h%cacheShards]
}

func (c *verifiedCache) get(key string, now time.Time) (*Verified, bool) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return nil, false
	}
	if !now.Before(v.Claims.ExpiresAt) {
		delete(s.m, key)
		return nil, false
	}
	return v, true
}

func (c *verifiedCache) put(key string, v *Verified) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= c.max {
		// Evict an arbitrary tenth: map iteration order is random.
		n := max(c.max/10, 1)
		for k := range s.m {
			delete(s.m, k)
			if n--; n == 0 {
				break
			}
		}
	}
	s.m[key] = v
}
