package revocation

import (
	"encoding/json"
	"fmt"
)

// PageSize is the most revocations a page of the feed holds: a shorter
// page is the end of the feed for now.
const PageSize = 1000

// Page is one page of the revocation feed, GET /v1/revocations: the
// revocations after the cursor asked for, and the cursor to ask with next.
type Page struct {
	Revocations []Revocation `json:"revocations"`
	Cursor      int64        `json:"cursor"`
}

// NewPage is the page of rs, the revocations read after the cursor after
// in Seq order: its cursor is the last entry's, or after when there is
// none.
func NewPage(after int64, rs []Revocation) Page {
	p := Page{Revocations: rs, Cursor: after}
	if len(rs) > 0 {
		p.Cursor = rs[len(rs)-1].Seq
	}
	return p
}

// parsePage reads a page of the revocation feed asked for with
// ?after=after. The page is refused whole unless it continues the feed
// where after left it: every entry complete (Revocation.Check), sequence
// numbers above after and strictly increasing, one app throughout, and the
// cursor at the last entry, or at after when there is none (NewPage).
// Applying part of a page, or a page out of order, would move the cursor
// past revocations never applied.
func parsePage(body []byte, after int64) (Page, error) {
	var page Page
	if err := json.Unmarshal(body, &page); err != nil {
		return Page{}, err
	}
	last := after
	for i, r := range page.Revocations {
		if err := r.Check(); err != nil {
			return Page{}, fmt.Errorf("entry %d (seq %d): %w", i, r.Seq, err)
		}
		if r.Seq <= last {
			return Page{}, fmt.Errorf("entry %d: seq %d does not follow %d", i, r.Seq, last)
		}
		if r.App != page.Revocations[0].App {
			return Page{}, fmt.Errorf("entry %d: app %q in a feed of app %q", i, r.App, page.Revocations[0].App)
		}
		last = r.Seq
	}
	if page.Cursor != last {
		return Page{}, fmt.Errorf("cursor %d, want %d", page.Cursor, last)
	}
	return page, nil
}

// AddPage applies body, a page of the feed asked for after the cursor
// after: all of it, or nothing if the page is malformed (see
// Revocation.Check for what an entry needs). Entries of a kind this
// package does not know are accepted and match no token.
func (s *Set) AddPage(body []byte, after int64) (Page, error) {
	page, err := parsePage(body, after)
	if err != nil {
		return Page{}, fmt.Errorf("revocation feed page after %d: %w", after, err)
	}
	s.Add(page.Revocations...)
	return page, nil
}
