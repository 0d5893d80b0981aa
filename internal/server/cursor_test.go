package server

import (
	"errors"
	"net/url"
	"strconv"
	"testing"

	"github.com/stagedoor/stagedoor/access"
)

// A cursor is taken back only as the API spelled it: a sign, leading
// zeros or anything past int64 is a 400 naming where it came from.
func TestCursorSpelledAsGiven(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	for _, v := range []string{"+1", "01", "-0", "1_000", "9223372036854775808"} {
		wantField(t, s.do(t, call{method: "GET", path: "/v1/revocations?after=" + url.QueryEscape(v), basic: &s.prod}), "after")
		wantField(t, s.do(t, call{method: "GET", path: "/v1/rooms/stage/events", basic: &s.prod,
			header: map[string]string{"Last-Event-ID": v, "Accept": "application/json"}}), "Last-Event-ID")
	}
}

// FuzzCursor: parsing never panics, accepts only non-negative cursors,
// and an accepted cursor is written back exactly as it came; every other
// input is an InvalidError naming the field.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"0", "1", "42", "9223372036854775807", "9223372036854775808", "-1", "-0", "+1", "01", "00",
		"1e3", "0x10", "1_000", " 1", "1 ", "١", "", "18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, err := parseCursor("after", v)
		if err != nil {
			var inv *access.InvalidError
			if !errors.As(err, &inv) || inv.Field != "after" {
				t.Fatalf("parseCursor(%q): %v, want an InvalidError naming after", v, err)
			}
			return
		}
		if n < 0 || strconv.FormatInt(n, 10) != v {
			t.Fatalf("parseCursor(%q) = %d", v, n)
		}
	})
}
