package authority

import (
	"context"
	"encoding/json"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/revocation"
)

// RevokeRequest names the tokens to revoke: exactly one field is set.
type RevokeRequest struct {
	TokenID      string
	UserID       string
	Room         string
	IssuedBefore *time.Time
}

// Revoke makes an app's matching tokens fail verification from now on, and
// ends the refresh tokens it matches. The revocation is kept only while a
// credential it matches can still be valid.
func (a *Authority) Revoke(ctx context.Context, by Principal, req RevokeRequest) (revocation.Revocation, error) {
	caller, err := by.apiKey()
	if err != nil {
		return revocation.Revocation{}, err
	}
	return a.revoke(ctx, caller.AppID, caller.Actor(), req)
}

// revoke is Revoke in app appID by actor, as the audit log names them.
func (a *Authority) revoke(ctx context.Context, appID, actor string, req RevokeRequest) (revocation.Revocation, error) {
	now := a.now()
	r := storage.Revocation{AppID: appID, CreatedAt: now}
	set := 0
	for _, f := range []struct {
		kind  storage.RevocationKind
		value string
	}{{storage.RevocationTokenID, req.TokenID}, {storage.RevocationUserID, req.UserID}, {storage.RevocationRoom, req.Room}} {
		if f.value != "" {
			set++
			r.Kind, r.Value = f.kind, f.value
		}
	}
	if req.IssuedBefore != nil {
		set++
		r.Kind, r.IssuedBefore = storage.RevocationIssuedBefore, req.IssuedBefore.UTC()
		if r.IssuedBefore.IsZero() {
			return revocation.Revocation{}, invalid("issued_before", "must be a time, not the zero time")
		}
		if r.IssuedBefore.After(now.Add(a.leeway)) {
			return revocation.Revocation{}, invalid("issued_before", "is in the future")
		}
	}
	if set != 1 {
		return revocation.Revocation{}, invalid("body", "exactly one of token_id, user_id, room or issued_before is required")
	}
	r.ExpiresAt = a.revocationExpiry(later(now, r.IssuedBefore))
	switch r.Kind {
	case storage.RevocationUserID, storage.RevocationRoom:
		if err := access.CheckName(string(r.Kind), r.Value); err != nil {
			return revocation.Revocation{}, err
		}
	case storage.RevocationTokenID:
		if err := access.CheckText(string(r.Kind), r.Value, maxIDLen); err != nil {
			return revocation.Revocation{}, err
		}
	}
	detail, _ := json.Marshal(map[string]any{"kind": r.Kind, "value": r.Value, "issued_before": r.IssuedBefore})
	audit := &storage.AuditEntry{Actor: actor, Action: "revocation.create", AppID: appID, Target: r.Value, Detail: detail}
	stored, err := a.store.AddRevocation(ctx, r, audit)
	if err != nil {
		return revocation.Revocation{}, err
	}
	out := a.applyOwn(stored)
	// The sweep loop would end the revoked sessions soon; ending them now
	// means that once the revocation is answered, their slots are free.
	if err := a.endRevokedSessions(ctx, appID); err != nil {
		a.log.Warn("ending the sessions of revoked tokens failed; the sweep will retry", "err", err)
	}
	return out, nil
}

// RevocationFeed returns the revocations after cursor, for verifiers that
// check tokens locally. Each app sees its own.
func (a *Authority) RevocationFeed(ctx context.Context, by Principal, after int64, limit int) ([]revocation.Revocation, error) {
	caller, err := by.apiKey()
	if err != nil {
		return nil, err
	}
	return a.revocationFeed(ctx, caller.AppID, after, limit)
}

// revocationFeed is RevocationFeed of app appID.
func (a *Authority) revocationFeed(ctx context.Context, appID string, after int64, limit int) ([]revocation.Revocation, error) {
	if after < 0 {
		return nil, invalid("after", "must not be negative")
	}
	rs, err := a.store.ListRevocations(ctx, storage.RevocationQuery{AfterSeq: after, AppID: appID, Limit: limit})
	return revocationsOf(rs), err
}

// Guest asks for a guest user: a generated id, a name and an image.
type Guest struct {
	Name        string
	Image       string
	Role        string
	Rooms       []string
	Metadata    json.RawMessage
	Permissions []string
	TTLSeconds  int64
}

func (g Guest) request() (IssueRequest, error) {
	if g.Name == "" {
		return IssueRequest{}, invalid("name", "required")
	}
	role := g.Role
	if role == "" {
		role = access.Guest
	}
	return IssueRequest{
		UserID: randomID("guest_", 9), Role: role, Rooms: g.Rooms, Name: g.Name, Image: g.Image,
		Metadata: g.Metadata, UserType: string(access.GuestUser), Permissions: g.Permissions, TTLSeconds: g.TTLSeconds,
	}, nil
}

// CreateGuest creates a guest user: for an API key, or on behalf of the
// holder of a token holding invite (guestByInvite).
func (a *Authority) CreateGuest(ctx context.Context, by Principal, g Guest) (Issued, error) {
	if raw, err := by.token(); err == nil {
		inviter, err := a.Verify(ctx, raw)
		if err != nil {
			return Issued{}, err
		}
		return a.guestByInvite(ctx, inviter, g)
	}
	req, err := g.request()
	if err != nil {
		return Issued{}, err
	}
	return a.IssueToken(ctx, by, req)
}

// guestByInvite creates a guest user on behalf of a token holding invite.
// The guest never gets more than the inviter holds: no permission it
// lacks, no role above its own, no room outside its own, no longer life.
func (a *Authority) guestByInvite(ctx context.Context, inviter *Verified, g Guest) (Issued, error) {
	if !inviter.Grants.Permissions.Has(access.Invite) {
		return Issued{}, &access.ForbiddenError{Reason: access.ReasonMissingPermission, Missing: access.Invite, Detail: "missing permission invite"}
	}
	req, err := g.request()
	if err != nil {
		return Issued{}, err
	}
	c := inviter.Claims
	cat, err := a.catalog(c.App)
	if err != nil {
		return Issued{}, err
	}
	rank := 0
	if r, err := cat.Role(c.Grants.Role); err == nil {
		rank = r.Rank
	}
	if inviter.Grants.Rooms != nil {
		if req.Rooms == nil {
			req.Rooms = inviter.Grants.Rooms
		}
		for _, room := range req.Rooms {
			if !inviter.Grants.InRoom(room) {
				return Issued{}, &access.ForbiddenError{Reason: access.ReasonRoomMismatch, Detail: "cannot invite a guest to room " + room + " outside the inviter's rooms"}
			}
		}
	}
	kind := access.Production
	if c.Dev {
		kind = access.Development
	}
	left := c.ExpiresAt.Sub(a.now().Truncate(time.Second))
	if req.TTLSeconds == 0 {
		req.TTLSeconds = int64(min(access.DefaultTTL, left) / time.Second)
	}
	// An inviter at or past its exp (inside the verification leeway) has no
	// life left to give: zero would otherwise mean the default TTL.
	if left < access.MinTTL || time.Duration(req.TTLSeconds)*time.Second > left {
		return Issued{}, invalid("ttl_seconds", "a guest cannot outlive its inviter's token (%d s left)", max(int64(left/time.Second), 0))
	}
	// A guest token is a media token, which never carries api.*: the
	// inviter's media token lacks them too, and a role holding them is
	// given without them, so they do not count as escalation.
	held := inviter.Grants.Permissions.Union(access.APIPermissions)
	m := minter{appID: c.App, keyID: c.Issuer, kind: kind,
		holder: access.Holder{Permissions: held, Rank: rank}, actor: "user:" + c.Subject}
	claims, err := a.resolve(m, req)
	if err != nil {
		return Issued{}, err
	}
	return a.sign(ctx, m, claims)
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// revocationsOf is rs as the feed and verifiers see them.
func revocationsOf(rs []storage.Revocation) []revocation.Revocation {
	out := make([]revocation.Revocation, len(rs))
	for i, r := range rs {
		out[i] = r.Feed()
	}
	return out
}
