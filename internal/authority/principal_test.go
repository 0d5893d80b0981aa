package authority_test

import (
	"errors"
	"testing"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// TestOnlyOperatorsManage refuses every principal but an operator the
// management of apps, keys, roles and signing keys, and checks that the
// refusals stored nothing; and refuses an operator acting on a room.
func TestOnlyOperatorsManage(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		n := newNode(t, open(t))
		ctx := t.Context()
		before, err := n.auth.Audit(ctx, authority.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for name, by := range map[string]authority.Principal{
			"api key":             authority.AsKey(n.prod),
			"token":               authority.AsToken("eyJ"),
			"nobody":              {},
			"operator with key":   {Operator: "cli", Key: &n.prod},
			"operator with token": {Operator: "cli", Token: "eyJ"},
			"app owner":           {Operator: "owner:" + n.prod.KeyID, Session: "cs_1", App: n.app},
		} {
			if _, err := n.auth.CreateApp(ctx, by, "other"); !errors.Is(err, authority.ErrOperatorOnly) {
				t.Errorf("%s: CreateApp: %v, want ErrOperatorOnly", name, err)
			}
			if _, err := n.auth.CreateAPIKey(ctx, by, n.app, access.Production); !errors.Is(err, authority.ErrOperatorOnly) {
				t.Errorf("%s: CreateAPIKey: %v, want ErrOperatorOnly", name, err)
			}
			if err := n.auth.RevokeAPIKey(ctx, by, n.prod.KeyID); !errors.Is(err, authority.ErrOperatorOnly) {
				t.Errorf("%s: RevokeAPIKey: %v, want ErrOperatorOnly", name, err)
			}
			if _, err := n.auth.SetRole(ctx, by, n.app, "stagehand", []string{"consume"}, 5); !errors.Is(err, authority.ErrOperatorOnly) {
				t.Errorf("%s: SetRole: %v, want ErrOperatorOnly", name, err)
			}
			if _, err := n.auth.RotateSigningKey(ctx, by); !errors.Is(err, authority.ErrOperatorOnly) {
				t.Errorf("%s: RotateSigningKey: %v, want ErrOperatorOnly", name, err)
			}
		}
		apps, err := n.auth.ListApps(ctx)
		if err != nil || len(apps) != 1 {
			t.Errorf("apps after the refusals: %v, %v; want only the node's", apps, err)
		}
		keys, err := n.auth.ListAPIKeys(ctx, "")
		if err != nil || len(keys) != 2 || keys[0].Revoked() || keys[1].Revoked() {
			t.Errorf("keys after the refusals: %+v, %v; want the node's two, live", keys, err)
		}
		roles, err := n.auth.ListRoles(ctx, n.app)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if r.Name == "stagehand" {
				t.Errorf("a refused SetRole stored role %+v", r)
			}
		}
		after, err := n.auth.Audit(ctx, authority.AuditQuery{})
		if err != nil || len(after.Entries) != len(before.Entries) {
			t.Errorf("the refusals were audited: %d entries before, %d after (%v)", len(before.Entries), len(after.Entries), err)
		}
		if _, err := n.auth.CreateRoom(ctx, authority.AsOperator("cli"), authority.RoomRequest{Name: "stage"}); !errors.Is(err, authority.ErrOperatorInRoom) {
			t.Errorf("an operator's CreateRoom: %v, want ErrOperatorInRoom", err)
		}
		if _, err := n.auth.CreateRoom(ctx, authority.AsKey(n.prod), authority.RoomRequest{Name: "stage"}); err != nil {
			t.Errorf("an API key's CreateRoom: %v", err)
		}
	})
}

// TestKeyAndTokenOnly refuses what only an API key does to operators and
// tokens, and joining to all but a token's holder, storing nothing.
func TestKeyAndTokenOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		n := newNode(t, open(t))
		ctx := t.Context()
		if _, err := n.auth.CreateRoom(ctx, authority.AsKey(n.prod), authority.RoomRequest{Name: "stage"}); err != nil {
			t.Fatal(err)
		}
		tok, err := n.auth.IssueToken(ctx, authority.AsKey(n.prod), authority.IssueRequest{UserID: "alice", Role: access.Host})
		if err != nil {
			t.Fatal(err)
		}
		notKeys := map[string]authority.Principal{
			"operator":      authority.AsOperator("cli"),
			"token":         authority.AsToken(tok.AccessToken),
			"nobody":        {},
			"key and token": {Key: &n.prod, Token: tok.AccessToken},
		}
		for name, by := range notKeys {
			if _, err := n.auth.IssueToken(ctx, by, authority.IssueRequest{UserID: "bob", Role: access.Viewer}); !errors.Is(err, authority.ErrKeyOnly) {
				t.Errorf("%s: IssueToken: %v, want ErrKeyOnly", name, err)
			}
			if _, err := n.auth.Revoke(ctx, by, authority.RevokeRequest{UserID: "alice"}); !errors.Is(err, authority.ErrKeyOnly) {
				t.Errorf("%s: Revoke: %v, want ErrKeyOnly", name, err)
			}
			if _, err := n.auth.RevocationFeed(ctx, by, 0, 10); !errors.Is(err, authority.ErrKeyOnly) {
				t.Errorf("%s: RevocationFeed: %v, want ErrKeyOnly", name, err)
			}
			if err := n.auth.SetSessionPolicy(ctx, by, authority.PolicyJoin); !errors.Is(err, authority.ErrKeyOnly) {
				t.Errorf("%s: SetSessionPolicy: %v, want ErrKeyOnly", name, err)
			}
			if in := n.auth.Introspect(ctx, by, tok.AccessToken); in.Active {
				t.Errorf("%s: Introspect found the token active", name)
			}
		}
		if rs, err := n.auth.RevocationFeed(ctx, authority.AsKey(n.prod), 0, 10); err != nil || len(rs) != 0 {
			t.Errorf("revocations after the refusals: %+v, %v", rs, err)
		}
		if in := n.auth.Introspect(ctx, authority.AsKey(n.prod), tok.AccessToken); !in.Active {
			t.Error("the app's key found its token inactive")
		}
		for name, by := range map[string]authority.Principal{
			"operator":      authority.AsOperator("cli"),
			"api key":       authority.AsKey(n.prod),
			"nobody":        {},
			"key and token": {Key: &n.prod, Token: tok.AccessToken},
		} {
			if _, err := n.auth.Join(ctx, by, "stage"); !errors.Is(err, authority.ErrTokenOnly) {
				t.Errorf("%s: Join: %v, want ErrTokenOnly", name, err)
			}
		}
		v, err := n.auth.Room(ctx, authority.AsKey(n.prod), "stage")
		if err != nil || len(v.Sessions) != 0 {
			t.Errorf("sessions after the refusals: %+v, %v", v.Sessions, err)
		}
		if _, err := n.auth.Join(ctx, authority.AsToken(tok.AccessToken), "stage"); err != nil {
			t.Errorf("the token's holder could not join: %v", err)
		}
	})
}
