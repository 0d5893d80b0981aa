package livekit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/livekit/protocol/auth"
	lk "github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/stagedoor/stagedoor/problem"
)

func eventBody(t *testing.T, ev *lk.WebhookEvent) []byte {
	t.Helper()
	b, err := protojson.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sum(body []byte) string {
	h := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(h[:])
}

// signed is body as LiveKit sends it: its sha256 in a token of key.
func signed(t *testing.T, body []byte, key, secret string) *http.Request {
	t.Helper()
	tok, err := auth.NewAccessToken(key, secret).SetValidFor(5 * time.Minute).SetSha256(sum(body)).ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	return withAuth(body, tok)
}

func withAuth(body []byte, tok string) *http.Request {
	r := httptest.NewRequest("POST", "/v1/livekit/webhook", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/webhook+json")
	if tok != "" {
		r.Header.Set("Authorization", tok)
	}
	return r
}

// handMade is a token of key signed with method, valid from nbf to exp.
func handMade(t *testing.T, method jwt.SigningMethod, key, secret string, body []byte, nbf, exp time.Time) string {
	t.Helper()
	c := claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: key, NotBefore: jwt.NewNumericDate(nbf), ExpiresAt: jwt.NewNumericDate(exp)}}
	c.Sha256 = sum(body)
	var k any = []byte(secret)
	if method == jwt.SigningMethodNone {
		k = jwt.UnsafeAllowNoneSignatureType
	}
	tok, err := jwt.NewWithClaims(method, c).SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func wantWebhookProblem(t *testing.T, err error, status int, code string) {
	t.Helper()
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status != status || p.Code != code {
		t.Fatalf("got %v, want %d %s", err, status, code)
	}
}

func TestWebhookAuthentication(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	body := eventBody(t, &lk.WebhookEvent{Event: "room_started", Id: "EV_1", Room: &lk.Room{Name: "stage"}, CreatedAt: now.Unix()})
	other := eventBody(t, &lk.WebhookEvent{Event: "room_started", Id: "EV_2", Room: &lk.Room{Name: "stage"}, CreatedAt: now.Unix()})
	for _, tc := range []struct {
		name string
		req  *http.Request
	}{
		{"no Authorization", withAuth(body, "")},
		{"signed with another secret", signed(t, body, "lkkey", "not-the-secret-0123456789abcdef0123")},
		{"another body", withAuth(other, signed(t, body, "lkkey", testSecret).Header.Get("Authorization"))},
		{"a key no app has", signed(t, body, "stranger", testSecret)},
		{"expired", withAuth(body, handMade(t, jwt.SigningMethodHS256, "lkkey", testSecret, body, now.Add(-10*time.Minute), now.Add(-5*time.Minute)))},
		{"not yet valid", withAuth(body, handMade(t, jwt.SigningMethodHS256, "lkkey", testSecret, body, now.Add(5*time.Minute), now.Add(10*time.Minute)))},
		{"unsigned", withAuth(body, handMade(t, jwt.SigningMethodNone, "lkkey", testSecret, body, now, now.Add(time.Minute)))},
		{"HS512", withAuth(body, handMade(t, jwt.SigningMethodHS512, "lkkey", testSecret, body, now, now.Add(time.Minute)))},
		{"garbage", withAuth(body, "Bearer garbage")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantWebhookProblem(t, f.lk.Webhook(tc.req), http.StatusUnauthorized, "invalid_webhook")
		})
	}

	t.Run("not an event", func(t *testing.T) {
		wantWebhookProblem(t, f.lk.Webhook(signed(t, []byte(`{"event": 7}`), "lkkey", testSecret)), http.StatusBadRequest, "invalid_request")
	})
	t.Run("too large", func(t *testing.T) {
		r := signed(t, body, "lkkey", testSecret)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 8)
		wantWebhookProblem(t, f.lk.Webhook(r), http.StatusRequestEntityTooLarge, "too_large")
	})
}

func TestWebhookTakenOnce(t *testing.T) {
	f := newFixture(t)
	body := eventBody(t, &lk.WebhookEvent{Event: "participant_left", Id: "EV_left", Room: &lk.Room{Name: "stage"},
		Participant: &lk.ParticipantInfo{Identity: "ann", Sid: "PA_1"}, CreatedAt: time.Now().Unix()})
	p, ev, err := f.lk.receive(signed(t, body, "lkkey", testSecret))
	if err != nil || ev == nil || p.app != f.app || ev.Participant.Identity != "ann" {
		t.Fatalf("received %v %v for %v", ev, err, p)
	}
	if err := f.lk.Webhook(signed(t, body, "lkkey", testSecret)); err != nil {
		t.Fatal(err)
	}
	_, again, err := f.lk.receive(signed(t, body, "lkkey", testSecret))
	if err != nil || again != nil {
		t.Fatalf("a webhook sent again reads as %v, %v", again, err)
	}
	if err := f.lk.Webhook(signed(t, body, "lkkey", testSecret)); err != nil {
		t.Fatalf("a webhook sent again is refused: %v", err)
	}
	for _, ignored := range []*lk.WebhookEvent{
		{Event: "egress_started", Id: "EV_e", Room: &lk.Room{Name: "stage"}},
		{Event: "participant_joined", Id: "EV_noroom"},
	} {
		if _, ev, err := f.lk.receive(signed(t, eventBody(t, ignored), "lkkey", testSecret)); err != nil || ev != nil {
			t.Fatalf("%s reads as %v, %v", ignored.Event, ev, err)
		}
	}
}

func TestWebhookAfterClose(t *testing.T) {
	f := newFixture(t)
	f.lk.Close()
	body := eventBody(t, &lk.WebhookEvent{Event: "room_started", Id: "EV_late", Room: &lk.Room{Name: "stage"}})
	wantWebhookProblem(t, f.lk.Webhook(signed(t, body, "lkkey", testSecret)), http.StatusServiceUnavailable, "unavailable")
}

// A room's loop ends once its app's LiveKit project is removed, so that
// it no longer keeps the room's mirrored sessions alive; while the
// project is there, a LiveKit server that does not answer does not end it.
func TestRoomLoopEndsWithItsProject(t *testing.T) {
	logged := make(chan string, 64)
	f := newFixture(t, func(c *Config) {
		c.Reconcile = 20 * time.Millisecond
		c.Logger = slog.New(messages(logged))
	})
	k := roomKey{f.app, "stage"}
	running := func() bool {
		f.lk.mu.Lock()
		defer f.lk.mu.Unlock()
		_, ok := f.lk.rooms[k]
		return ok
	}
	f.lk.adopt(k)
	deadline := time.After(10 * time.Second)
	for failed := 0; failed < 3; {
		select {
		case m := <-logged:
			if m == "reading LiveKit's participants failed; enforcing on what was seen before" {
				failed++
			}
		case <-deadline:
			t.Fatal("no reconciliation failed against the silent server")
		}
	}
	if !running() {
		t.Fatal("the loop ended while the project is there")
	}
	if err := f.store.DeleteLiveKitProject(context.Background(), f.app, nil); err != nil {
		t.Fatal(err)
	}
	for m := ""; m != "the app's LiveKit project was removed; the room is no longer enforced"; {
		select {
		case m = <-logged:
		case <-deadline:
			t.Fatal("the loop did not see its project removed")
		}
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for running() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("the loop still runs after its project was removed")
		}
	}
}

// messages is a slog handler that sends each record's message to ch,
// dropping it when ch is full.
type messages chan string

func (h messages) Enabled(context.Context, slog.Level) bool { return true }
func (h messages) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h messages) WithGroup(string) slog.Handler            { return h }
func (h messages) Handle(_ context.Context, r slog.Record) error {
	select {
	case h <- r.Message:
	default:
	}
	return nil
}
