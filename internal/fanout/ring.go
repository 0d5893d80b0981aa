package fanout

import "sort"

// ring is a queue of entries in position order, growing as needed up to
// the cap push is given.
type ring[E any] struct {
	buf   []E
	start int
	n     int
}

func (q *ring[E]) len() int { return q.n }

func (q *ring[E]) at(i int) E { return q.buf[(q.start+i)%len(q.buf)] }

func (q *ring[E]) front() E { return q.at(0) }

// push appends e; the queue must hold fewer than limit entries.
func (q *ring[E]) push(e E, limit int) {
	if q.n == len(q.buf) {
		q.resize(min(max(2*q.n, 16), limit))
	}
	q.buf[(q.start+q.n)%len(q.buf)] = e
	q.n++
}

// pop removes and returns the oldest entry, letting go of what it holds.
func (q *ring[E]) pop() E {
	var zero E
	e := q.buf[q.start]
	q.buf[q.start] = zero
	q.start = (q.start + 1) % len(q.buf)
	q.n--
	return e
}

// shrink gives back the room of a queue that holds far fewer entries than
// it has room for.
func (q *ring[E]) shrink() {
	switch {
	case q.n == 0:
		*q = ring[E]{}
	case q.n < len(q.buf)/4 && len(q.buf) > 16:
		q.resize(max(2*q.n, 16))
	}
}

func (q *ring[E]) resize(size int) {
	buf := make([]E, size)
	for i := range q.n {
		buf[i] = q.at(i)
	}
	q.buf, q.start = buf, 0
}

// after copies out at most limit entries whose position is above pos.
func (q *ring[E]) after(pos int64, limit int, posOf func(E) int64) []E {
	i := sort.Search(q.n, func(i int) bool { return posOf(q.at(i)) > pos })
	n := min(q.n-i, limit)
	if n <= 0 {
		return nil
	}
	out := make([]E, n)
	for j := range out {
		out[j] = q.at(i + j)
	}
	return out
}
