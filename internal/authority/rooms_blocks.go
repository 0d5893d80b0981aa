package authority

import (
	"context"
	"sync"
)

// roomKey names a room of an app.
type roomKey struct{ app, room string }

// blockList keeps who is barred from which room, read from the store on
// first use and read again after the room changes (a change reported by
// the feed, from this node or another).
type blockList struct {
	mu    sync.Mutex
	rooms map[roomKey]*blockEntry
}

type blockEntry struct {
	who map[string]bool
	// valid is false until loaded and again once the room changed; version
	// counts changes, so a load racing with a change is not kept.
	valid   bool
	version uint64
}

// maxBlockRooms bounds the rooms remembered; past it the list starts over.
const maxBlockRooms = 10_000

func newBlockList() *blockList { return &blockList{rooms: make(map[roomKey]*blockEntry)} }

// isBlocked reports whether participant is barred from the room, loading
// the room's list with load when it is not current. While the store
// cannot be read, the list read last is used, or none: verification goes
// on from memory while the store is away, as it does for everything else.
func (b *blockList) isBlocked(k roomKey, participant string, load func() ([]string, error)) bool {
	b.mu.Lock()
	e, ok := b.rooms[k]
	if !ok {
		if len(b.rooms) >= maxBlockRooms {
			b.rooms = make(map[roomKey]*blockEntry)
		}
		e = &blockEntry{}
		b.rooms[k] = e
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
	if e, ok := b.rooms[k]; ok {
		e.valid = false
		e.version++
	}
}

// reset forgets every room, for changes that may have been missed.
func (b *blockList) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.rooms {
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
