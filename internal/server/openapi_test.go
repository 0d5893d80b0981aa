package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/stagedoor/stagedoor/api"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// contract checks requests and answers against api/openapi.json.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

func newContract(t *testing.T, s *testServer) *contract {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: s.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &contract{doc: doc, router: router}
}

// presentCredentials stands for the server's authentication in request
// validation: the scheme the operation names must be the one sent.
func presentCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme := map[string]string{"basicAuth": "Basic ", "bearerAuth": "Bearer ", "consoleAuth": "Bearer "}[in.SecuritySchemeName]
	if scheme == "" || !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), scheme) {
		return errors.New("no " + in.SecuritySchemeName + " credentials")
	}
	return nil
}

// exchange sends c, validates the request and the answer against the
// document, and returns the answer with the request's validation error.
func (ct *contract) exchange(t *testing.T, s *testServer, c call) (reply, error) {
	t.Helper()
	req := s.request(t, c)
	route, params, err := ct.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in the document: %v", c.method, c.path, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: cloneRequest(t, req), PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: presentCredentials, MultiError: true},
	}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	r := send(t, c.from, req)
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: r.status, Header: r.header, Body: io.NopCloser(bytes.NewReader(r.raw)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the %d answer does not match the document: %v\n%s", c.method, c.path, r.status, err, r.raw)
	}
	return r, reqErr
}

// contractCase is a request, the status it must answer, and whether the
// document itself refuses it (invalid).
type contractCase struct {
	name    string
	c       call
	status  int
	invalid bool
}

// check sends each case, checks its status, and checks that the document
// refuses exactly the requests marked invalid.
func (ct *contract) check(t *testing.T, s *testServer, cases []contractCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, reqErr := ct.exchange(t, s, tc.c)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.invalid && reqErr == nil {
				t.Errorf("the document accepts a request the server refuses")
			}
			if !tc.invalid && reqErr != nil {
				t.Errorf("the document refuses the request: %v", reqErr)
			}
		})
	}
}

func cloneRequest(t *testing.T, req *http.Request) *http.Request {
	t.Helper()
	clone := req.Clone(context.Background())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		clone.Body = body
	}
	return clone
}

// Every route, on success and on failure, answers as the OpenAPI document
// says; requests the document calls invalid are exactly those the server
// refuses for their shape.
func TestOpenAPIContract(t *testing.T) {
	s := newTestServer(t)
	ct := newContract(t, s)
	mintBody := map[string]any{"user_id": "alice", "role": "viewer", "rooms": []string{"stage"}, "participant_id": "alice-1", "name": "Alice", "metadata": map[string]any{"k": 1}}
	viewer := s.mint(t, &s.prod, mintBody)
	host := s.mint(t, &s.prod, map[string]any{"user_id": "hana", "role": "host"})
	dev := s.mint(t, &s.dev, map[string]any{"user_id": "dora", "role": "viewer"})
	refreshed := s.mintReply(t, &s.prod, map[string]any{"user_id": "rita", "role": "viewer", "refresh": true})
	used := s.mintReply(t, &s.prod, map[string]any{"user_id": "ugo", "role": "viewer", "refresh": true})
	usedRT := used.body["refresh_token"].(string)
	rotated(t, s.refresh(t, usedRT))
	other := s.otherApp(t)
	foreign := s.mint(t, &other, map[string]any{"user_id": "alice", "role": "viewer"})
	_, vc := claimsOf(t, viewer)
	wrong := s.prod
	wrong.Secret += "x"
	formHeader := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	origin := map[string]string{"Origin": "https://app.example"}
	s.clock.Advance(time.Second)

	ct.check(t, s, []contractCase{
		{"mint", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: mintBody}, 201, false},
		{"mint with refresh", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "a", "role": "host", "refresh": true, "ttl_seconds": 60}}, 201, false},
		{"mint anonymous", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_type": "anonymous", "role": "viewer", "rooms": []string{"stage"}}}, 201, false},
		{"mint with a development key from a browser", call{method: "POST", path: "/v1/tokens", basic: &s.dev, body: mintBody, header: origin}, 201, false},
		{"mint without credentials", call{method: "POST", path: "/v1/tokens", body: mintBody}, 401, true},
		{"mint with a wrong secret", call{method: "POST", path: "/v1/tokens", basic: &wrong, body: mintBody}, 401, false},
		{"mint an unknown role", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "a", "role": "emperor"}}, 400, false},
		{"mint without user_id", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"role": "viewer"}}, 400, false},
		{"mint an unknown permission", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "a", "role": "viewer", "permissions": []string{"fly"}}}, 400, true},
		{"mint with an unknown field", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "a", "role": "viewer", "colour": "blue"}}, 400, true},
		{"mint over the production cap", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "a", "role": "viewer", "ttl_seconds": 86401}}, 400, true},
		{"mint over the development cap", call{method: "POST", path: "/v1/tokens", basic: &s.dev, body: map[string]any{"user_id": "a", "role": "viewer", "ttl_seconds": 3601}}, 400, false},
		{"mint beyond a development key", call{method: "POST", path: "/v1/tokens", basic: &s.dev, body: map[string]any{"user_id": "a", "role": "viewer", "permissions": []string{"moderate.kick"}}}, 403, false},
		{"mint malformed JSON", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: `{"user_id":`}, 400, true},
		{"mint as text", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: "user_id=a", header: map[string]string{"Content-Type": "text/plain"}}, 415, true},
		{"mint a huge body", call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": strings.Repeat("a", 70_000), "role": "viewer"}}, 413, true},
		{"token preflight", call{method: "OPTIONS", path: "/v1/tokens", header: origin}, 204, false},

		{"refresh", call{method: "POST", path: "/v1/tokens/refresh", body: map[string]any{"refresh_token": refreshed.body["refresh_token"]}}, 201, false},
		{"refresh an unknown token", call{method: "POST", path: "/v1/tokens/refresh", body: map[string]any{"refresh_token": "sdr_unknown"}}, 400, false},
		{"refresh without a token", call{method: "POST", path: "/v1/tokens/refresh", body: map[string]any{}}, 400, true},
		{"refresh a used token", call{method: "POST", path: "/v1/tokens/refresh", body: map[string]any{"refresh_token": usedRT}}, 400, false},

		{"guest by key", call{method: "POST", path: "/v1/guests", basic: &s.prod, body: map[string]any{"name": "Gus", "image": "https://img.example/g.png"}}, 201, false},
		{"guest by invite", call{method: "POST", path: "/v1/guests", bearer: host, body: map[string]any{"name": "Gus", "role": "co-host", "rooms": []string{"stage"}}}, 201, false},
		{"guest by a development key from a browser", call{method: "POST", path: "/v1/guests", basic: &s.dev, body: map[string]any{"name": "Gus"}, header: origin}, 201, false},
		{"guest without a name", call{method: "POST", path: "/v1/guests", basic: &s.prod, body: map[string]any{"role": "guest"}}, 400, true},
		{"guest by a viewer", call{method: "POST", path: "/v1/guests", bearer: viewer, body: map[string]any{"name": "Gus"}}, 403, false},
		{"guest by a forged token", call{method: "POST", path: "/v1/guests", bearer: flipSignature(host), body: map[string]any{"name": "Gus"}}, 401, false},
		{"guest without credentials", call{method: "POST", path: "/v1/guests", body: map[string]any{"name": "Gus"}}, 401, true},
		{"guest preflight", call{method: "OPTIONS", path: "/v1/guests", header: origin}, 204, false},

		{"verify", call{method: "POST", path: "/v1/verify", bearer: viewer, body: map[string]any{"room": "stage", "permission": "consume", "participant_id": "alice-1"}}, 200, false},
		{"verify an unbound token", call{method: "POST", path: "/v1/verify", bearer: host, body: map[string]any{"permission": "moderate.kick"}}, 200, false},
		{"verify without a token", call{method: "POST", path: "/v1/verify", body: map[string]any{"permission": "consume"}}, 401, true},
		{"verify a forged token", call{method: "POST", path: "/v1/verify", bearer: flipSignature(viewer), body: map[string]any{"permission": "consume"}}, 401, false},
		{"verify a missing permission", call{method: "POST", path: "/v1/verify", bearer: viewer, body: map[string]any{"room": "stage", "permission": "produce.camera"}}, 403, false},
		{"verify in another room", call{method: "POST", path: "/v1/verify", bearer: viewer, body: map[string]any{"room": "lobby", "permission": "consume"}}, 403, false},
		{"verify an unknown permission", call{method: "POST", path: "/v1/verify", bearer: viewer, body: map[string]any{"permission": "fly"}}, 400, true},
		{"verify without a permission", call{method: "POST", path: "/v1/verify", bearer: viewer, body: map[string]any{"room": "stage"}}, 400, true},

		{"introspect a form", call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: url.Values{"token": {viewer}}.Encode(), header: formHeader}, 200, false},
		{"introspect JSON", call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: map[string]any{"token": host}}, 200, false},
		{"introspect a development token", call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: map[string]any{"token": dev}}, 200, false},
		{"introspect another app's token", call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: map[string]any{"token": foreign}}, 200, false},
		{"introspect garbage", call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: url.Values{"token": {"garbage"}}.Encode(), header: formHeader}, 200, false},
		{"introspect without a token", call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: map[string]any{}}, 400, true},
		{"introspect without credentials", call{method: "POST", path: "/v1/introspect", body: map[string]any{"token": viewer}}, 401, true},

		{"revoke a token", call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"token_id": vc.ID}}, 201, false},
		{"revoke a user", call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"user_id": "mallory"}}, 201, false},
		{"revoke a room", call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"room": "closed"}}, 201, false},
		{"revoke by issue time", call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"issued_before": s.clock.Now().Add(-time.Hour).Format(time.RFC3339)}}, 201, false},
		{"revoke nothing", call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{}}, 400, true},
		{"revoke two things", call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"user_id": "a", "room": "b"}}, 400, true},
		{"revoke the future", call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"issued_before": s.clock.Now().Add(time.Hour).Format(time.RFC3339)}}, 400, false},
		{"revoke without credentials", call{method: "POST", path: "/v1/revocations", body: map[string]any{"user_id": "a"}}, 401, true},
		{"read the feed", call{method: "GET", path: "/v1/revocations?after=0&limit=10", basic: &s.prod}, 200, false},
		{"read an empty feed", call{method: "GET", path: "/v1/revocations", basic: &other}, 200, false},
		{"read the feed after -1", call{method: "GET", path: "/v1/revocations?after=-1", basic: &s.prod}, 400, true},
		{"read the feed after abc", call{method: "GET", path: "/v1/revocations?after=abc", basic: &s.prod}, 400, true},
		{"read 5000 entries", call{method: "GET", path: "/v1/revocations?limit=5000", basic: &s.prod}, 400, true},

		{"jwks", call{method: "GET", path: "/.well-known/jwks.json"}, 200, false},
		{"healthz", call{method: "GET", path: "/healthz"}, 200, false},
		{"readyz", call{method: "GET", path: "/readyz"}, 200, false},
		{"metrics", call{method: "GET", path: "/metrics"}, 200, false},
		{"openapi", call{method: "GET", path: "/openapi.json"}, 200, false},
	})

	t.Run("the revoked token stays revoked", func(t *testing.T) {
		wantProblem(t, s.verify(t, viewer, "stage", "consume"), http.StatusUnauthorized, "revoked")
	})

	t.Run("rate limited", func(t *testing.T) {
		for range 10 {
			r := s.do(t, call{method: "POST", path: "/v1/tokens", basic: wrongSecret(s.dev), body: mintBody, from: "127.0.0.9"})
			wantProblem(t, r, http.StatusUnauthorized, "invalid_client")
		}
		r, reqErr := ct.exchange(t, s, call{method: "POST", path: "/v1/tokens", basic: &s.dev, body: mintBody, from: "127.0.0.9"})
		if r.status != http.StatusTooManyRequests || reqErr != nil {
			t.Fatalf("%d %v", r.status, reqErr)
		}
	})

	// An unreachable store's 503, written as every handler writes it,
	// matches the routes that document it.
	t.Run("unavailable", func(t *testing.T) {
		rec := httptest.NewRecorder()
		problemFor(fmt.Errorf("list: %w", storage.ErrUnavailable)).Write(rec)
		for _, c := range []call{
			{method: "GET", path: "/readyz"},
			{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"user_id": "a"}},
			{method: "POST", path: "/v1/tokens/refresh", body: map[string]any{"refresh_token": "x"}},
		} {
			req := s.request(t, c)
			route, params, err := ct.router.FindRoute(req)
			if err != nil {
				t.Fatal(err)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
			out := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
				Options: &openapi3filter.Options{IncludeResponseStatus: true},
			}
			if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
				t.Errorf("%s %s: 503 does not match the document: %v", c.method, c.path, err)
			}
			if op := route.Operation; op.Responses.Status(http.StatusServiceUnavailable) == nil {
				t.Errorf("%s %s does not document 503", c.method, c.path)
			}
		}
	})

	// Answers outside any route are problems too.
	problem := ct.doc.Components.Schemas["Problem"].Value
	for _, c := range []call{{method: "GET", path: "/nope"}, {method: "GET", path: "/v1/tokens"}} {
		r := s.do(t, c)
		var body any
		if err := json.Unmarshal(r.raw, &body); err != nil {
			t.Fatal(err)
		}
		if err := problem.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("%s %s: %d answer is not a Problem: %v", c.method, c.path, r.status, err)
		}
	}
}
