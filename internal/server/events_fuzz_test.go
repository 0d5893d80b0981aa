package server

import (
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stagedoor/stagedoor/access"
)

// FuzzEventCursor feeds arbitrary Last-Event-ID headers and query strings
// to the cursor of an event stream. The header wins when present; a value
// is accepted exactly when it is decimal digits without leading zeros
// naming an int64, and then reads as the number it names, which formats back
// to the value; anything else is a 400 naming where it came from.
func FuzzEventCursor(f *testing.F) {
	for _, seed := range [][2]string{
		{"", ""}, {"0", ""}, {"42", ""}, {"007", ""}, {"", "after=5"}, {"3", "after=5"},
		{"9223372036854775807", ""}, {"9223372036854775808", ""}, {"99999999999999999999999", ""},
		{"-1", ""}, {"+1", ""}, {" 1", ""}, {"1 ", ""}, {"1e3", ""}, {"0x10", ""}, {"1_000", ""}, {"\uff11", ""},
		{"", "after=-3"}, {"", "after=+3"}, {"", "after=%31%32"}, {"", "after=5&after=6"}, {"", "after="},
		{"", "after=%zz"}, {"", "wait=1s&after=00"}, {"", "after=18446744073709551616"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, header, rawQuery string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/v1/rooms/r/events", RawQuery: rawQuery}, Header: http.Header{}}
		if header != "" {
			r.Header.Set("Last-Event-ID", header)
		}
		v, field := header, "Last-Event-ID"
		if v == "" {
			v, field = r.URL.Query().Get("after"), "after"
		}
		n, err := eventCursor(r)
		want, valid := eventIDOracle(v)
		switch {
		case v == "":
			if err != nil || n != 0 {
				t.Fatalf("no cursor: %d, %v", n, err)
			}
		case !valid:
			var inv *access.InvalidError
			if !errors.As(err, &inv) || inv.Field != field {
				t.Fatalf("%s %q: got %d, %v; want an invalid %s", field, v, n, err, field)
			}
		case err != nil:
			t.Fatalf("%s %q refused: %v", field, v, err)
		case n != want || strconv.FormatInt(n, 10) != v:
			t.Fatalf("%s %q read as %d, want %d", field, v, n, want)
		}
	})
}

// eventIDOracle decides, apart from the parser, whether v is an event id:
// decimal digits, without leading zeros, naming a number from 0 to the
// largest int64.
func eventIDOracle(v string) (int64, bool) {
	if v == "" || strings.Trim(v, "0123456789") != "" || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	b, ok := new(big.Int).SetString(v, 10)
	if !ok || !b.IsInt64() {
		return 0, false
	}
	return b.Int64(), true
}
