package server

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
)

// liveKitBody is the body of PUT /v1/admin/apps/{app}/livekit.
func liveKitBody(url, key, secret string) map[string]any {
	return map[string]any{"url": url, "api_key": key, "api_secret": secret}
}

// An app's owner reads, sets and removes its LiveKit project through the
// admin API: the secret is sealed at rest and never answered, every change
// is audited under the owner's name, and the server's LiveKit tokens and
// webhooks follow the new project, and none is taken once it is removed.
func TestAdminLiveKitProject(t *testing.T) {
	s := newTestServer(t)
	own := s.owner(t, s.prod)
	op := s.operator(t)
	path := "/v1/admin/apps/" + s.app + "/livekit"

	r := s.admin(t, own, call{method: "GET", path: path})
	wantOK(t, r, http.StatusOK)
	if r.body["url"] != testLiveKitURL || r.body["api_key"] != testLiveKitKey || r.body["app"] != s.app || bytes.Contains(r.raw, []byte(testLiveKitSecret)) {
		t.Fatalf("project: %s", r.raw)
	}

	const newSecret = "a-new-livekit-secret-of-32-bytes-or-more"
	r = s.admin(t, own, call{method: "PUT", path: path, body: liveKitBody("ws://127.0.0.1:9/lk", "lk_new", newSecret)})
	wantOK(t, r, http.StatusOK)
	if r.body["url"] != "ws://127.0.0.1:9/lk" || r.body["api_key"] != "lk_new" || bytes.Contains(r.raw, []byte(newSecret)) {
		t.Fatalf("set: %s", r.raw)
	}
	stored, err := s.store.GetLiveKitProject(context.Background(), s.app)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored.SecretCiphertext, []byte(newSecret)) || len(stored.SecretCiphertext) <= len(newSecret) {
		t.Fatalf("the secret is not sealed: %q", stored.SecretCiphertext)
	}
	s.waitLiveKitSecret(t, newSecret)
	event := `{"event":"room_started","id":"EV_admin","room":{"name":"stage"}}`
	webhook := func(key, secret string) reply {
		return s.do(t, call{method: "POST", path: "/v1/livekit/webhook", body: event, header: liveKitWebhook(t, event, key, secret)})
	}
	wantOK(t, webhook("lk_new", newSecret), http.StatusNoContent)
	if r := webhook(testLiveKitKey, testLiveKitSecret); r.status != http.StatusUnauthorized || r.body["code"] != "invalid_webhook" {
		t.Fatalf("a webhook of the replaced project: %d %s", r.status, r.raw)
	}

	entries, err := auditLog(context.Background(), s.auth)
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Action != "livekit.set" || last.Actor != "owner:"+s.prod.APIKey || last.AppID != s.app || bytes.Contains(last.Detail, []byte(newSecret)) {
		t.Fatalf("audit entry %+v", last)
	}

	wantOK(t, s.admin(t, op, call{method: "DELETE", path: path}), http.StatusNoContent)
	wantProblem(t, s.admin(t, op, call{method: "GET", path: path}), http.StatusNotFound, "not_found")
	r = s.liveKitToken(t)
	for deadline := time.Now().Add(5 * time.Second); r.status == http.StatusCreated && time.Now().Before(deadline); {
		r = s.liveKitToken(t)
	}
	wantField(t, r, "format")
	if r := webhook("lk_new", newSecret); r.status != http.StatusUnauthorized || r.body["code"] != "invalid_webhook" {
		t.Fatalf("a webhook of the removed project: %d %s", r.status, r.raw)
	}
	entries, err = auditLog(context.Background(), s.auth)
	if err != nil {
		t.Fatal(err)
	}
	if last := entries[len(entries)-1]; last.Action != "livekit.remove" || last.Actor != "operator:alice" || last.AppID != s.app {
		t.Fatalf("audit entry %+v", last)
	}
}

// liveKitToken asks for a LiveKit token of the test app.
func (s *testServer) liveKitToken(t *testing.T) reply {
	t.Helper()
	return s.do(t, call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "ann", "role": "viewer", "rooms": []string{"stage"}, "format": "livekit"}})
}

// waitLiveKitSecret waits, up to a deadline, until the server's LiveKit
// tokens of the test app are signed with secret.
func (s *testServer) waitLiveKitSecret(t *testing.T, secret string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		r := s.liveKitToken(t)
		wantOK(t, r, http.StatusCreated)
		v, err := auth.ParseAPIToken(r.body["access_token"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := v.Verify(secret); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("LiveKit tokens are still signed with the old secret")
		}
	}
}

// A refused change of a LiveKit project, for its shape or for whom it
// comes from, leaves the project as it was and writes nothing.
func TestAdminLiveKitProjectRefused(t *testing.T) {
	s := newTestServer(t)
	own := s.owner(t, s.prod)
	op := s.operator(t)
	other := s.otherApp(t)
	path := "/v1/admin/apps/" + s.app + "/livekit"
	before, err := s.store.GetLiveKitProject(context.Background(), s.app)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, field string
		body        any
	}{
		{"a URL of another scheme", "url", liveKitBody("ftp://lk.example", "lk_new", testLiveKitSecret)},
		{"a URL without a host", "url", liveKitBody("wss://", "lk_new", testLiveKitSecret)},
		{"a URL with credentials", "url", liveKitBody("wss://u:p@lk.example", "lk_new", testLiveKitSecret)},
		{"no URL", "url", liveKitBody("", "lk_new", testLiveKitSecret)},
		{"an empty key", "api_key", liveKitBody("wss://lk.example", "", testLiveKitSecret)},
		{"a key with a space", "api_key", liveKitBody("wss://lk.example", "lk new", testLiveKitSecret)},
		{"a short secret", "api_secret", liveKitBody("wss://lk.example", "lk_new", "0123456789")},
		{"no secret", "api_secret", map[string]any{"url": "wss://lk.example", "api_key": "lk_new"}},
		{"a member of another case", "Url", `{"Url":"wss://lk.example","api_key":"lk_new","api_secret":"` + testLiveKitSecret + `"}`},
		{"an unknown member", "region", map[string]any{"url": "wss://lk.example", "api_key": "lk_new", "api_secret": testLiveKitSecret, "region": "eu"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.nothingWritten(t, func() { wantField(t, s.admin(t, own, call{method: "PUT", path: path, body: tc.body}), tc.field) })
		})
	}
	t.Run("the key of another app's project", func(t *testing.T) {
		s.nothingWritten(t, func() {
			wantField(t, s.admin(t, op, call{method: "PUT", path: "/v1/admin/apps/" + other.App + "/livekit", body: liveKitBody("wss://lk.example", testLiveKitKey, testLiveKitSecret)}), "api_key")
		})
		if _, err := s.store.GetLiveKitProject(context.Background(), other.App); err == nil {
			t.Fatal("the other app got a project")
		}
	})
	t.Run("an owner on another app", func(t *testing.T) {
		otherPath := "/v1/admin/apps/" + other.App + "/livekit"
		s.nothingWritten(t, func() {
			wantProblem(t, s.admin(t, own, call{method: "PUT", path: otherPath, body: liveKitBody("wss://lk.example", "lk_mine", testLiveKitSecret)}), http.StatusForbidden, "other_app")
			wantProblem(t, s.admin(t, own, call{method: "DELETE", path: otherPath}), http.StatusForbidden, "other_app")
			wantProblem(t, s.admin(t, own, call{method: "GET", path: otherPath}), http.StatusForbidden, "other_app")
		})
	})
	t.Run("removing none", func(t *testing.T) {
		s.nothingWritten(t, func() {
			wantProblem(t, s.admin(t, op, call{method: "DELETE", path: "/v1/admin/apps/" + other.App + "/livekit"}), http.StatusNotFound, "not_found")
		})
	})
	after, err := s.store.GetLiveKitProject(context.Background(), s.app)
	if err != nil {
		t.Fatal(err)
	}
	if after.URL != before.URL || after.APIKey != before.APIKey || !bytes.Equal(after.SecretCiphertext, before.SecretCiphertext) || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("project changed: %+v, was %+v", after, before)
	}
}
