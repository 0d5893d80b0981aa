package client_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/client"
)

const refreshPath = "POST /v1/tokens/refresh"

// refreshing returns a proxy in front of the server, a fake clock, and a
// TokenSource over the proxy that starts with a fresh refreshable token
// of ttl for user.
func refreshing(t *testing.T, userID string, ttl int64, opts ...client.Option) (*proxy, *fakeClock, *client.TokenSource) {
	t.Helper()
	p, clock := newProxy(t, server.url), newFakeClock()
	c := newClient(t, p.url, append([]client.Option{client.WithClock(clock)}, opts...)...)
	ts, err := c.TokenSource(mint(t, client.TokenRequest{UserID: userID, Role: "viewer", TTLSeconds: ttl, Refresh: true}))
	if err != nil {
		t.Fatal(err)
	}
	return p, clock, ts
}

// A token is given out until a quarter of its life (at most a minute)
// before it expires, then replaced through /v1/tokens/refresh, and the
// rotated refresh token keeps working.
func TestTokenSourceRefreshesAheadOfExpiry(t *testing.T) {
	p, clock, ts := refreshing(t, "ahead", 20)
	first, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	// 20s tokens are replaced 5s before they expire.
	clock.Set(first.Expiry.Add(-5*time.Second - time.Millisecond))
	if again, err := ts.Token(); err != nil || again.AccessToken != first.AccessToken || p.count(refreshPath) != 0 {
		t.Fatalf("before it is due: %v, same token %v, %d refreshes", err, again != nil && again.AccessToken == first.AccessToken, p.count(refreshPath))
	}
	prev := first
	for i := 1; i <= 2; i++ {
		clock.Set(prev.Expiry.Add(-5 * time.Second))
		next, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if next.AccessToken == prev.AccessToken || next.Expiry.Before(prev.Expiry) || next.TokenType != "Bearer" || p.count(refreshPath) != i {
			t.Fatalf("refresh %d: new token %v, expiry %v after %v, %d refreshes", i, next.AccessToken != prev.AccessToken, next.Expiry, prev.Expiry, p.count(refreshPath))
		}
		if _, err := backend(t).Verify(context.Background(), next.AccessToken, client.VerifyRequest{Permission: "consume"}); err != nil {
			t.Fatalf("refreshed token: %v", err)
		}
		prev = next
	}
}

// However many goroutines ask for a due token at once, one refresh is in
// flight and the server answers exactly one, round after round.
func TestTokenSourceSingleFlight(t *testing.T) {
	const callers, rounds = 50, 20
	p, clock, ts := refreshing(t, "crowd", 300)
	before := refreshes(t)
	for round := 1; round <= rounds; round++ {
		cur, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		due := cur.Expiry.Add(-time.Minute)
		clock.Set(due)
		g := p.hold(refreshPath)
		var started sync.WaitGroup
		started.Add(callers)
		got := make(chan string, callers)
		errs := make(chan error, callers)
		for range callers {
			go func() {
				started.Done()
				tok, err := ts.Token()
				if err != nil {
					errs <- err
					return
				}
				got <- tok.AccessToken
			}()
		}
		await(t, g.arrived, "refresh")
		started.Wait()
		// From now on the old token is not due: a call that has not joined
		// the refresh in flight is given the old token, never a second
		// refresh, whichever second the new token is from.
		clock.Set(due.Add(-time.Second))
		p.release(refreshPath, g)
		fresh := 0
		for range callers {
			select {
			case err := <-errs:
				t.Fatalf("round %d: %v", round, err)
			case tok := <-got:
				if tok != cur.AccessToken {
					fresh++
				}
			case <-time.After(within):
				t.Fatalf("round %d: callers still waiting", round)
			}
		}
		if n := p.count(refreshPath); n != round || fresh == 0 {
			t.Fatalf("round %d: %d refreshes in all, %d callers got the new token", round, n, fresh)
		}
	}
	if n := refreshes(t) - before; n != rounds {
		t.Fatalf("the server answered %d refreshes for %d rounds", n, rounds)
	}
}

// A refresh failing with a 5xx or a dropped connection is tried again
// after exponentially growing, jittered waits, and the source recovers.
func TestTokenSourceRetriesThenRecovers(t *testing.T) {
	b := client.Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Attempts: 5}
	p, clock, ts := refreshing(t, "flaky", 60, client.WithBackoff(b))
	first, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	p.fail(refreshPath, unavailable, drop, unavailable)
	clock.Set(first.Expiry.Add(-15 * time.Second))
	done := make(chan error, 1)
	var next string
	go func() {
		tok, err := ts.Token()
		if err == nil {
			next = tok.AccessToken
		}
		done <- err
	}()
	for i, ceiling := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		d := clock.nextWait(t)
		if d < ceiling/2 || d > ceiling {
			t.Fatalf("wait %d: %v, want between %v and %v", i+1, d, ceiling/2, ceiling)
		}
		clock.Advance(d)
	}
	if err := await(t, done, "token"); err != nil {
		t.Fatal(err)
	}
	if next == first.AccessToken || p.count(refreshPath) != 1 {
		t.Fatalf("after the faults: new token %v, %d refreshes reached the server", next != first.AccessToken, p.count(refreshPath))
	}
}

// While refreshes fail for a passing reason, a token not yet expired is
// still given out.
func TestTokenSourceKeepsValidTokenWhileRefreshFails(t *testing.T) {
	p, clock, ts := refreshing(t, "patient", 60, client.WithBackoff(client.Backoff{Attempts: 1}))
	first, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	p.fail(refreshPath, unavailable)
	clock.Set(first.Expiry.Add(-time.Second))
	if tok, err := ts.Token(); err != nil || tok.AccessToken != first.AccessToken {
		t.Fatalf("while the refresh fails: %v", err)
	}
	clock.Set(first.Expiry)
	p.fail(refreshPath, unavailable)
	var e *client.Error
	if _, err := ts.Token(); !errors.As(err, &e) || e.Status != 503 || !e.Temporary() || e.Code != "" {
		t.Fatalf("expired and the refresh fails: %v", err)
	}
	if tok, err := ts.Token(); err != nil || tok.AccessToken == first.AccessToken {
		t.Fatalf("once the server answers again: %v", err)
	}
}

// A refresh token revoked with its user is refused (400 invalid_grant):
// the source stops with the typed error and never asks again.
func TestTokenSourceStopsWhenRefreshRevoked(t *testing.T) {
	leaver := unique("leaver")
	p, clock, ts := refreshing(t, leaver, 60)
	first, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backend(t).Revoke(context.Background(), client.RevokeRequest{UserID: leaver}); err != nil {
		t.Fatal(err)
	}
	clock.Set(first.Expiry.Add(-15 * time.Second))
	for range 3 {
		_, err := ts.Token()
		var e *client.Error
		if !errors.As(err, &e) || e.Status != 400 || e.Code != "invalid_grant" || e.Temporary() || e.Path != "/v1/tokens/refresh" {
			t.Fatalf("after revocation: %v", err)
		}
	}
	if n := p.count(refreshPath); n != 1 {
		t.Fatalf("%d refreshes, want 1: a refused refresh is not tried again", n)
	}
	select {
	case d := <-clock.waits:
		t.Fatalf("the source waited %v to try again", d)
	default:
	}
}

// A RefreshFunc refused with 401 after its API key is revoked stops the
// source with the typed error; it is never called again.
func TestTokenSourceStopsOn401(t *testing.T) {
	clock, d := newFakeClock(), ownDeployment(t)
	kc := newClient(t, d.url, client.WithAPIKey(d.prod.Key, d.prod.Secret))
	calls := 0
	ts, err := client.NewTokenSource(func(ctx context.Context) (string, error) {
		calls++
		tok, err := kc.CreateToken(ctx, client.TokenRequest{UserID: "doomed", Role: "viewer"})
		return tok.AccessToken, err
	}, client.SourceClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	first, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	// The server reads key revocations the command line makes within a
	// second; a stream opened with the key ends when it has.
	room := unique("room")
	if _, err := kc.CreateRoom(context.Background(), client.RoomRequest{Name: room}); err != nil {
		t.Fatal(err)
	}
	opened, ended := make(chan struct{}), make(chan error, 1)
	var once sync.Once
	go func() {
		ended <- kc.FollowEvents(context.Background(), room, 0, func(client.Event) error {
			once.Do(func() { close(opened) })
			return nil
		})
	}()
	await(t, opened, "first event")
	if _, err := d.command("key", "revoke", d.prod.Key); err != nil {
		t.Fatal(err)
	}
	var end *client.StreamEndedError
	if err := await(t, ended, "end of the stream"); !errors.As(err, &end) || end.Reason != "key_revoked" {
		t.Fatalf("stream of the revoked key: %v", err)
	}
	clock.Set(first.Expiry)
	for range 3 {
		_, err := ts.Token()
		var e *client.Error
		if !errors.As(err, &e) || e.Status != 401 || e.Code != "invalid_client" || e.Challenge == "" {
			t.Fatalf("after the key's revocation: %v", err)
		}
	}
	if calls != 2 {
		t.Fatalf("the refresh function ran %d times, want 2", calls)
	}
}

// Bad arguments to the constructors are refused.
func TestTokenSourceRefusesBadInput(t *testing.T) {
	c := newClient(t, server.url)
	if _, err := c.TokenSource(client.Token{AccessToken: "x"}); err == nil {
		t.Error("a token without a refresh token was taken")
	}
	if _, err := client.NewTokenSource(nil); err == nil {
		t.Error("a nil RefreshFunc was taken")
	}
	refresh := func(context.Context) (string, error) { return "", nil }
	if _, err := client.NewTokenSource(refresh, client.InitialToken("not.a.token")); err == nil {
		t.Error("an initial token that is none was taken")
	}
	if _, err := client.NewTokenSource(refresh, client.RefreshAhead(-time.Second)); err == nil {
		t.Error("a negative lead was taken")
	}
	ts, err := client.NewTokenSource(func(context.Context) (string, error) { return "garbage", nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(); err == nil {
		t.Error("a RefreshFunc answering no token was believed")
	}
}
