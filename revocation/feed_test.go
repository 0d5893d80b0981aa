package revocation

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/token"
)

// feedEntry is a complete token_id entry of app a1 as the feed writes it.
func feedEntry(seq int64, mod string) string {
	e := fmt.Sprintf(`"seq":%d,"app":"a1","kind":"token_id","value":"t%d","created_at":"2026-11-23T10:00:00Z","expires_at":"2026-11-24T10:00:00Z"`, seq, seq)
	if mod != "" {
		e += "," + mod
	}
	return "{" + e + "}"
}

func feedBody(cursor int64, entries ...string) string {
	return fmt.Sprintf(`{"revocations":[%s],"cursor":%d}`, strings.Join(entries, ","), cursor)
}

// seenUpTo returns a set whose cursor is after, as if it had read the feed
// that far.
func seenUpTo(after int64) *Set {
	s := NewSet()
	if after > 0 {
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		s.Add(Revocation{Seq: after, App: "a1", Kind: TokenID, Value: "seen", CreatedAt: at, ExpiresAt: at.Add(time.Hour)})
	}
	return s
}

// A malformed page changes nothing, however much of it is well formed.
func TestFeedPageRefusedWhole(t *testing.T) {
	const after = 3
	for _, c := range []struct{ name, body string }{
		{"not JSON", `{"revocations":[` + feedEntry(4, "")},
		{"revocations not a list", `{"revocations":{},"cursor":3}`},
		{"seq not a number", feedBody(4, strings.Replace(feedEntry(4, ""), `"seq":4`, `"seq":"4"`, 1))},
		{"seq at the cursor", feedBody(4, feedEntry(3, ""), feedEntry(4, ""))},
		{"seq going back", feedBody(4, feedEntry(5, ""), feedEntry(4, ""))},
		{"seq twice", feedBody(5, feedEntry(4, ""), feedEntry(5, ""), feedEntry(5, ""))},
		{"second entry without expiry", feedBody(5, feedEntry(4, ""), strings.Replace(feedEntry(5, ""), `,"expires_at":"2026-11-24T10:00:00Z"`, "", 1))},
		{"entry without app", feedBody(5, feedEntry(4, ""), strings.Replace(feedEntry(5, ""), `"app":"a1"`, `"app":""`, 1))},
		{"entries of two apps", feedBody(5, feedEntry(4, ""), strings.Replace(feedEntry(5, ""), `"app":"a1"`, `"app":"a2"`, 1))},
		{"entry without kind", feedBody(5, feedEntry(4, ""), strings.Replace(feedEntry(5, ""), `"kind":"token_id"`, `"kind":""`, 1))},
		{"user without creation time", feedBody(5, feedEntry(4, ""), `{"seq":5,"app":"a1","kind":"user_id","value":"alice","expires_at":"2026-11-24T10:00:00Z"}`)},
		{"issued_before without its time", feedBody(5, feedEntry(4, ""), strings.Replace(feedEntry(5, ""), `"kind":"token_id","value":"t5"`, `"kind":"issued_before"`, 1))},
		{"token id without value", feedBody(5, feedEntry(4, ""), strings.Replace(feedEntry(5, ""), `"value":"t5"`, `"value":""`, 1))},
		{"cursor past the last entry", feedBody(9, feedEntry(4, ""), feedEntry(5, ""))},
		{"cursor before the last entry", feedBody(4, feedEntry(4, ""), feedEntry(5, ""))},
		{"empty page moving the cursor", feedBody(7)},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := seenUpTo(after)
			if page, err := s.AddPage([]byte(c.body), after); err == nil {
				t.Fatalf("accepted %+v", page)
			}
			if s.Cursor() != after {
				t.Errorf("cursor %d after a refused page; want %d", s.Cursor(), after)
			}
			if s.Revoked(&token.Claims{App: "a1", ID: "t4"}, "") {
				t.Error("the well-formed entry of a refused page was applied")
			}
		})
	}
}

func TestFeedPageAccepted(t *testing.T) {
	s := seenUpTo(3)
	body := feedBody(6, feedEntry(4, ""), `{"seq":6,"app":"a1","kind":"tomorrow's kind","created_at":"2026-11-23T10:00:00Z","expires_at":"2026-11-24T10:00:00Z"}`)
	page, err := s.AddPage([]byte(body), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Revocations) != 2 || s.Cursor() != 6 || !s.Revoked(&token.Claims{App: "a1", ID: "t4"}, "") {
		t.Fatalf("page %+v, cursor %d", page, s.Cursor())
	}
	if _, err := s.AddPage([]byte(feedBody(6)), 6); err != nil {
		t.Fatalf("empty page at the cursor: %v", err)
	}
}

// The pages the service writes are the pages verifiers accept.
func TestNewPageIsAccepted(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	rs := []Revocation{
		{Seq: 4, App: "a1", Kind: TokenID, Value: "t4", CreatedAt: at, ExpiresAt: at.Add(time.Hour)},
		{Seq: 7, App: "a1", Kind: IssuedBefore, IssuedBefore: at, CreatedAt: at, ExpiresAt: at.Add(time.Hour)},
	}
	for _, c := range []struct {
		name   string
		rs     []Revocation
		cursor int64
	}{{"entries", rs, 7}, {"none", nil, 3}} {
		page := NewPage(3, c.rs)
		if page.Cursor != c.cursor {
			t.Errorf("%s: cursor %d, want %d", c.name, page.Cursor, c.cursor)
		}
		body, err := json.Marshal(page)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := seenUpTo(3).AddPage(body, 3); err != nil {
			t.Errorf("%s: %s refused: %v", c.name, body, err)
		}
	}
}

// FuzzFeedPage feeds arbitrary bodies to a revocation set as feed pages.
// A refused page leaves the set as it was; an accepted one is applied
// whole (the cursor moves to the page's and every entry of a known kind
// revokes a token it matches) and reads back the same once written again.
func FuzzFeedPage(f *testing.F) {
	f.Add([]byte(feedBody(0)), int64(0))
	f.Add([]byte(feedBody(3)), int64(3))
	f.Add([]byte(feedBody(5, feedEntry(4, ""), feedEntry(5, ""))), int64(3))
	f.Add([]byte(feedBody(5, feedEntry(5, ""), feedEntry(4, ""))), int64(3))
	f.Add([]byte(feedBody(2, `{"seq":1,"app":"a1","kind":"user_id","value":"alice","created_at":"2026-11-23T10:00:00.5+01:00","expires_at":"2026-11-24T10:00:00Z"}`,
		`{"seq":2,"app":"a1","kind":"issued_before","issued_before":"2026-11-23T09:00:00Z","created_at":"2026-11-23T10:00:00Z","expires_at":"2026-11-24T10:00:00Z"}`)), int64(0))
	f.Add([]byte(feedBody(3, `{"seq":1,"app":"a1","kind":"room","value":"r1","created_at":"2026-11-23T10:00:00Z","expires_at":"2026-11-24T10:00:00Z"}`,
		`{"seq":2,"app":"a1","kind":"api_key","value":"sdk_1","created_at":"2026-11-23T10:00:00Z","expires_at":"2026-11-24T10:00:00Z"}`,
		`{"seq":3,"app":"a1","kind":"refresh_family","value":"fam","created_at":"2026-11-23T10:00:00Z","expires_at":"2026-11-24T10:00:00Z"}`)), int64(0))
	f.Add([]byte(feedBody(9, feedEntry(9, `"kind":"later"`))), int64(0))
	f.Add([]byte(`{"revocations":null,"cursor":0,"REVOCATIONS":[]}`), int64(0))
	f.Add([]byte(`{"revocations":[{"seq":1e3}],"cursor":1000}`), int64(0))
	f.Add([]byte(`[]`), int64(0))
	f.Add([]byte(``), int64(0))
	f.Fuzz(func(t *testing.T, body []byte, after int64) {
		after &= math.MaxInt64 // a cursor is never negative
		s := seenUpTo(after)
		page, err := s.AddPage(body, after)
		if err != nil {
			if s.Cursor() != after {
				t.Fatalf("refused page (%v) moved the cursor to %d", err, s.Cursor())
			}
			return
		}
		if s.Cursor() != page.Cursor || page.Cursor < after {
			t.Fatalf("cursor %d after a page with cursor %d read after %d", s.Cursor(), page.Cursor, after)
		}
		for _, r := range page.Revocations {
			if c, room, ok := matchedBy(r); ok && !s.Revoked(c, room) {
				t.Fatalf("entry %+v applied but does not revoke %+v in room %q", r, c, room)
			}
		}
		again, err := json.Marshal(page)
		if err != nil {
			t.Fatalf("accepted page does not marshal: %v", err)
		}
		back, err := parsePage(again, after)
		if err != nil {
			t.Fatalf("accepted page refused once written again: %v\n%s", err, again)
		}
		if !samePage(page, back) {
			t.Fatalf("page changed through JSON:\n%+v\n%+v", page, back)
		}
	})
}

// matchedBy returns a token and room that r revokes, if r's kind is known
// and some token can carry what it matches: a token's iat is a whole
// second, not before 1970.
func matchedBy(r Revocation) (*token.Claims, string, bool) {
	iat := r.cutoff().Add(-time.Nanosecond).Truncate(time.Second)
	if iat.Unix() < 0 || iat.Year() > 9999 {
		return nil, "", false
	}
	c := &token.Claims{App: r.App, IssuedAt: iat}
	switch r.Kind {
	case TokenID:
		c.ID = r.Value
	case APIKey:
		c.Issuer = r.Value
	case RefreshFamily:
		c.ID = r.Value + ".jti"
		if FamilyOf(c.ID) != r.Value {
			return nil, "", false
		}
	case UserID:
		c.Subject = r.Value
	case Room:
		return c, r.Value, true
	case IssuedBefore:
	default:
		return nil, "", false
	}
	return c, "", true
}

func samePage(a, b Page) bool {
	if a.Cursor != b.Cursor || len(a.Revocations) != len(b.Revocations) {
		return false
	}
	for i, x := range a.Revocations {
		y := b.Revocations[i]
		if x.Seq != y.Seq || x.App != y.App || x.Kind != y.Kind || x.Value != y.Value ||
			!x.IssuedBefore.Equal(y.IssuedBefore) || !x.CreatedAt.Equal(y.CreatedAt) || !x.ExpiresAt.Equal(y.ExpiresAt) {
			return false
		}
	}
	return true
}
