package client

import (
	"testing"
	"time"
)

// An event's session replaces the one known, but never with an older
// lease or token expiry.
func TestLater(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	cur := Session{State: StateJoined, LeaseUntil: t1, TokenExpiresAt: &t1}
	got := later(cur, Session{State: StateJoined, Role: "listener", LeaseUntil: t0, TokenExpiresAt: &t0})
	if got.Role != "listener" || !got.LeaseUntil.Equal(t1) || !got.TokenExpiresAt.Equal(t1) {
		t.Fatalf("older event: %+v", got)
	}
	t2 := t1.Add(time.Minute)
	got = later(cur, Session{State: StateEnded, LeaseUntil: t2, TokenExpiresAt: &t2})
	if got.State != StateEnded || !got.LeaseUntil.Equal(t2) || !got.TokenExpiresAt.Equal(t2) {
		t.Fatalf("newer event: %+v", got)
	}
	if got := later(cur, Session{LeaseUntil: t2}); got.TokenExpiresAt != nil {
		t.Fatalf("a session the server no longer watches kept a token expiry: %+v", got)
	}
}
