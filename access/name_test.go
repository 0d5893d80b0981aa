package access

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"stage", true},
		{"alice", true},
		{"user_2f9a81c4", true},
		{"Alice Example", true},
		{"a.b", true},
		{"...", true},
		{".hidden", true},
		{"auth0|5f3c", true},
		{"name#1234", true},
		{"q?a", true},
		{"%2e%2e", true},
		{`back\slash`, true},
		{"café", true},
		{"cafe\u0301", true}, // combining accent: kept as sent, never normalised
		{"舞台", true},
		{"🎤 stage", true},
		{"!anon", true},
		{strings.Repeat("r", MaxNameLen), true},

		{"", false},
		{strings.Repeat("r", MaxNameLen+1), false},
		{strings.Repeat("é", MaxNameLen/2+1), false}, // the cap counts bytes
		{"al\xffice", false},
		{"al\xfeice", false},
		{"\xed\xa0\x80", false}, // a surrogate encoded in UTF-8
		{".", false},
		{"..", false},
		{"a/b", false},
		{"/", false},
		{"../etc", false},
		{"al\x00ice", false},
		{"al\tice", false},
		{"al\nice", false},
		{"al\x7fice", false},
		{"al\u0085ice", false}, // C1 control
		{"al\u200bice", false}, // zero-width space
		{"al\u200dice", false}, // zero-width joiner
		{"\ufeffalice", false}, // byte order mark
		{"al\u00adice", false}, // soft hyphen
		{"al\u202eecila", false},
		{"al\u202aice", false},
		{"al\u2066ice\u2069", false},
		{"al\u2028ice", false},
		{" alice", false},
		{"alice ", false},
		{"\u00a0alice", false},
		{"alice\u3000", false},
		{"\u2003alice", false},
	} {
		err := CheckName("rooms", tc.name)
		if tc.ok != (err == nil) {
			t.Errorf("CheckName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
			continue
		}
		var inv *InvalidError
		if err != nil && (!errors.As(err, &inv) || inv.Field != "rooms" || inv.Detail == "") {
			t.Errorf("CheckName(%q) = %#v, want an InvalidError naming rooms", tc.name, err)
		}
	}
}

func TestResolveAppliesTheNameRule(t *testing.T) {
	viewer := mustRole(t, Viewer)
	for _, tc := range []struct {
		name  string
		req   Request
		field string
	}{
		{"dot room", Request{Rooms: []string{"."}}, "rooms"},
		{"dot-dot room", Request{Rooms: []string{"stage", ".."}}, "rooms"},
		{"zero-width room", Request{Rooms: []string{"sta\u200bge"}}, "rooms"},
		{"slash room", Request{Rooms: []string{"a/b"}}, "rooms"},
		{"bidi participant", Request{Participant: "p\u202e1"}, "participant_id"},
		{"padded participant", Request{Participant: "p1 "}, "participant_id"},
		{"invalid UTF-8 participant", Request{Participant: "p\xff"}, "participant_id"},
	} {
		tc.req.Role, tc.req.TTL = viewer, DefaultTTL
		_, err := Resolve(KeyHolder(Production), Production, tc.req)
		var inv *InvalidError
		if !errors.As(err, &inv) || inv.Field != tc.field {
			t.Errorf("%s: Resolve = %v, want an InvalidError naming %s", tc.name, err, tc.field)
		}
	}
}
