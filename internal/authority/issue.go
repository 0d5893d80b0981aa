package authority

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/revocation"
	"github.com/stagedoor/stagedoor/token"
)

// IssueRequest is what a partner backend asks a token to carry. Its errors
// name the fields as the HTTP API spells them.
type IssueRequest struct {
	UserID        string
	Role          string
	Rooms         []string
	ParticipantID string
	Name          string
	Image         string
	Metadata      json.RawMessage
	UserType      string
	Permissions   []string
	TTLSeconds    int64
	Audience      string
	Refresh       bool
}

// Issued is a minted token.
type Issued struct {
	AccessToken  string
	ExpiresAt    time.Time
	TTL          time.Duration
	RefreshToken string
	Claims       *token.Claims
}

// maxIDLen is the longest token id. User ids, participant ids and room
// names follow access.CheckName, what a token says about its user
// access.CheckProfile.
const maxIDLen = 128

// minter is who mints: the API key a token traces back to, and what it may
// give away.
type minter struct {
	appID, keyID string
	kind         access.KeyKind
	holder       access.Holder
	actor        string
}

// keyMinter is the minter of the tokens API key by asks for.
func keyMinter(by Principal) (minter, error) {
	caller, err := by.apiKey()
	if err != nil {
		return minter{}, err
	}
	return minterOf(caller), nil
}

// minterOf is API key c minting with everything its kind may give.
func minterOf(c Caller) minter {
	return minter{appID: c.AppID, keyID: c.KeyID, kind: c.Kind, holder: access.KeyHolder(c.Kind), actor: c.Actor()}
}

func invalid(field, format string, args ...any) error {
	return &access.InvalidError{Field: field, Detail: fmt.Sprintf(format, args...)}
}

// resolve validates req and applies the access rules for m.
func (a *Authority) resolve(m minter, req IssueRequest) (*token.Claims, error) {
	userType, err := access.ParseUserType(req.UserType)
	if err != nil {
		return nil, err
	}
	aud, err := access.ParseAudience(req.Audience)
	if err != nil {
		return nil, err
	}
	sub, err := access.SubjectOf(userType, req.UserID)
	if err != nil {
		return nil, err
	}
	if err := access.CheckProfile(req.Name, req.Image, req.Metadata); err != nil {
		return nil, err
	}
	if string(req.Metadata) == "null" {
		req.Metadata = nil
	}
	for i, room := range req.Rooms {
		if slices.Contains(req.Rooms[:i], room) {
			return nil, invalid("rooms", "room %q is named twice", room)
		}
	}
	if req.Role == "" {
		return nil, invalid("role", "required")
	}
	cat, err := a.catalog(m.appID)
	if err != nil {
		return nil, err
	}
	role, err := cat.Role(req.Role)
	if err != nil {
		return nil, &access.InvalidError{Field: "role", Detail: err.Error()}
	}
	extra, err := access.ParseSet(req.Permissions)
	if err != nil {
		return nil, &access.InvalidError{Field: "permissions", Detail: err.Error()}
	}
	ttl := access.DefaultTTL
	if req.TTLSeconds != 0 {
		if req.TTLSeconds < 0 || req.TTLSeconds > int64(access.MaxTTL/time.Second) {
			return nil, invalid("ttl_seconds", "must be between 1 and %d for a %s key", int64(access.MaxTTLFor(m.kind)/time.Second), m.kind)
		}
		ttl = time.Duration(req.TTLSeconds) * time.Second
	}
	if ttl > access.MaxTTLFor(m.kind) {
		return nil, invalid("ttl_seconds", "%d exceeds the %d allowed for a %s key", int64(ttl/time.Second), int64(access.MaxTTLFor(m.kind)/time.Second), m.kind)
	}
	g, err := access.Resolve(m.holder, m.kind, access.Request{
		Role: role, Extra: extra, Rooms: req.Rooms, Participant: req.ParticipantID,
		User: userType, Audience: aud, TTL: ttl,
	})
	if err != nil {
		return nil, err
	}
	return token.NewClaims(token.Spec{
		Issuer: m.keyID, Kind: m.kind, Subject: sub, Audience: aud, ID: randomID("", 12), App: m.appID,
		IssuedAt: a.now(), TTL: ttl, Grants: g, Name: req.Name, Image: req.Image, Metadata: req.Metadata,
	}), nil
}

// sign mints c with the current service key and records it in the audit
// log. The token is returned only once its record is committed.
func (a *Authority) sign(ctx context.Context, m minter, c *token.Claims) (Issued, error) {
	s, err := a.signed(c)
	if err != nil {
		return Issued{}, err
	}
	return a.record(ctx, m, c, s, "")
}

// signed is c minted with the service's signing key.
func (a *Authority) signed(c *token.Claims) (string, error) {
	s, err := token.Mint(a.signer(), c)
	if err != nil {
		// resolve let through claims Mint refuses: a fault of ours, not a
		// bad token, so the *token.Error (a 401) must not show through.
		return "", fmt.Errorf("mint: %v", err)
	}
	// A body within the size cap can ask for more than a verifier reads
	// (hundreds of rooms): refuse it rather than answer with a token that
	// never verifies.
	if len(s) > token.DefaultMaxSize {
		return "", invalid("body", "the token would be %d bytes, over the %d bytes verifiers accept: bind fewer rooms or carry less", len(s), token.DefaultMaxSize)
	}
	return s, nil
}

// record audits the minting of c, signed as s in format ("" for
// stagedoor's own), and returns the token once its record is committed.
func (a *Authority) record(ctx context.Context, m minter, c *token.Claims, s, format string) (Issued, error) {
	if err := a.audit.append(ctx, mintEntry(m, c, format)); err != nil {
		return Issued{}, err
	}
	return issued(c, s), nil
}

// mintEntry is the audit entry of the minting of c in format.
func mintEntry(m minter, c *token.Claims, format string) storage.AuditEntry {
	fields := map[string]any{"jti": c.ID, "role": c.Grants.Role, "aud": c.Audience, "exp": c.ExpiresAt.Unix()}
	if format != "" {
		fields["format"] = format
	}
	detail, _ := json.Marshal(fields)
	return storage.AuditEntry{Time: c.IssuedAt, Actor: m.actor, Action: "token.mint", AppID: m.appID, Target: c.Subject, Detail: detail}
}

// issued is the answer for c, signed as s.
func issued(c *token.Claims, s string) Issued {
	return Issued{AccessToken: s, ExpiresAt: c.ExpiresAt, TTL: c.ExpiresAt.Sub(c.IssuedAt), Claims: c}
}

// IssueToken mints an access token for a partner backend's user
// (CreateAccessToken), and a refresh token when asked.
func (a *Authority) IssueToken(ctx context.Context, by Principal, req IssueRequest) (Issued, error) {
	m, err := keyMinter(by)
	if err != nil {
		return Issued{}, err
	}
	c, err := a.resolve(m, req)
	if err != nil {
		return Issued{}, err
	}
	if !req.Refresh {
		return a.sign(ctx, m, c)
	}
	family := randomID("", 12)
	c.ID = revocation.FamilyTokenID(family, c.ID)
	refresh, err := a.storeRefresh(ctx, m, family, req, c)
	if err != nil {
		return Issued{}, err
	}
	out, err := a.sign(ctx, m, c)
	if err != nil {
		return Issued{}, err
	}
	out.RefreshToken = refresh
	return out, nil
}

// storeRefresh creates a refresh token of family that re-issues req, for
// the user and rooms of c, the first token minted from it.
func (a *Authority) storeRefresh(ctx context.Context, m minter, family string, req IssueRequest, c *token.Claims) (string, error) {
	req.Refresh = true
	payload, err := json.Marshal(storedGrantOf(req))
	if err != nil {
		return "", err
	}
	raw, sum := newRefreshToken()
	err = a.store.CreateRefreshToken(ctx, storage.RefreshToken{
		IDHash: sum, FamilyID: family, AppID: m.appID, APIKeyID: m.keyID, Subject: c.Subject, Rooms: c.Grants.Rooms,
		Grants: payload, CreatedAt: c.IssuedAt, ExpiresAt: c.IssuedAt.Add(refreshTTLFor(m.kind)),
	})
	if err != nil {
		return "", err
	}
	return raw, nil
}

// newRefreshToken returns a new opaque refresh token and the hash it is
// stored under.
func newRefreshToken() (raw string, sum []byte) {
	raw = randomID("sdr_", 32)
	h := sha256.Sum256([]byte(raw))
	return raw, h[:]
}
