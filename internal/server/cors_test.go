package server

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// A web app on another origin calls the room endpoints with its user's
// access token: every /v1/ route answers the preflight, and the answers to
// requests made with a token (or a refresh token in the body) are readable
// from that origin, errors included, with the headers a client needs to
// retry. Nothing makes a credential ambient: credentials are never allowed.
func TestCORSForBearerTokens(t *testing.T) {
	s := newTestServer(t)
	origin := "https://app.example"
	s.newRoom(t, map[string]any{"name": "stage"})
	tok := s.user(t, "alice", "host")
	session := "/v1/rooms/stage/sessions/ses_x"
	for _, tc := range []struct{ path, method string }{
		{"/v1/rooms/stage/join", "POST"},
		{"/v1/rooms/stage/events", "GET"},
		{"/v1/rooms/stage", "GET"},
		{"/v1/rooms/stage", "DELETE"},
		{session, "PATCH"},
		{session, "DELETE"},
		{session + "/heartbeat", "POST"},
		{session + "/requests/r1/grant", "POST"},
		{"/v1/tokens/refresh", "POST"},
		{"/v1/verify", "POST"},
		{"/v1/guests", "POST"},
	} {
		r := s.do(t, call{method: "OPTIONS", path: tc.path, header: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": tc.method,
			"Access-Control-Request-Headers": "authorization, content-type, last-event-id",
		}})
		h := r.header
		if r.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), tc.method) ||
			h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type, Last-Event-ID" ||
			h.Get("Access-Control-Max-Age") != "600" || h.Get("Vary") != "Origin" {
			t.Fatalf("preflight %s %s: %d %v", tc.method, tc.path, r.status, h)
		}
		noCredentials(t, r)
	}

	// A path the API does not serve is no preflight.
	r := s.do(t, call{method: "OPTIONS", path: "/v1/nope", header: map[string]string{"Origin": origin, "Access-Control-Request-Method": "GET"}})
	if r.status != http.StatusNotFound || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight of an unknown path: %d %v", r.status, r.header)
	}

	hdr := map[string]string{"Origin": origin}
	readable := func(name string, r reply, status int) {
		t.Helper()
		if r.status != status || r.header.Get("Access-Control-Allow-Origin") != origin || r.header.Get("Vary") != "Origin" ||
			r.header.Get("Access-Control-Expose-Headers") != "Retry-After, WWW-Authenticate" {
			t.Fatalf("%s: %d %v %s", name, r.status, r.header, r.raw)
		}
		noCredentials(t, r)
	}
	readable("join", s.do(t, call{method: "POST", path: "/v1/rooms/stage/join", bearer: tok, body: map[string]any{}, header: hdr}), http.StatusCreated)
	readable("a refused token", s.do(t, call{method: "POST", path: "/v1/rooms/stage/join", bearer: tok + "x", body: map[string]any{}, header: hdr}), http.StatusUnauthorized)
	readable("no credential", s.do(t, call{method: "GET", path: "/v1/rooms/stage", header: hdr}), http.StatusUnauthorized)
	readable("a wrong method", s.do(t, call{method: "PUT", path: "/v1/rooms/stage", bearer: tok, header: hdr}), http.StatusMethodNotAllowed)
	rt := s.mintReply(t, &s.prod, map[string]any{"user_id": "rita", "role": "viewer", "refresh": true}).body["refresh_token"].(string)
	readable("refresh", s.do(t, call{method: "POST", path: "/v1/tokens/refresh", body: map[string]any{"refresh_token": rt}, header: hdr}), http.StatusCreated)

	c := call{method: "GET", path: "/v1/rooms/stage/events", bearer: tok, header: hdr}
	st, status := s.tryStream(t, c, 0)
	if status != http.StatusOK || st.resp.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("event stream: %d", status)
	}

	// Without Origin nothing changes; outside /v1/ neither.
	if r := s.do(t, call{method: "GET", path: "/v1/rooms/stage", bearer: tok}); r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("same origin: %d %v", r.status, r.header)
	}
	if r := s.do(t, call{method: "GET", path: "/healthz", header: hdr}); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("healthz: %v", r.header)
	}
}

// The answer to a request made with a production API key is never
// readable cross-origin, however its scheme is spelt and whether it
// succeeds or not: its secret must not live in a browser.
func TestCORSRefusesProductionKeys(t *testing.T) {
	s := newTestServer(t)
	hdr := map[string]string{"Origin": "https://app.example"}
	s.newRoom(t, map[string]any{"name": "stage"})
	for _, c := range []call{
		{method: "GET", path: "/v1/rooms/stage", basic: &s.prod, header: hdr},
		{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"user_id": "alice"}, header: hdr},
		{method: "GET", path: "/v1/revocations", basic: &s.prod, header: hdr},
		{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "alice", "role": "viewer"}, header: hdr},
	} {
		r := s.do(t, c)
		if r.status >= 300 || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("%s %s: %d ACAO %q", c.method, c.path, r.status, r.header.Get("Access-Control-Allow-Origin"))
		}
	}
	lower := map[string]string{"Origin": "https://app.example", "Authorization": "basic " + base64.StdEncoding.EncodeToString([]byte(s.prod.APIKey+":"+s.prod.Secret))}
	if r := s.do(t, call{method: "GET", path: "/v1/rooms/stage", header: lower}); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("lower-case basic: %d %v", r.status, r.header)
	}
}

func noCredentials(t *testing.T, r reply) {
	t.Helper()
	if v := r.header.Values("Access-Control-Allow-Credentials"); len(v) != 0 {
		t.Fatalf("Access-Control-Allow-Credentials %q", v)
	}
}
