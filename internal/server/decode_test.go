package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// nested is a JSON value of depth arrays, one inside the other.
func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// TestMintRequestSmuggling replays what encoding/json let through: names
// matched by case or Unicode folding, the last duplicate winning, null
// read as absent, invalid UTF-8 turned into U+FFFD, and metadata nested
// deeper than a token allows (a 500). Each is refused, naming the member,
// and nothing is minted.
func TestMintRequestSmuggling(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct {
		name, body, field string
	}{
		{"upper-case ROOMS drops the room binding", `{"user_id":"u","role":"viewer","rooms":["x"],"ROOMS":null}`, "ROOMS"},
		{"ROOMS alone", `{"user_id":"u","role":"viewer","ROOMS":["x"]}`, "ROOMS"},
		{"long s folds to rooms", `{"user_id":"u","role":"viewer","roomſ":["x"]}`, "roomſ"},
		{"long s folds to permissions", `{"user_id":"u","role":"viewer","permiſſions":["moderate.kick"]}`, "permiſſions"},
		{"USER_ID overrides user_id", `{"user_id":"u","role":"viewer","USER_ID":"admin"}`, "USER_ID"},
		{"TTL_SECONDS raises the TTL", `{"user_id":"u","role":"viewer","TTL_SECONDS":86400}`, "TTL_SECONDS"},
		{"Role in title case", `{"user_id":"u","Role":"host"}`, "Role"},
		{"rooms null", `{"user_id":"u","role":"viewer","rooms":null}`, "rooms"},
		{"rooms empty", `{"user_id":"u","role":"viewer","rooms":[]}`, "rooms"},
		{"permissions null", `{"user_id":"u","role":"viewer","permissions":null}`, "permissions"},
		{"duplicate user_id", `{"user_id":"u","role":"viewer","user_id":"admin"}`, "user_id"},
		{"duplicate rooms", `{"user_id":"u","role":"viewer","rooms":["x"],"rooms":["y"]}`, "rooms"},
		{"duplicate member in metadata", `{"user_id":"u","role":"viewer","metadata":{"a":1,"a":2}}`, "metadata"},
		{"raw 0xff in user_id", "{\"user_id\":\"al\xffice\",\"role\":\"viewer\"}", "user_id"},
		{"raw 0xfe in user_id", "{\"user_id\":\"al\xfeice\",\"role\":\"viewer\"}", "user_id"},
		{"UTF-8 encoded surrogate in user_id", "{\"user_id\":\"al\xed\xa0\x80ice\",\"role\":\"viewer\"}", "user_id"},
		{"lone high surrogate escape in user_id", `{"user_id":"al\ud800ice","role":"viewer"}`, "user_id"},
		{"lone low surrogate escape in user_id", `{"user_id":"al\udc00ice","role":"viewer"}`, "user_id"},
		{"reversed surrogate pair in name", `{"user_id":"u","role":"viewer","name":"\udc00\ud800"}`, "name"},
		{"lone surrogate in metadata", `{"user_id":"u","role":"viewer","metadata":{"k":"\ud800"}}`, "metadata"},
		{"invalid UTF-8 in a room", "{\"user_id\":\"u\",\"role\":\"viewer\",\"rooms\":[\"st\xffage\"]}", "rooms"},
		{"metadata nested 33 deep", `{"user_id":"u","role":"viewer","metadata":` + nested(33) + `}`, "metadata"},
		{"metadata nested 2000 deep", `{"user_id":"u","role":"viewer","metadata":` + nested(2000) + `}`, "metadata"},
		{"null body", `null`, "body"},
		{"string body", `"u"`, "body"},
		{"two objects", `{"user_id":"u","role":"viewer"}{"user_id":"v"}`, "body"},
		{"truncated", `{"user_id":"u","role":"vie`, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.nothingWritten(t, func() {
				wantField(t, s.mintReply(t, &s.prod, tc.body), tc.field)
			})
		})
	}
}

// TestMintRequestLimits shows the limits of a request are a token's: what
// decodes also mints.
func TestMintRequestLimits(t *testing.T) {
	s := newTestServer(t)
	r := s.mintReply(t, &s.prod, `{"user_id":"u","role":"viewer","metadata":`+nested(32)+`}`)
	if r.status != http.StatusCreated {
		t.Fatalf("metadata 32 deep: %d %s", r.status, r.raw)
	}
	if _, c := claimsOf(t, r.body["access_token"].(string)); string(c.User.Metadata) != nested(32) {
		t.Fatalf("metadata = %s", c.User.Metadata)
	}
	// A token is at most what a verifier reads, whatever the body's size.
	var rooms []string
	for i := range 300 {
		rooms = append(rooms, fmt.Sprintf("%s-%d", strings.Repeat("r", 100), i))
	}
	s.nothingWritten(t, func() {
		wantField(t, s.mintReply(t, &s.prod, map[string]any{"user_id": "u", "role": "viewer", "rooms": rooms}), "body")
		wantField(t, s.do(t, call{method: "POST", path: "/v1/guests", basic: &s.prod, body: map[string]any{"name": "Gus", "rooms": rooms}}), "body")
	})
	r = s.mintReply(t, &s.prod, map[string]any{"user_id": "u", "role": "viewer", "rooms": rooms[:50]})
	if r.status != http.StatusCreated {
		t.Fatalf("50 rooms: %d %s", r.status, r.raw)
	}
	s.wantAllowed(t, r.body["access_token"].(string), rooms[49], "consume")

	// Exact spelling of every member still works, escaped or not.
	r = s.mintReply(t, &s.prod, `{"user_id":"al\u00e9","r\u006fle":"viewer","rooms":["st\u0061ge"],"participant_id":"p\ud83c\udfa4"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("escaped names: %d %s", r.status, r.raw)
	}
	if _, c := claimsOf(t, r.body["access_token"].(string)); c.Subject != "alé" || c.Grants.Rooms[0] != "stage" || c.Grants.Participant != "p🎤" {
		t.Fatalf("claims = %+v", c)
	}
}

// bodyRoute is an endpoint that reads a JSON body, with a member it reads
// (none for endpoints whose body must be empty) and an array member.
type bodyRoute struct {
	name   string
	c      call
	member string
	array  string
}

func (s *testServer) bodyRoutes(t *testing.T) []bodyRoute {
	t.Helper()
	host := s.user(t, "hannah", "host")
	ses := "/v1/rooms/stage/sessions/ses_x"
	basic := func(method, path string) call { return call{method: method, path: path, basic: &s.prod} }
	return []bodyRoute{
		{name: "mint", c: basic("POST", "/v1/tokens"), member: "user_id", array: "rooms"},
		{name: "guest by key", c: basic("POST", "/v1/guests"), member: "name", array: "rooms"},
		{name: "guest by invite", c: call{method: "POST", path: "/v1/guests", bearer: host}, member: "name", array: "permissions"},
		{name: "refresh", c: call{method: "POST", path: "/v1/tokens/refresh"}, member: "refresh_token"},
		{name: "verify", c: call{method: "POST", path: "/v1/verify", bearer: host}, member: "room"},
		{name: "introspect", c: basic("POST", "/v1/introspect"), member: "token"},
		{name: "revoke", c: basic("POST", "/v1/revocations"), member: "user_id"},
		{name: "create room", c: basic("POST", "/v1/rooms"), member: "name"},
		{name: "join", c: call{method: "POST", path: "/v1/rooms/stage/join", bearer: host}},
		{name: "change a session", c: basic("PATCH", ses), member: "role", array: "mute"},
		{name: "admit", c: basic("POST", ses+"/admit")},
		{name: "reject", c: basic("POST", ses+"/reject")},
		{name: "heartbeat", c: basic("POST", ses+"/heartbeat")},
		{name: "leave", c: basic("POST", ses+"/leave")},
		{name: "produce", c: basic("POST", ses+"/produce"), member: "source"},
		{name: "unproduce", c: basic("POST", ses+"/unproduce"), member: "source"},
		{name: "session token", c: basic("POST", ses+"/token")},
		{name: "raise a hand", c: basic("POST", ses+"/requests"), member: "permission"},
		{name: "grant", c: basic("POST", ses+"/requests/r1/grant")},
		{name: "deny", c: basic("POST", ses+"/requests/r1/deny")},
		{name: "session policy", c: basic("PUT", "/v1/app/session-policy"), member: "policy"},
	}
}

// TestEveryBodyIsDecodedExactly sends each smuggling shape to every
// endpoint that reads JSON: all are refused with 400 naming the member,
// and nothing is written.
func TestEveryBodyIsDecodedExactly(t *testing.T) {
	s := newTestServer(t)
	for _, rt := range s.bodyRoutes(t) {
		m := rt.member
		if m == "" {
			m = "x" // unknown, but the syntax is judged first
		}
		upper := strings.ToUpper(m)
		cases := []struct{ name, body, field string }{
			{"case variant", `{"` + upper + `":"v"}`, upper},
			{"duplicate", `{"` + m + `":"v","` + m + `":"w"}`, m},
			{"raw invalid UTF-8", `{"` + m + "\":\"v\xff\"}", m},
			{"lone surrogate", `{"` + m + `":"v\ud800"}`, m},
			{"nested 2000 deep", `{"` + m + `":` + nested(2000) + `}`, m},
			{"array body", `[]`, "body"},
			{"null body", `null`, "body"},
		}
		if rt.member != "" {
			cases = append(cases, struct{ name, body, field string }{"case variant beside the member", `{"` + m + `":"v","` + upper + `":"w"}`, upper})
		}
		if rt.array != "" {
			cases = append(cases,
				struct{ name, body, field string }{"null array", `{"` + rt.array + `":null}`, rt.array},
				struct{ name, body, field string }{"array of numbers", `{"` + rt.array + `":[1]}`, rt.array})
		}
		s.nothingWritten(t, func() {
			for _, tc := range cases {
				t.Run(rt.name+"/"+tc.name, func(t *testing.T) {
					c := rt.c
					c.body = tc.body
					wantField(t, s.do(t, c), tc.field)
				})
			}
		})
	}
}

// TestGuestRoomsNull shows a guest's rooms: null is refused on both paths:
// by key it would mean any room, by invite the inviter's rooms.
func TestGuestRoomsNull(t *testing.T) {
	s := newTestServer(t)
	host := s.user(t, "hannah", "host", "stage")
	for _, c := range []call{{basic: &s.prod}, {bearer: host}} {
		for _, body := range []string{`{"name":"Gus","rooms":null}`, `{"name":"Gus","rooms":[]}`} {
			c.method, c.path, c.body = "POST", "/v1/guests", body
			s.nothingWritten(t, func() { wantField(t, s.do(t, c), "rooms") })
		}
	}
}
