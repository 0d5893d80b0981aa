// Package problem writes errors as RFC 9457 problem details
// (application/problem+json), and refuses Bearer tokens with the RFC 6750
// WWW-Authenticate challenge: the one renderer behind stagedoor's HTTP API
// and the verifier's middleware, so that a media server refuses a token
// exactly as POST /v1/verify does.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// TypeBase prefixes each problem's stable code to make its type URI.
const TypeBase = "https://stagedoor.dev/problems/"

// Problem is an RFC 9457 problem detail. Code is stable and machine-readable.
type Problem struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Status  int    `json:"status"`
	Detail  string `json:"detail,omitempty"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Missing string `json:"missing_permission,omitempty"`

	// Challenge is the WWW-Authenticate header of a 401 or 403.
	Challenge string `json:"-"`
	// RetryAfter, if set, becomes the Retry-After header of a 429 or 503,
	// rounded up to whole seconds.
	RetryAfter time.Duration `json:"-"`
}

// New returns the problem of code with an HTTP status.
func New(status int, code, detail string) *Problem {
	return &Problem{Type: TypeBase + code, Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

func (p *Problem) Error() string { return p.Detail }

// Write answers with p. The answer is never cached: it speaks of one
// credential at one moment.
func (p *Problem) Write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.Challenge != "" {
		h.Set("WWW-Authenticate", p.Challenge)
	}
	if p.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((p.RetryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
