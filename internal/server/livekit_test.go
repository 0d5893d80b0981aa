package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
)

// liveKitWebhook signs body as LiveKit's server does, with key and secret.
func liveKitWebhook(t *testing.T, body, key, secret string) map[string]string {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	tok, err := auth.NewAccessToken(key, secret).SetValidFor(5 * time.Minute).SetSha256(base64.StdEncoding.EncodeToString(sum[:])).ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"Authorization": tok, "Content-Type": "application/webhook+json"}
}

// The LiveKit token format and webhook answer as the OpenAPI document says,
// on success and on failure.
func TestOpenAPIContractLiveKit(t *testing.T) {
	s := newTestServer(t)
	ct := newContract(t, s)
	s.newRoom(t, map[string]any{"name": "stage", "type": "conference"})
	gus := s.user(t, "gus", "guest")
	gusID := s.joined(t, gus, "stage", "joined")
	kim := s.user(t, "kim", s.askJoiner(t))
	kimID := s.joined(t, kim, "stage", "waiting")
	other := s.otherApp(t)
	session := "/v1/rooms/stage/sessions/"
	event := `{"event":"room_started","id":"EV_1","room":{"name":"stage"}}`
	signed := liveKitWebhook(t, event, testLiveKitKey, testLiveKitSecret)
	forged := liveKitWebhook(t, event, testLiveKitKey, "another-secret-0123456789abcdef0123")
	stranger := liveKitWebhook(t, event, "lk_stranger", testLiveKitSecret)
	lk := func(body map[string]any) map[string]any {
		body["format"] = "livekit"
		return body
	}

	ct.check(t, s, []contractCase{
		{"mint for LiveKit", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: lk(map[string]any{"user_id": "ann", "role": "guest", "rooms": []string{"stage"}, "name": "Ann"})}, 201, false},
		{"mint in stagedoor's format", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "ann", "role": "guest", "format": "stagedoor"}}, 201, false},
		{"mint in no format", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "ann", "role": "guest", "format": "jwt"}}, 400, true},
		{"mint for LiveKit in any room", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: lk(map[string]any{"user_id": "ann", "role": "guest"})}, 400, false},
		{"mint for LiveKit with a refresh token", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: lk(map[string]any{"user_id": "ann", "role": "guest", "rooms": []string{"stage"}, "refresh": true})}, 400, false},
		{"mint for LiveKit asking to join", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: lk(map[string]any{"user_id": "kit", "role": "knocker", "rooms": []string{"stage"}})}, 403, false},
		{"mint for LiveKit without a project", call{method: "POST", path: "/v1/tokens", basic: &other, body: lk(map[string]any{"user_id": "ann", "role": "guest", "rooms": []string{"stage"}})}, 400, false},
		{"session token for LiveKit", call{method: "POST", path: session + gusID + "/token", bearer: gus, body: map[string]any{"format": "livekit"}}, 201, false},
		{"session token for LiveKit while waiting", call{method: "POST", path: session + kimID + "/token", bearer: kim, body: map[string]any{"format": "livekit"}}, 403, false},
		{"session token in no format", call{method: "POST", path: session + gusID + "/token", bearer: gus, body: map[string]any{"format": "sip"}}, 400, true},
		{"webhook", call{method: "POST", path: "/v1/livekit/webhook", body: event, header: signed}, 204, false},
		{"webhook again", call{method: "POST", path: "/v1/livekit/webhook", body: event, header: signed}, 204, false},
		{"webhook signed with another secret", call{method: "POST", path: "/v1/livekit/webhook", body: event, header: forged}, 401, false},
		{"webhook of an unknown key", call{method: "POST", path: "/v1/livekit/webhook", body: event, header: stranger}, 401, false},
		{"webhook of another body", call{method: "POST", path: "/v1/livekit/webhook", body: `{"event":"room_finished","room":{"name":"stage"}}`, header: signed}, 401, false},
		{"webhook unsigned", call{method: "POST", path: "/v1/livekit/webhook", body: event, header: map[string]string{"Content-Type": "application/webhook+json"}}, 401, true},
	})
}

func TestLiveKitToken(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "ann", "role": "viewer", "rooms": []string{"stage"}, "format": "livekit"}})
	if r.status != http.StatusCreated || r.body["format"] != "livekit" || r.body["url"] != testLiveKitURL || r.body["token_type"] != "Bearer" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	v, err := auth.ParseAPIToken(r.body["access_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	claims, g, err := v.Verify(testLiveKitSecret)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Issuer != testLiveKitKey || g.Identity != "ann" || g.Video.Room != "stage" || g.Video.GetCanPublish() || !g.Video.GetCanSubscribe() {
		t.Fatalf("claims %+v grants %+v", claims, g.Video)
	}
}

// Refused LiveKit tokens leave nothing behind: no audit entry, no
// revocation.
func TestLiveKitTokenFailures(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	blocked := s.user(t, "bo", "guest")
	boID := s.joined(t, blocked, "stage", "joined")
	if r := s.do(t, call{method: "DELETE", path: "/v1/rooms/stage/sessions/" + boID + "?block=true", basic: &s.prod}); r.status != http.StatusOK {
		t.Fatalf("kick: %d %s", r.status, r.raw)
	}
	kim := s.user(t, "kim", s.askJoiner(t))
	kimID := s.joined(t, kim, "stage", "waiting")
	other := s.otherApp(t)
	for _, tc := range []struct {
		name   string
		c      call
		status int
		code   string
	}{
		{"unknown format", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "a", "role": "guest", "format": "LiveKit"}}, 400, "invalid_request"},
		{"no room", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "a", "role": "guest", "format": "livekit"}}, 400, "invalid_request"},
		{"two rooms", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "a", "role": "guest", "rooms": []string{"stage", "hall"}, "format": "livekit"}}, 400, "invalid_request"},
		{"for the server API", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "a", "role": "contributor", "rooms": []string{"stage"}, "audience": "api", "format": "livekit"}}, 400, "invalid_request"},
		{"refresh", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "a", "role": "guest", "rooms": []string{"stage"}, "refresh": true, "format": "livekit"}}, 400, "invalid_request"},
		{"asking to join", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "kit", "role": "knocker", "rooms": []string{"stage"}, "format": "livekit"}}, 403, "not_admitted"},
		{"blocked", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "bo", "role": "guest", "rooms": []string{"stage"}, "format": "livekit"}}, 403, "blocked"},
		{"no project", call{method: "POST", path: "/v1/tokens", basic: &other, body: map[string]any{"user_id": "a", "role": "guest", "rooms": []string{"stage"}, "format": "livekit"}}, 400, "invalid_request"},
		{"no credentials", call{method: "POST", path: "/v1/tokens", body: map[string]any{"user_id": "a", "role": "guest", "rooms": []string{"stage"}, "format": "livekit"}}, 401, "invalid_client"},
		{"format null", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: `{"user_id":"a","role":"guest","format":null}`}, 201, ""},
		{"format of another case", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: `{"user_id":"a","role":"guest","Format":"livekit"}`}, 400, "invalid_request"},
		{"session token while waiting", call{method: "POST", path: "/v1/rooms/stage/sessions/" + kimID + "/token", bearer: kim, body: map[string]any{"format": "livekit"}}, 403, "not_admitted"},
		{"session token of another", call{method: "POST", path: "/v1/rooms/stage/sessions/" + kimID + "/token", bearer: s.user(t, "eve", "guest"), body: map[string]any{"format": "livekit"}}, 403, "participant_mismatch"},
		{"session token in no format", call{method: "POST", path: "/v1/rooms/stage/sessions/" + kimID + "/token", bearer: kim, body: map[string]any{"format": 7}}, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.status == http.StatusCreated {
				if r := s.do(t, tc.c); r.status != tc.status {
					t.Fatalf("%d %s", r.status, r.raw)
				}
				return
			}
			s.nothingWritten(t, func() { wantProblem(t, s.do(t, tc.c), tc.status, tc.code) })
		})
	}
}

// A server without a LiveKit integration refuses its format and its
// webhooks.
func TestWithoutLiveKit(t *testing.T) {
	s := newTestServer(t)
	bare := httptest.NewServer(New(Config{Auth: s.auth, Now: s.clock.Now}))
	t.Cleanup(bare.Close)
	req, err := http.NewRequest("POST", bare.URL+"/v1/tokens", bytes.NewBufferString(`{"user_id":"a","role":"guest","rooms":["stage"],"format":"livekit"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(s.prod.APIKey, s.prod.Secret)
	wantProblem(t, send(t, "", req), http.StatusBadRequest, "invalid_request")
	req, err = http.NewRequest("POST", bare.URL+"/v1/livekit/webhook", bytes.NewBufferString(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, send(t, "", req), http.StatusNotFound, "not_found")
}
