package authority_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/revocation"
)

// newKey creates another key of the node's app.
func (n *node) newKey(t *testing.T, kind access.KeyKind) authority.Caller {
	t.Helper()
	k, err := n.auth.CreateAPIKey(t.Context(), authority.AsOperator("test"), n.app, kind)
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.auth.Authenticate(k.APIKey, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// revoked reports whether the app's revocation feed holds one of kind.
func (n *node) revoked(t *testing.T, kind storage.RevocationKind) bool {
	t.Helper()
	rs, err := n.auth.RevocationFeed(t.Context(), authority.AsKey(n.prod), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(rs, func(r revocation.Revocation) bool { return r.Kind == kind })
}

// TestRevocationOutlivesRefreshTokens revokes, by each kind, tokens whose
// refresh tokens live a week, and checks at 25 h, a minute before the last
// matched refresh token expires and a second after, that none of them
// mints a token again and the revocation is kept, while a token the
// revocation does not match still refreshes.
// Tokens of a user or room issued in the second of the revocation, after
// it, are covered too; only the revocation itself refuses their refresh
// tokens, since they were stored after it.
func TestRevocationOutlivesRefreshTokens(t *testing.T) {
	alice := authority.IssueRequest{UserID: "alice", Role: access.Viewer}
	inStage := authority.IssueRequest{UserID: "alice", Role: access.Viewer, Rooms: []string{"stage"}}
	cases := []struct {
		name string
		kind storage.RevocationKind
		// revoke issues the tokens to revoke, revokes them at the node's
		// time, and returns their refresh tokens and those of tokens
		// issued after the revocation that it still covers.
		revoke func(t *testing.T, n *node) (dead []string)
		// spared is a token the revocation does not match.
		spared authority.IssueRequest
	}{
		{"user", storage.RevocationUserID, func(t *testing.T, n *node) []string {
			early := n.issue(t, n.prod, alice)
			n.clock.Set(n.clock.Now().Add(time.Minute))
			revoke(t, n, authority.RevokeRequest{UserID: "alice"})
			return []string{early.RefreshToken, n.issue(t, n.prod, alice).RefreshToken}
		}, authority.IssueRequest{UserID: "bob", Role: access.Viewer}},
		{"room", storage.RevocationRoom, func(t *testing.T, n *node) []string {
			early := n.issue(t, n.prod, inStage)
			n.clock.Set(n.clock.Now().Add(time.Minute))
			revoke(t, n, authority.RevokeRequest{Room: "stage"})
			return []string{early.RefreshToken, n.issue(t, n.prod, inStage).RefreshToken}
		}, authority.IssueRequest{UserID: "alice", Role: access.Viewer, Rooms: []string{"lobby"}}},
		{"issued before", storage.RevocationIssuedBefore, func(t *testing.T, n *node) []string {
			early := n.issue(t, n.prod, alice)
			n.clock.Set(n.clock.Now().Add(time.Minute))
			cut := n.clock.Now()
			revoke(t, n, authority.RevokeRequest{IssuedBefore: &cut})
			n.clock.Set(n.clock.Now().Add(time.Second))
			return []string{early.RefreshToken}
		}, alice},
		{"api key", storage.RevocationAPIKey, func(t *testing.T, n *node) []string {
			k := n.newKey(t, access.Production)
			early := n.issue(t, k, alice)
			n.clock.Set(n.clock.Now().Add(time.Minute))
			if err := n.auth.RevokeAPIKey(t.Context(), authority.AsOperator("test"), k.KeyID); err != nil {
				t.Fatal(err)
			}
			return []string{early.RefreshToken}
		}, alice},
		{"refresh family", storage.RevocationRefreshFamily, func(t *testing.T, n *node) []string {
			first := n.issue(t, n.prod, alice)
			n.clock.Set(n.clock.Now().Add(time.Minute))
			second, err := n.auth.Refresh(t.Context(), first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.auth.Refresh(t.Context(), first.RefreshToken); !errors.Is(err, authority.ErrRefreshReused) {
				t.Fatalf("reuse: %v", err)
			}
			return []string{first.RefreshToken, second.RefreshToken}
		}, alice},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
				n := newNode(t, open(t))
				dead := tc.revoke(t, n)
				revokedAt := n.clock.Now()
				spared := n.issue(t, n.prod, tc.spared).RefreshToken
				for _, after := range []time.Duration{25 * time.Hour, authority.RefreshTTL - time.Minute, authority.RefreshTTL + time.Second} {
					n.at(t, revokedAt.Add(after))
					for i, rt := range dead {
						if _, err := n.auth.Refresh(t.Context(), rt); !refused(err) {
							t.Fatalf("%s after the revocation, revoked refresh token %d: %v, want it refused", after, i, err)
						}
					}
					if !n.revoked(t, tc.kind) {
						t.Fatalf("%s after the revocation, it is no longer in the feed", after)
					}
					out, err := n.auth.Refresh(t.Context(), spared)
					if err != nil {
						t.Fatalf("%s after the revocation, a refresh token it does not match: %v", after, err)
					}
					spared = out.RefreshToken
				}
				// Once nothing it matches can be valid, it is forgotten.
				n.at(t, revokedAt.Add(authority.CredentialLife+2*time.Minute))
				if n.revoked(t, tc.kind) {
					t.Fatal("the revocation is kept after everything it matches expired")
				}
			})
		})
	}
}

// refused reports whether err is Refresh refusing a refresh token.
func refused(err error) bool {
	return errors.Is(err, authority.ErrRefreshInvalid) || errors.Is(err, authority.ErrRefreshReused)
}

func revoke(t *testing.T, n *node, req authority.RevokeRequest) {
	t.Helper()
	if _, err := n.auth.Revoke(t.Context(), authority.AsKey(n.prod), req); err != nil {
		t.Fatal(err)
	}
}
