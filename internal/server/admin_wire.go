package server

import (
	"encoding/json"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/inspect"
)

// The bodies and answers of the admin API.

// signInRequest is the body of POST /v1/admin/sessions for an operator.
type signInRequest struct {
	Code string `json:"code"`
}

// appRequest is the body of POST /v1/admin/apps.
type appRequest struct {
	Name string `json:"name"`
}

// keyRequest is the body of POST /v1/admin/apps/{app}/keys.
type keyRequest struct {
	Kind string `json:"kind"`
}

// roleRequest is the body of PUT /v1/admin/apps/{app}/roles/{role}.
type roleRequest struct {
	Permissions []string `json:"permissions"`
	Rank        *int     `json:"rank"`
}

// adminTokenRequest is the body of POST /v1/admin/apps/{app}/tokens: a
// token request, and the API key it is minted for.
type adminTokenRequest struct {
	APIKey       string `json:"api_key"`
	tokenRequest `json:",inline"`
}

// inspectRequest is the body of POST /v1/admin/inspect.
type inspectRequest struct {
	Token  string `json:"token"`
	Secret string `json:"secret,omitempty"`
}

type consoleSessionBody struct {
	ID        string    `json:"id"`
	Operator  string    `json:"operator"`
	App       string    `json:"app,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

func consoleSessionOf(c authority.ConsoleSession) consoleSessionBody {
	return consoleSessionBody{ID: c.ID, Operator: c.Operator, App: c.App, CreatedAt: c.CreatedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC()}
}

type consoleSessionsBody struct {
	Sessions []consoleSessionBody `json:"sessions"`
}

// consoleTokenBody is a console token with the session it belongs to.
type consoleTokenBody struct {
	AccessToken string             `json:"access_token"`
	TokenType   string             `json:"token_type"`
	ExpiresIn   int64              `json:"expires_in"`
	ExpiresAt   time.Time          `json:"expires_at"`
	Session     consoleSessionBody `json:"session"`
}

func consoleTokenOf(t authority.ConsoleToken) consoleTokenBody {
	return consoleTokenBody{AccessToken: t.Token, TokenType: "Bearer", ExpiresIn: int64(t.TTL / time.Second),
		ExpiresAt: t.ExpiresAt.UTC(), Session: consoleSessionOf(t.Session)}
}

type appBody struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	SessionPolicy string    `json:"session_policy"`
	CreatedAt     time.Time `json:"created_at"`
}

func appOf(a authority.App) appBody {
	return appBody{ID: a.ID, Name: a.Name, SessionPolicy: a.SessionPolicy, CreatedAt: a.CreatedAt.UTC()}
}

type appsBody struct {
	Apps []appBody `json:"apps"`
}

// keyBody is an API key and what tokens it may mint: how long they live
// at most, and the permissions it may give on top of a role.
type keyBody struct {
	APIKey         string     `json:"api_key"`
	App            string     `json:"app"`
	Kind           string     `json:"kind"`
	CreatedAt      time.Time  `json:"created_at"`
	RevokedAt      *time.Time `json:"revoked_at,omitempty"`
	MaxTTLSeconds  int64      `json:"max_ttl_seconds"`
	MayGrant       []string   `json:"may_grant"`
	DefaultSeconds int64      `json:"default_ttl_seconds"`
}

func keyOf(k authority.APIKey) keyBody {
	out := keyBody{APIKey: k.ID, App: k.AppID, Kind: string(k.Kind), CreatedAt: k.CreatedAt.UTC(),
		MaxTTLSeconds:  int64(access.MaxTTLFor(k.Kind) / time.Second),
		MayGrant:       access.KeyHolder(k.Kind).Permissions.Names(),
		DefaultSeconds: int64(access.DefaultTTL / time.Second)}
	if k.Revoked() {
		t := k.RevokedAt.UTC()
		out.RevokedAt = &t
	}
	return out
}

type keysBody struct {
	Keys []keyBody `json:"keys"`
}

// newKeyBody is a new API key, the only answer that shows its secret.
type newKeyBody struct {
	APIKey string `json:"api_key"`
	App    string `json:"app"`
	Kind   string `json:"kind"`
	Secret string `json:"api_secret"`
}

// roleBody is a role, what it holds and what its holder may give others.
type roleBody struct {
	Name        string   `json:"name"`
	Rank        int      `json:"rank"`
	Permissions []string `json:"permissions"`
	Builtin     bool     `json:"builtin"`
	MayGrant    []string `json:"may_grant"`
	// RoomType and MaxProducers are the defaults of the rooms the role
	// creates, if any.
	RoomType     string `json:"room_type,omitempty"`
	MaxProducers int    `json:"max_producers,omitempty"`
}

func roleOf(r authority.RoleView) roleBody {
	return roleBody{Name: r.Name, Rank: r.Rank, Permissions: r.Permissions.Names(), Builtin: r.Builtin, MayGrant: r.MayGrant,
		RoomType: string(r.Room.Type), MaxProducers: r.Room.MaxProducers}
}

type rolesBody struct {
	Roles []roleBody `json:"roles"`
}

type roomsBody struct {
	Rooms []roomBody `json:"rooms"`
	// Next is the after of the next page; empty on the last one.
	Next string `json:"next,omitempty"`
}

type signingKeyBody struct {
	ID           string     `json:"id"`
	State        string     `json:"state"`
	CreatedAt    time.Time  `json:"created_at"`
	ActivatedAt  *time.Time `json:"activated_at,omitempty"`
	RetiredAt    *time.Time `json:"retired_at,omitempty"`
	PublishUntil *time.Time `json:"publish_until,omitempty"`
}

// optionalTime is t in UTC, or nil for the zero time.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func signingKeyOf(k authority.SigningKey) signingKeyBody {
	return signingKeyBody{ID: k.ID, State: k.State, CreatedAt: k.CreatedAt.UTC(), ActivatedAt: optionalTime(k.ActivatedAt),
		RetiredAt: optionalTime(k.RetiredAt), PublishUntil: optionalTime(k.PublishUntil)}
}

type signingKeysBody struct {
	Keys []signingKeyBody `json:"keys"`
}

type rotatedBody struct {
	Current string `json:"current"`
}

type auditEntryBody struct {
	Seq    int64           `json:"seq"`
	Time   time.Time       `json:"time"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	App    string          `json:"app,omitempty"`
	Target string          `json:"target,omitempty"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

func auditEntryOf(e authority.AuditEntry) auditEntryBody {
	out := auditEntryBody{Seq: e.Seq, Time: e.Time.UTC(), Actor: e.Actor, Action: e.Action, App: e.AppID, Target: e.Target}
	if json.Valid(e.Detail) {
		out.Detail = e.Detail
	}
	return out
}

type auditBody struct {
	Entries []auditEntryBody `json:"entries"`
	// Next is the cursor of the next page; empty on the last one.
	Next string `json:"next,omitempty"`
}

// roomRightsBody is what a token allows in one room.
type roomRightsBody struct {
	Room        string   `json:"room,omitempty"`
	Permissions []string `json:"permissions"`
	Admission   string   `json:"admission"`
	Allowed     bool     `json:"allowed"`
	Reason      string   `json:"reason"`
}

// inspectionBody is the inspector's answer: what the token says, as
// `stagedoor token inspect --json` prints it, and what only the service
// knows.
type inspectionBody struct {
	*inspect.Report
	Signature   string           `json:"signature"`
	SignedBy    string           `json:"signed_by,omitempty"`
	App         string           `json:"app,omitempty"`
	Explanation string           `json:"explanation,omitempty"`
	Revoked     bool             `json:"revoked"`
	RevokedBy   string           `json:"revoked_by,omitempty"`
	Rights      []roomRightsBody `json:"rights"`
}

func inspectionOf(in authority.Inspection) inspectionBody {
	out := inspectionBody{Report: in.Report, Signature: in.Signature, SignedBy: in.SignedBy, App: in.App, Explanation: in.Explanation,
		Revoked: in.Revoked, RevokedBy: in.RevokedBy, Rights: make([]roomRightsBody, len(in.Rooms))}
	for i, rr := range in.Rooms {
		out.Rights[i] = roomRightsBody{Room: rr.Room, Permissions: rr.Permissions, Admission: rr.Admission, Allowed: rr.Allowed, Reason: rr.Reason}
	}
	return out
}
