package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/problem"
	"github.com/stagedoor/stagedoor/token"
)

// Error is a refusal from the API: its RFC 9457 problem (Type, Code,
// Status, Detail, Field, missing permission), the WWW-Authenticate
// challenge of a 401 or 403 and the Retry-After of a 429 or 503. Test for
// it with errors.As. An answer that is not problem+json, such as a proxy's
// 502 page, is an Error too, with its Status and Title and no Code.
type Error struct {
	problem.Problem
	// Method and Path are the request that was refused.
	Method, Path string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("stagedoor: %s %s: %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Temporary reports whether asking again may succeed: a 408, a 429 or a
// 5xx. A 4xx other than those says the request, or its credential, is
// wrong, and asking again is answered the same.
func (e *Error) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout
}

// maxProblemBytes caps how much of an error answer is read.
const maxProblemBytes = 64 << 10

// readError reads the refusal resp carries.
func readError(req *http.Request, resp *http.Response) *Error {
	e := &Error{Method: req.Method, Path: req.URL.Path}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxProblemBytes))
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/problem+json" || json.Unmarshal(body, &e.Problem) != nil {
		e.Problem = problem.Problem{Title: http.StatusText(resp.StatusCode), Detail: strings.TrimSpace(string(body))}
	}
	e.Status = resp.StatusCode
	e.Challenge = resp.Header.Get("WWW-Authenticate")
	e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	return e
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// temporary reports whether an operation that failed with err may succeed
// if tried again: a network failure or timeout, a cut answer or a
// temporary refusal; never a refusal of the request itself, an argument
// refused before any request, an answer that is not the JSON expected or
// a token that is none.
func temporary(err error) bool {
	var (
		e  *Error
		te *token.Error
		se *json.SyntaxError
		ue *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, access.ErrInvalid), errors.As(err, &te), errors.As(err, &se), errors.As(err, &ue):
		return false
	case errors.As(err, &e):
		return e.Temporary()
	}
	return true
}
