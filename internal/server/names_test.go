package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// badNames breaks the name rule (access.CheckName) once in each way.
var badNames = []struct{ class, name string }{
	{"dot", "."},
	{"dot-dot", ".."},
	{"slash", "a/b"},
	{"zero-width space", "sta\u200bge"},
	{"bidi override", "sta\u202ege"},
	{"bidi isolate", "\u2066stage\u2069"},
	{"leading space", " stage"},
	{"trailing space", "stage "},
	{"control character", "sta\x07ge"},
	{"NUL", "sta\x00ge"},
	{"too long", strings.Repeat("r", 129)},
}

// TestNamesAtEveryEntryPoint sends each bad name wherever a room name,
// user id or participant id enters: each is refused with 400 naming the
// member, and nothing is written.
func TestNamesAtEveryEntryPoint(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	host := s.user(t, "hannah", "host")
	mint := func(kv ...any) call {
		body := map[string]any{"user_id": "alice", "role": "viewer"}
		for i := 0; i < len(kv); i += 2 {
			body[kv[i].(string)] = kv[i+1]
		}
		return call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: body}
	}
	for _, bad := range badNames {
		path := "/v1/rooms/" + segment(bad.name)
		entries := []struct {
			entry string
			c     call
			field string
		}{
			{"mint user_id", mint("user_id", bad.name), "user_id"},
			{"mint participant_id", mint("participant_id", bad.name), "participant_id"},
			{"mint rooms", mint("rooms", []string{"stage", bad.name}), "rooms"},
			{"guest by key", call{method: "POST", path: "/v1/guests", basic: &s.prod, body: map[string]any{"name": "Gus", "rooms": []string{bad.name}}}, "rooms"},
			{"guest by invite", call{method: "POST", path: "/v1/guests", bearer: host, body: map[string]any{"name": "Gus", "rooms": []string{bad.name}}}, "rooms"},
			{"create room", call{method: "POST", path: "/v1/rooms", basic: &s.prod, body: map[string]any{"name": bad.name}}, "name"},
			{"create room with a token", call{method: "POST", path: "/v1/rooms", bearer: host, body: map[string]any{"name": bad.name}}, "name"},
			{"get room", call{method: "GET", path: path, basic: &s.prod}, "room"},
			{"end room", call{method: "DELETE", path: path, basic: &s.prod}, "room"},
			{"join", call{method: "POST", path: path + "/join", bearer: host}, "room"},
			{"events", call{method: "GET", path: path + "/events", bearer: host}, "room"},
			{"session action", call{method: "POST", path: path + "/sessions/ses_x/admit", basic: &s.prod}, "room"},
			{"revoke a user", call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"user_id": bad.name}}, "user_id"},
			{"revoke a room", call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"room": bad.name}}, "room"},
			{"verify in a room", call{method: "POST", path: "/v1/verify", bearer: host, body: map[string]any{"permission": "consume", "room": bad.name}}, "room"},
			{"verify as a participant", call{method: "POST", path: "/v1/verify", bearer: host, body: map[string]any{"permission": "consume", "participant_id": bad.name}}, "participant_id"},
		}
		s.nothingWritten(t, func() {
			for _, tc := range entries {
				t.Run(bad.class+"/"+tc.entry, func(t *testing.T) { wantField(t, s.do(t, tc.c), tc.field) })
			}
		})
	}
}

// segment escapes name for a URL path, dots too: a client sends "." as
// %2E, since a literal one is a path step.
func segment(name string) string {
	return strings.ReplaceAll(url.PathEscape(name), ".", "%2E")
}

// TestPartnerTokenNames shows a token minted elsewhere with a name the API
// would refuse is malformed: it could not be revoked by that name.
func TestPartnerTokenNames(t *testing.T) {
	s := newTestServer(t)
	perms := []string{"consume", "room.join"}
	for _, bad := range badNames {
		for _, tc := range []struct {
			claim string
			c     token.Claims
		}{
			{"sub", token.Claims{Subject: bad.name, Grants: token.Grants{Role: "viewer", Permissions: perms}}},
			{"participant", token.Claims{Subject: "alice", Grants: token.Grants{Role: "viewer", Permissions: perms, Participant: bad.name}}},
			{"rooms", token.Claims{Subject: "alice", Grants: token.Grants{Role: "viewer", Permissions: perms, Rooms: []string{"stage", bad.name}}}},
		} {
			t.Run(bad.class+"/"+tc.claim, func(t *testing.T) {
				tok := s.partnerToken(t, s.prod, access.Production, tc.c)
				wantProblem(t, s.verify(t, tok, "", "consume"), http.StatusUnauthorized, "malformed")
			})
		}
	}
	ok := s.partnerToken(t, s.prod, access.Production, token.Claims{Subject: "Alice Example", Grants: token.Grants{Role: "viewer", Permissions: perms, Rooms: []string{"q?a#1"}}})
	s.wantAllowed(t, ok, "q?a#1", "consume")
}

// TestRoomNamesAddressable shows every name the rule lets in can be used
// in a path: created, read, joined and ended.
func TestRoomNamesAddressable(t *testing.T) {
	s := newTestServer(t)
	for _, name := range []string{"a.b", "...", "q?a#1", "50%", "舞台 1", `back\slash`, "+plus&amp"} {
		t.Run(name, func(t *testing.T) {
			s.newRoom(t, map[string]any{"name": name})
			path := "/v1/rooms/" + segment(name)
			if r := s.roomView(t, segment(name)); r.body["name"] != name {
				t.Fatalf("room = %s", r.raw)
			}
			tok := s.user(t, "alice", "viewer", name)
			s.joined(t, tok, segment(name), "joined")
			wantOK(t, s.do(t, call{method: "DELETE", path: path, basic: &s.prod}), http.StatusNoContent)
		})
	}
}
