package client

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/problem"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"7":                             7 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:04:35 GMT": 30 * time.Second,
		"Fri, 02 Jan 2026 03:04:00 GMT": 0,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
}

// The n-th wait lies between half and all of Initial·2ⁿ⁻¹, capped at Max,
// and never under the Retry-After asked for.
func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}.orDefault()
	if b.Attempts != DefaultBackoff.Attempts {
		t.Fatalf("attempts %d", b.Attempts)
	}
	for n, ceiling := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		for range 200 {
			if d := b.delay(n, errors.New("network")); d < ceiling/2 || d > ceiling {
				t.Fatalf("wait %d = %v, want within [%v, %v]", n, d, ceiling/2, ceiling)
			}
		}
	}
	slow := &Error{Problem: problem.Problem{Status: http.StatusServiceUnavailable, RetryAfter: 7 * time.Second}}
	if d := b.delay(1, slow); d != 7*time.Second {
		t.Fatalf("with Retry-After 7s: %v", d)
	}
	if d := (Backoff{}).orDefault(); d != DefaultBackoff {
		t.Fatalf("zero backoff is %+v", d)
	}
}

func TestTemporary(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{errors.New("connection reset"), true},
		{&Error{Problem: problem.Problem{Status: 502}}, true},
		{&Error{Problem: problem.Problem{Status: 429}}, true},
		{&Error{Problem: problem.Problem{Status: 408}}, true},
		{&Error{Problem: problem.Problem{Status: 401}}, false},
		{&Error{Problem: problem.Problem{Status: 409}}, false},
	} {
		if got := temporary(c.err); got != c.want {
			t.Errorf("temporary(%v) = %v", c.err, got)
		}
	}
	if _, err := segment("room", ".."); temporary(err) {
		t.Error("an unaddressable name counted as temporary")
	}
}
