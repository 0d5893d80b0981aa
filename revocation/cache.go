package revocation

import (
	"sync"
	"time"
)

// verifiedCache remembers tokens that passed verification, keyed by the
// whole token, so a media server checking the same token many times pays
// for the signature once. An entry is never used at or past the token's
// exp, nor once the set's generation has moved since it was stored (gen):
// a token revoked since could be in it.
type verifiedCache struct {
	shards [cacheShards]cacheShard
	max    int // per shard
}

const cacheShards = 32

type cacheShard struct {
	mu sync.Mutex
	m  map[string]cacheEntry
}

type cacheEntry struct {
	v   *Verified
	gen uint64
}

func newVerifiedCache(size int) *verifiedCache {
	c := &verifiedCache{max: max(size/cacheShards, 1)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]cacheEntry)
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

func (c *verifiedCache) get(key string, now time.Time, gen uint64) (*Verified, bool) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return nil, false
	}
	if e.gen != gen || !now.Before(e.v.Claims.ExpiresAt) {
		delete(s.m, key)
		return nil, false
	}
	return e.v, true
}

func (c *verifiedCache) put(key string, v *Verified, gen uint64) {
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
	s.m[key] = cacheEntry{v: v, gen: gen}
}
