package authority

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/revocation"
	"github.com/stagedoor/stagedoor/token"
)

// ErrRefreshInvalid reports a refresh token that is unknown, expired or
// revoked.
var ErrRefreshInvalid = errors.New("refresh token is invalid, expired or revoked")

// ErrRefreshReused reports a refresh token presented twice: its whole family
// is revoked, since one of the two presenters stole it.
var ErrRefreshReused = errors.New("refresh token was already used; every token of its family is revoked")

// storedGrant is the request a refresh token re-issues, in the JSON its
// row keeps (storage.RefreshToken.Grants). The member names are a storage
// format: rows written by earlier releases hold them, so they never change.
type storedGrant struct {
	UserID        string          `json:"user_id"`
	Role          string          `json:"role"`
	Rooms         []string        `json:"rooms,omitempty"`
	ParticipantID string          `json:"participant_id,omitempty"`
	Name          string          `json:"name,omitempty"`
	Image         string          `json:"image,omitempty"`
	Metadata      json.RawMessage `json:"metadata,omitempty"`
	UserType      string          `json:"user_type,omitempty"`
	Permissions   []string        `json:"permissions,omitempty"`
	TTLSeconds    int64           `json:"ttl_seconds,omitempty"`
	Audience      string          `json:"audience,omitempty"`
	Refresh       bool            `json:"refresh,omitempty"`
}

func storedGrantOf(r IssueRequest) storedGrant {
	return storedGrant{
		UserID: r.UserID, Role: r.Role, Rooms: r.Rooms, ParticipantID: r.ParticipantID, Name: r.Name, Image: r.Image,
		Metadata: r.Metadata, UserType: r.UserType, Permissions: r.Permissions, TTLSeconds: r.TTLSeconds,
		Audience: r.Audience, Refresh: r.Refresh,
	}
}

func (g storedGrant) request() IssueRequest {
	return IssueRequest{
		UserID: g.UserID, Role: g.Role, Rooms: g.Rooms, ParticipantID: g.ParticipantID, Name: g.Name, Image: g.Image,
		Metadata: g.Metadata, UserType: g.UserType, Permissions: g.Permissions, TTLSeconds: g.TTLSeconds,
		Audience: g.Audience, Refresh: g.Refresh,
	}
}

// Refresh trades a refresh token for a new access token and a new refresh
// token of the same family (rotation). The new access token is minted from
// the app's roles as they are now. The refresh token is checked against
// the revocations in the store before it is used; using it and storing its successor
// are one step of the store, which refuses a token already used or ended
// by a revocation.
func (a *Authority) Refresh(ctx context.Context, raw string) (Issued, error) {
	sum := sha256.Sum256([]byte(raw))
	now := a.now()
	rt, err := a.store.GetRefreshToken(ctx, sum[:])
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return Issued{}, ErrRefreshInvalid
	case err != nil:
		return Issued{}, err
	case !rt.UsedAt.IsZero():
		return Issued{}, a.reused(ctx, rt)
	}
	e, ok := a.apiKey(rt.APIKeyID)
	if !ok || e.key.Revoked() {
		return Issued{}, ErrRefreshInvalid
	}
	var stored storedGrant
	// Member names are matched exactly, as in request bodies: a row
	// holding ROOMS is not read as rooms.
	if err := jsonv2.Unmarshal(rt.Grants, &stored); err != nil {
		return Issued{}, err
	}
	req := stored.request()
	// A refresh token dies with everything that would revoke the tokens it
	// mints: its family, its user, its rooms, its app's cut-off, its key.
	// Revocations are read from the store first: one made by another node
	// in the second this token was stored, after its deletion of the
	// matching tokens ran, is known here only once read.
	if err := a.syncRevocations(ctx); err != nil {
		return Issued{}, err
	}
	probe := &token.Claims{Issuer: rt.APIKeyID, Subject: rt.Subject, App: rt.AppID, ID: revocation.FamilyTokenID(rt.FamilyID, ""),
		IssuedAt: rt.CreatedAt, Grants: token.Grants{Rooms: req.Rooms}}
	if req.UserType == string(access.Anonymous) {
		probe.Subject = access.AnonymousSubject
	}
	if a.revs.Revoked(probe, "") {
		return Issued{}, ErrRefreshInvalid
	}
	m := minterOf(Caller{KeyID: e.key.ID, AppID: e.key.AppID, Kind: e.kind})
	c, err := a.resolve(m, req)
	if err != nil {
		return Issued{}, err
	}
	c.ID = revocation.FamilyTokenID(rt.FamilyID, c.ID)
	s, err := a.signed(c)
	if err != nil {
		return Issued{}, err
	}
	// The access token's audit entry is written with the rotation, so a
	// refresh answered with an error has not used the token up: retried,
	// it is not taken for a reuse that ends the family.
	entry := mintEntry(m, c, "")
	next, nextSum := newRefreshToken()
	_, err = a.store.RotateRefreshToken(ctx, sum[:], storage.RefreshToken{
		IDHash: nextSum, CreatedAt: c.IssuedAt, ExpiresAt: c.IssuedAt.Add(refreshTTLFor(m.kind)),
	}, now, &entry)
	switch {
	case errors.Is(err, storage.ErrReused):
		return Issued{}, a.reused(ctx, rt)
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrExpired):
		return Issued{}, ErrRefreshInvalid
	case err != nil:
		return Issued{}, err
	}
	out := issued(c, s)
	out.RefreshToken = next
	return out, nil
}

// reused ends the family of rt, presented after it was used: one of its
// presenters stole it. It returns ErrRefreshReused once the family is
// ended, by this call or an earlier one.
func (a *Authority) reused(ctx context.Context, rt storage.RefreshToken) error {
	now := a.now()
	audit := &storage.AuditEntry{Actor: "system", Action: "refresh.reuse", AppID: rt.AppID, Target: rt.Subject}
	r, err := a.store.RevokeRefreshFamily(ctx, rt.FamilyID, now, a.revocationExpiry(now), audit)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		a.log.Error("ending a reused refresh family failed", "family", rt.FamilyID, "err", err)
		return err
	default:
		a.applyOwn(r)
	}
	return ErrRefreshReused
}
