package authority

import (
	"context"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// roomKey names a room of an app.
type roomKey struct{ app, room string }

// blockList keeps who is barred from which room, read from the store on
// first use and read again after the room changes (a change reported by
// the feed, from this node or another). It remembers a bounded number of
// rooms: past it, the room used least recently is forgotten, to be read
// again when it is next used.
type blockList struct {
	mu    sync.Mutex
	rooms *simplelru.LRU[roomKey, *blockEntry]
}

type blockEntry struct {
	who map[string]bool
	// valid is false until loaded and again once the room changed; version
	// counts changes, so a load racing with a change is not kept.
	valid   bool
	version uint64
}

// maxBlockRooms is how many rooms' block lists are remembered.
const maxBlockRooms = 10_000

func newBlockList(capacity int) *blockList {
	rooms, err := simplelru.NewLRU[roomKey, *blockEntry](capacity, nil)
	if err != nil {
		panic(err) // only for a capacity below 1, which is a programming error
	}
	return &blockList{rooms: rooms}
}

// isBlocked reports whether participant is barred from the room, loading
// the room's list with load when it is not current. While the store
// cannot be read, the list read last is used, or none: verification goes
// on from memory while the store is away, as it does for everything else.
func (b *blockList) isBlocked(k roomKey, participant string, load func() ([]string, error)) bool {
	b.mu.Lock()
	e, ok := b.rooms.Get(k)
	if !ok {
		e = &blockEntry{}
		b.rooms.Add(k, e)
	}
	if e.valid {
		defer b.mu.Unlock()
		return e.who[participant]
	}
	version := e.version
	b.mu.Unlock()
	list, err := load()
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		return e.who[participant]
	}
	who := make(map[string]bool, len(list))
	for _, p := range list {
		who[p] = true
	}
	if e.version == version {
		e.who, e.valid = who, true
	}
	return who[participant]
}

// changed forgets what is known of a room.
func (b *blockList) changed(k roomKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.rooms.Peek(k); ok {
		e.valid = false
		e.version++
	}
}

// reset forgets what is known of every room, for changes that may have
// been missed.
func (b *blockList) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.rooms.Values() {
		e.valid = false
		e.version++
	}
}

// checkBlocked refuses a participant a moderator barred from room.
func (a *Authority) checkBlocked(ctx context.Context, app, room, participant string) error {
	if room == "" {
		return nil
	}
	load := func() ([]string, error) { return a.store.Blocked(ctx, app, room) }
	if a.rooms.blocks.isBlocked(roomKey{app, room}, participant, load) {
		return blocked(participant, room)
	}
	return nil
}
