package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
)

// The admin API answers as the OpenAPI document says, on success and on
// failure; requests the document calls invalid are those the server
// refuses for their shape.
func TestOpenAPIContractAdmin(t *testing.T) {
	s := newTestServer(t)
	ct := newContract(t, s)
	op := s.operator(t)
	own := s.owner(t, s.prod)
	other := s.otherApp(t)
	otherOwner := s.owner(t, other)
	viewer := s.mint(t, &s.prod, map[string]any{"user_id": "vic", "role": "viewer", "rooms": []string{"stage"}})
	s.newRoom(t, map[string]any{"name": "stage", "max_producers": 2})
	spare := s.newAPIKey(t, access.Production)
	dev := s.dev
	app := "/v1/admin/apps/" + s.app
	otherApp := "/v1/admin/apps/" + other.App
	sessions := s.admin(t, op, call{method: "GET", path: "/v1/admin/sessions"})
	wantOK(t, sessions, http.StatusOK)
	ownerSession := s.admin(t, otherOwner, call{method: "GET", path: "/v1/admin/sessions"}).body["sessions"].([]any)[0].(map[string]any)["id"].(string)
	s.role(t, "stagehand", 15, "room.join", "consume")

	ct.check(t, s, []contractCase{
		{"sign in with a code", call{method: "POST", path: "/v1/admin/sessions", body: map[string]any{"code": s.loginCode(t, "bob")}}, 201, false},
		{"sign in with a used code", call{method: "POST", path: "/v1/admin/sessions", body: map[string]any{"code": "sdc_unknown"}}, 400, false},
		{"sign in without a code", call{method: "POST", path: "/v1/admin/sessions", body: map[string]any{}}, 400, false},
		{"sign in with a huge code", call{method: "POST", path: "/v1/admin/sessions", body: map[string]any{"code": string(make([]byte, 200))}}, 400, true},
		{"sign in as an owner", call{method: "POST", path: "/v1/admin/sessions", basic: &s.prod}, 201, false},
		{"sign in with a development key", call{method: "POST", path: "/v1/admin/sessions", basic: &dev}, 403, false},
		{"sign in with a wrong secret", call{method: "POST", path: "/v1/admin/sessions", basic: wrongSecret(s.prod)}, 401, false},
		{"sign in with an unknown member", call{method: "POST", path: "/v1/admin/sessions", body: map[string]any{"token": "x"}}, 400, true},
		{"refresh", call{method: "POST", path: "/v1/admin/sessions/refresh", bearer: op}, 201, false},
		{"refresh without a token", call{method: "POST", path: "/v1/admin/sessions/refresh"}, 401, true},
		{"refresh with an access token", call{method: "POST", path: "/v1/admin/sessions/refresh", bearer: viewer}, 401, false},
		{"list sessions", call{method: "GET", path: "/v1/admin/sessions", bearer: own}, 200, false},
		{"revoke another app's session", call{method: "DELETE", path: "/v1/admin/sessions/" + ownerSession, bearer: own}, 403, false},
		{"revoke no session", call{method: "DELETE", path: "/v1/admin/sessions/cs_none", bearer: op}, 404, false},
		{"revoke a session", call{method: "DELETE", path: "/v1/admin/sessions/" + ownerSession, bearer: op}, 204, false},
		{"revoke it again", call{method: "DELETE", path: "/v1/admin/sessions/" + ownerSession, bearer: op}, 409, false},

		{"list apps", call{method: "GET", path: "/v1/admin/apps", bearer: op}, 200, false},
		{"create an app", call{method: "POST", path: "/v1/admin/apps", bearer: op, body: map[string]any{"name": "shop"}}, 201, false},
		{"create it again", call{method: "POST", path: "/v1/admin/apps", bearer: op, body: map[string]any{"name": "shop"}}, 409, false},
		{"create a badly named app", call{method: "POST", path: "/v1/admin/apps", bearer: op, body: map[string]any{"name": "a b"}}, 400, true},
		{"create an app as an owner", call{method: "POST", path: "/v1/admin/apps", bearer: own, body: map[string]any{"name": "mine"}}, 403, false},
		{"show an app", call{method: "GET", path: app, bearer: own}, 200, false},
		{"show no app", call{method: "GET", path: "/v1/admin/apps/none", bearer: op}, 404, false},
		{"show another app", call{method: "GET", path: otherApp, bearer: own}, 403, false},

		{"list keys", call{method: "GET", path: app + "/keys", bearer: own}, 200, false},
		{"create a key", call{method: "POST", path: app + "/keys", bearer: own, body: map[string]any{"kind": "development"}}, 201, false},
		{"create a key of no kind", call{method: "POST", path: app + "/keys", bearer: op, body: map[string]any{"kind": "service"}}, 400, true},
		{"create a key without a kind", call{method: "POST", path: app + "/keys", bearer: op, body: map[string]any{}}, 400, true},
		{"revoke a key", call{method: "DELETE", path: app + "/keys/" + spare.APIKey, bearer: op}, 204, false},
		{"revoke it again", call{method: "DELETE", path: app + "/keys/" + spare.APIKey, bearer: op}, 409, false},
		{"revoke another app's key", call{method: "DELETE", path: app + "/keys/" + other.APIKey, bearer: op}, 404, false},

		{"list roles", call{method: "GET", path: app + "/roles", bearer: own}, 200, false},
		{"put a role", call{method: "PUT", path: app + "/roles/usher", bearer: own, body: map[string]any{"permissions": []string{"room.join", "moderate.admit"}, "rank": 30}}, 200, false},
		{"put a role without rank", call{method: "PUT", path: app + "/roles/usher", bearer: op, body: map[string]any{"permissions": []string{"consume"}}}, 400, true},
		{"put a role of no permission", call{method: "PUT", path: app + "/roles/usher", bearer: op, body: map[string]any{"permissions": []string{"fly"}, "rank": 1}}, 400, true},
		{"redefine a built-in role", call{method: "PUT", path: app + "/roles/host", bearer: op, body: map[string]any{"permissions": []string{"consume"}, "rank": 1}}, 400, false},
		{"delete a role", call{method: "DELETE", path: app + "/roles/stagehand", bearer: op}, 204, false},
		{"delete no role", call{method: "DELETE", path: app + "/roles/stagehand", bearer: op}, 404, false},

		{"revoke a user", call{method: "POST", path: app + "/revocations", bearer: own, body: map[string]any{"user_id": "mallory"}}, 201, false},
		{"revoke nothing", call{method: "POST", path: app + "/revocations", bearer: op, body: map[string]any{}}, 400, true},
		{"read revocations", call{method: "GET", path: app + "/revocations?after=0&limit=10", bearer: own}, 200, false},
		{"read revocations after -1", call{method: "GET", path: app + "/revocations?after=-1", bearer: op}, 400, true},

		{"list rooms", call{method: "GET", path: app + "/rooms?limit=10", bearer: own}, 200, false},
		{"list rooms after one", call{method: "GET", path: app + "/rooms?after=stage", bearer: op}, 200, false},
		{"list 1000 rooms", call{method: "GET", path: app + "/rooms?limit=1000", bearer: op}, 400, true},
		{"moderator token", call{method: "POST", path: app + "/rooms/stage/moderator-token", bearer: op}, 201, false},
		{"moderator token as an owner", call{method: "POST", path: app + "/rooms/stage/moderator-token", bearer: own}, 201, false},
		{"moderator token for a bad room name", call{method: "POST", path: app + "/rooms/%20x/moderator-token", bearer: op}, 400, false},

		{"mint", call{method: "POST", path: app + "/tokens", bearer: own, body: map[string]any{"api_key": s.prod.APIKey, "user_id": "alice", "role": "host", "rooms": []string{"stage"}}}, 201, false},
		{"mint without a key", call{method: "POST", path: app + "/tokens", bearer: op, body: map[string]any{"user_id": "alice", "role": "host"}}, 400, true},
		{"mint with another app's key", call{method: "POST", path: app + "/tokens", bearer: op, body: map[string]any{"api_key": other.APIKey, "user_id": "alice", "role": "host"}}, 400, false},
		{"mint beyond a development key", call{method: "POST", path: app + "/tokens", bearer: op, body: map[string]any{"api_key": s.dev.APIKey, "user_id": "a", "role": "viewer", "permissions": []string{"moderate.kick"}}}, 403, false},
		{"mint in stagedoor's format", call{method: "POST", path: app + "/tokens", bearer: op, body: map[string]any{"api_key": s.prod.APIKey, "user_id": "a", "role": "viewer", "format": "stagedoor"}}, 201, false},
		{"mint a LiveKit token", call{method: "POST", path: app + "/tokens", bearer: op, body: map[string]any{"api_key": s.prod.APIKey, "user_id": "a", "role": "viewer", "rooms": []string{"stage"}, "format": "livekit"}}, 400, true},
		{"mint a refresh token", call{method: "POST", path: app + "/tokens", bearer: op, body: map[string]any{"api_key": s.prod.APIKey, "user_id": "a", "role": "viewer", "refresh": true}}, 400, true},

		{"show the LiveKit project", call{method: "GET", path: app + "/livekit", bearer: own}, 200, false},
		{"show another app's LiveKit project", call{method: "GET", path: otherApp + "/livekit", bearer: own}, 403, false},
		{"show no LiveKit project", call{method: "GET", path: otherApp + "/livekit", bearer: op}, 404, false},
		{"set the LiveKit project", call{method: "PUT", path: app + "/livekit", bearer: own, body: liveKitBody("ws://127.0.0.1:9/lk", "lk_new", testLiveKitSecret)}, 200, false},
		{"set a LiveKit project of no URL", call{method: "PUT", path: app + "/livekit", bearer: op, body: liveKitBody("ftp://lk.example", "lk_new", testLiveKitSecret)}, 400, false},
		{"set a LiveKit project without a key", call{method: "PUT", path: app + "/livekit", bearer: op, body: liveKitBody("wss://lk.example", "", testLiveKitSecret)}, 400, true},
		{"set a LiveKit project with a short secret", call{method: "PUT", path: app + "/livekit", bearer: op, body: liveKitBody("wss://lk.example", "lk_new", "short")}, 400, false},
		{"set a LiveKit project without a secret", call{method: "PUT", path: app + "/livekit", bearer: op, body: map[string]any{"url": "wss://lk.example", "api_key": "lk_new"}}, 400, true},
		{"set a LiveKit project of another app's key", call{method: "PUT", path: otherApp + "/livekit", bearer: op, body: liveKitBody("wss://lk.example", "lk_new", testLiveKitSecret)}, 400, false},
		{"set another app's LiveKit project", call{method: "PUT", path: otherApp + "/livekit", bearer: own, body: liveKitBody("wss://lk.example", "lk_mine", testLiveKitSecret)}, 403, false},
		{"remove the LiveKit project", call{method: "DELETE", path: app + "/livekit", bearer: op}, 204, false},
		{"remove it again", call{method: "DELETE", path: app + "/livekit", bearer: own}, 404, false},

		{"inspect", call{method: "POST", path: "/v1/admin/inspect", bearer: own, body: map[string]any{"token": viewer}}, 200, false},
		{"inspect with a secret", call{method: "POST", path: "/v1/admin/inspect", bearer: op, body: map[string]any{"token": viewer, "secret": s.prod.Secret}}, 200, false},
		{"inspect garbage", call{method: "POST", path: "/v1/admin/inspect", bearer: op, body: map[string]any{"token": "garbage"}}, 200, false},
		{"inspect nothing", call{method: "POST", path: "/v1/admin/inspect", bearer: op, body: map[string]any{}}, 400, true},
		{"inspect another app's token", call{method: "POST", path: "/v1/admin/inspect", bearer: own, body: map[string]any{"token": s.mint(t, &other, map[string]any{"user_id": "o", "role": "viewer"})}}, 403, false},

		{"list signing keys", call{method: "GET", path: "/v1/admin/signing-keys", bearer: op}, 200, false},
		{"list signing keys as an owner", call{method: "GET", path: "/v1/admin/signing-keys", bearer: own}, 403, false},
		{"rotate", call{method: "POST", path: "/v1/admin/signing-keys/rotate", bearer: op}, 200, false},
		{"rotate as an owner", call{method: "POST", path: "/v1/admin/signing-keys/rotate", bearer: own}, 403, false},

		{"read the audit log", call{method: "GET", path: "/v1/admin/audit?limit=5", bearer: op}, 200, false},
		{"read an app's audit log", call{method: "GET", path: "/v1/admin/audit?app=" + s.app, bearer: own}, 200, false},
		{"read the audit log filtered", call{method: "GET", path: "/v1/admin/audit?action=app.create&actor=operator:alice&order=oldest&limit=2&since=" +
			s.clock.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + "&until=" + s.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339), bearer: op}, 200, false},
		{"read another app's audit log", call{method: "GET", path: "/v1/admin/audit?app=" + other.App, bearer: own}, 403, false},
		{"read with a bad cursor", call{method: "GET", path: "/v1/admin/audit?cursor=1", bearer: op}, 400, true},
		{"read since no time", call{method: "GET", path: "/v1/admin/audit?since=yesterday", bearer: op}, 400, true},
		{"read in no order", call{method: "GET", path: "/v1/admin/audit?order=random", bearer: op}, 400, true},
		{"read 2000 entries", call{method: "GET", path: "/v1/admin/audit?limit=2000", bearer: op}, 400, true},
		{"read until before since", call{method: "GET", path: "/v1/admin/audit?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", bearer: op}, 400, false},
	})

	t.Run("expired", func(t *testing.T) {
		s.clock.Advance(authority.ConsoleTokenTTL + time.Minute)
		r, _ := ct.exchange(t, s, call{method: "GET", path: "/v1/admin/apps", bearer: op})
		wantProblem(t, r, http.StatusUnauthorized, "expired")
	})
}
