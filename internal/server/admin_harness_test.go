package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/stagedoor/stagedoor/internal/authority"
)

// loginCode makes a console link's code for operator name, as stagedoor
// admin login does.
func (s *testServer) loginCode(t testing.TB, name string) string {
	t.Helper()
	code, _, err := s.auth.CreateLoginCode(context.Background(), authority.AsOperator("cli"), name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// operator signs operator alice in to the console and returns her console
// token.
func (s *testServer) operator(t testing.TB) string {
	t.Helper()
	r := s.do(t, call{method: "POST", path: "/v1/admin/sessions", body: map[string]any{"code": s.loginCode(t, "alice")}})
	wantOK(t, r, http.StatusCreated)
	return r.body["access_token"].(string)
}

// owner signs the owner of key's app in with key and returns the console
// token.
func (s *testServer) owner(t testing.TB, key authority.NewKey) string {
	t.Helper()
	r := s.do(t, call{method: "POST", path: "/v1/admin/sessions", basic: &key})
	wantOK(t, r, http.StatusCreated)
	return r.body["access_token"].(string)
}

// admin sends c with the console token tok.
func (s *testServer) admin(t testing.TB, tok string, c call) reply {
	t.Helper()
	c.bearer = tok
	return s.do(t, c)
}
