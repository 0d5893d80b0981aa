package authority_test

import (
	"crypto/sha256"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// TestStoredGrantFormat refreshes a refresh token whose row holds its grant
// as earlier releases stored it, member names and all: the stored format
// is kept apart from the API's request types, and must not drift with
// them.
func TestStoredGrantFormat(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		n := newNode(t, open(t))
		const raw = "sdr_storedgrantformat"
		sum := sha256.Sum256([]byte(raw))
		now := n.clock.Now()
		grant := `{"user_id":"alice","role":"viewer","rooms":["stage"],"participant_id":"a1","name":"Alice",` +
			`"image":"https://x/a.png","metadata":{"team":"blue"},"permissions":["consume","room.join"],` +
			`"ttl_seconds":600,"audience":"rtc","refresh":true}`
		err := n.store.CreateRefreshToken(t.Context(), storage.RefreshToken{
			IDHash: sum[:], FamilyID: "storedgrant1", AppID: n.app, APIKeyID: n.prod.KeyID, Subject: "alice",
			Rooms: []string{"stage"}, Grants: json.RawMessage(grant), CreatedAt: now, ExpiresAt: now.Add(authority.RefreshTTL),
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := n.auth.Refresh(t.Context(), raw)
		if err != nil {
			t.Fatal(err)
		}
		c := out.Claims
		if c.Subject != "alice" || c.Grants.Role != access.Viewer || !slices.Equal(c.Grants.Rooms, []string{"stage"}) ||
			c.Grants.Participant != "a1" || c.User == nil || c.User.Name != "Alice" || c.User.Image != "https://x/a.png" ||
			string(c.User.Metadata) != `{"team":"blue"}` || !slices.Equal(c.Grants.Permissions, []string{"consume", "room.join"}) ||
			c.ExpiresAt.Sub(c.IssuedAt).Seconds() != 600 || c.Audience != access.AudienceRTC || out.RefreshToken == "" {
			t.Errorf("the stored grant %s refreshed into %+v", grant, c)
		}
	})
}

// A stored grant is read with exact member names, as request bodies are: a
// row holding ROOMS and Role has no rooms and no role, so it re-issues
// nothing.
func TestStoredGrantExactNames(t *testing.T) {
	n := newNode(t, openSQLite(t, filepath.Join(t.TempDir(), "stagedoor.db")))
	const raw = "sdr_storedgrantexactnames"
	sum := sha256.Sum256([]byte(raw))
	now := n.clock.Now()
	err := n.store.CreateRefreshToken(t.Context(), storage.RefreshToken{
		IDHash: sum[:], FamilyID: "storedgrant2", AppID: n.app, APIKeyID: n.prod.KeyID, Subject: "alice",
		Rooms:  []string{"stage"},
		Grants: json.RawMessage(`{"user_id":"alice","Role":"host","ROOMS":["stage"]}`), CreatedAt: now, ExpiresAt: now.Add(authority.RefreshTTL),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := n.auth.Refresh(t.Context(), raw)
	if err == nil {
		t.Fatalf("refreshed into %+v, want the grant refused", out.Claims)
	}
}
