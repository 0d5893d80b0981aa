package problem

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/revocation"
	"github.com/stagedoor/stagedoor/token"
)

func TestForToken(t *testing.T) {
	for _, c := range []struct {
		name      string
		err       error
		status    int
		code      string
		challenge string
		missing   string
	}{
		{"token error", fmt.Errorf("verify: %w", &token.Error{Reason: "expired", Detail: "exp passed"}), 401, "expired",
			`Bearer realm="stagedoor", error="invalid_token", error_description="token: expired: exp passed"`, ""},
		{"revoked", fmt.Errorf("check: %w", revocation.ErrRevoked), 401, "revoked",
			`Bearer realm="stagedoor", error="invalid_token", error_description="token revoked"`, ""},
		{"missing permission", &access.ForbiddenError{Reason: access.ReasonMissingPermission, Missing: access.ProduceCamera, Detail: "missing permission produce.camera"}, 403, "missing_permission",
			`Bearer realm="stagedoor", error="insufficient_scope", error_description="missing permission produce.camera", scope="produce.camera"`, "produce.camera"},
		{"room mismatch", &access.ForbiddenError{Reason: access.ReasonRoomMismatch, Detail: "not in room r"}, 403, "room_mismatch",
			`Bearer realm="stagedoor", error="insufficient_scope", error_description="not in room r"`, ""},
	} {
		p := ForToken(c.err)
		if p == nil || p.Status != c.status || p.Code != c.code || p.Challenge != c.challenge || p.Missing != c.missing {
			t.Errorf("%s: %+v", c.name, p)
		}
	}
	if p := ForToken(errors.New("store down")); p != nil {
		t.Errorf("an error of no token: %+v", p)
	}
}

func TestWrite(t *testing.T) {
	p := New(http.StatusTooManyRequests, "rate_limited", "slow down")
	p.RetryAfter = 1200 * time.Millisecond
	rec := httptest.NewRecorder()
	p.Write(rec)
	h := rec.Header()
	if rec.Code != 429 || h.Get("Retry-After") != "2" || h.Get("Content-Type") != "application/problem+json" ||
		h.Get("Cache-Control") != "no-store" || h.Get("WWW-Authenticate") != "" {
		t.Fatalf("%d %v", rec.Code, h)
	}
	want := `{"type":"https://stagedoor.dev/problems/rate_limited","title":"Too Many Requests","status":429,"detail":"slow down","code":"rate_limited"}` + "\n"
	if rec.Body.String() != want {
		t.Fatalf("body %s", rec.Body)
	}
}
