package authority

import (
	"fmt"
	"testing"
)

// loads counts the reads of each room's block list.
type loads map[roomKey]int

// check asks whether p is barred from room r of app a, where p is the one
// participant barred from every room, and counts the read if there is one.
func (l loads) check(b *blockList, r string) bool {
	k := roomKey{"a", r}
	return b.isBlocked(k, "p", func() ([]string, error) {
		l[k]++
		return []string{"p"}, nil
	})
}

// Past its capacity the list forgets the room used least recently, one
// room at a time, and reads it again when it is next used.
func TestBlockListEvictsLeastRecentlyUsed(t *testing.T) {
	const capacity = 3
	b := newBlockList(capacity)
	l := loads{}
	for i := range capacity {
		if !l.check(b, fmt.Sprint(i)) {
			t.Fatalf("room %d: the barred participant passes", i)
		}
	}
	// Room 0 is used again: room 1 is now the least recently used.
	l.check(b, "0")
	l.check(b, "new")
	for _, r := range []string{"0", "2", "new", "1"} {
		if !l.check(b, r) {
			t.Fatalf("room %s: the barred participant passes", r)
		}
	}
	want := loads{{"a", "0"}: 1, {"a", "1"}: 2, {"a", "2"}: 1, {"a", "new"}: 1}
	for k, n := range want {
		if l[k] != n {
			t.Errorf("room %s read %d times, want %d: %v", k.room, l[k], n, l)
		}
	}
}

// A change reported while a room's list is being read is not lost: the
// list read before it is used for that check only, and read again after.
func TestBlockListChangeDuringLoad(t *testing.T) {
	b := newBlockList(maxBlockRooms)
	k := roomKey{"a", "r"}
	reads := 0
	blocked := b.isBlocked(k, "p", func() ([]string, error) {
		reads++
		b.changed(k) // the participant is barred while the list is read
		return nil, nil
	})
	if blocked {
		t.Fatal("the list read before the change bars the participant")
	}
	if !b.isBlocked(k, "p", func() ([]string, error) { reads++; return []string{"p"}, nil }) {
		t.Fatal("the participant barred during the read passes")
	}
	b.isBlocked(k, "p", func() ([]string, error) { reads++; return nil, nil })
	if reads != 2 {
		t.Fatalf("the list was read %d times, want twice", reads)
	}
}
