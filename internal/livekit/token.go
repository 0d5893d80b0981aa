package livekit

import (
	"context"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/livekit/protocol/auth"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/token"
)

// FormatName names LiveKit's token format in requests and the audit log.
const FormatName = "livekit"

// The participant attributes stagedoor sets in LiveKit.
const (
	// AttrGrant carries the grant receipt: the stagedoor claims a token
	// was made from, signed with a key derived from the LiveKit secret, so
	// that a participant is mirrored with the rights stagedoor gave it,
	// whatever LiveKit's server API changed since.
	AttrGrant = "stagedoor.grant"
	// AttrImage carries the user's image URL, which LiveKit has no field
	// for.
	AttrImage = "stagedoor.image"
	// AttrReason says why stagedoor stopped the participant's last publish
	// (room_full, missing_permission, ...); empty once it produces again.
	AttrReason = "stagedoor.reason"
	// AttrMuted lists, comma-separated and sorted, the sources (camera,
	// microphone, screen) whose tracks stagedoor muted and keeps muted
	// until they are produced again through stagedoor. It is read back
	// when stagedoor starts, so that a restart keeps those mutes.
	AttrMuted = "stagedoor.muted"
)

// Token is a LiveKit access token and the LiveKit server it is for.
type Token struct {
	authority.Issued
	// URL is where the client connects with the token.
	URL string
}

// IssueToken mints a LiveKit access token from a stagedoor token request
// (POST /v1/tokens with format livekit).
func (i *Integration) IssueToken(ctx context.Context, by authority.Principal, req authority.IssueRequest) (Token, error) {
	out, err := i.auth.IssueMediaToken(ctx, by, req, format{i})
	return i.token(out, err)
}

// SessionToken mints a LiveKit access token from a session's current
// rights (the session token endpoint with format livekit).
func (i *Integration) SessionToken(ctx context.Context, by authority.Principal, room, id string) (Token, error) {
	out, err := i.auth.SessionMediaToken(ctx, by, room, id, format{i})
	return i.token(out, err)
}

func (i *Integration) token(out authority.Issued, err error) (Token, error) {
	if err != nil {
		return Token{}, err
	}
	p, ok := i.projects.byApp(out.Claims.App)
	if !ok {
		return Token{}, notConfigured(out.Claims.App)
	}
	return Token{Issued: out, URL: p.url}, nil
}

func notConfigured(app string) error {
	return &access.InvalidError{Field: "format", Detail: fmt.Sprintf("app %s has no LiveKit project (stagedoor livekit set --app ...)", app)}
}

// format signs authority.MediaGrants as LiveKit access tokens.
type format struct{ i *Integration }

func (format) Name() string { return FormatName }

// claims are the claims of a LiveKit access token, as LiveKit reads them.
type claims struct {
	jwt.RegisteredClaims
	auth.ClaimGrants
}

// Sign makes g a LiveKit access token: HS256 with the app's LiveKit
// secret, iss the LiveKit API key, sub the participant identity, the
// stagedoor token's jti, iat, nbf and exp, the user's name and metadata,
// the grant receipt, and the video grant of the participant's rights.
func (f format) Sign(_ context.Context, g authority.MediaGrant) (string, error) {
	p, ok := f.i.projects.byApp(g.Claims.App)
	if !ok {
		return "", notConfigured(g.Claims.App)
	}
	receipt, err := p.receipt(g.Claims)
	if err != nil {
		return "", err
	}
	c := g.Claims
	out := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: p.key, Subject: g.Identity, ID: c.ID,
			IssuedAt: numericDate(c.IssuedAt), NotBefore: numericDate(c.NotBefore), ExpiresAt: numericDate(c.ExpiresAt),
		},
		ClaimGrants: auth.ClaimGrants{
			Identity:   g.Identity,
			Video:      videoGrant(g.Room, g.Rights),
			Attributes: map[string]string{AttrGrant: receipt},
		},
	}
	if u := c.User; u != nil {
		out.Name, out.Metadata = u.Name, string(u.Metadata)
		if u.Image != "" {
			out.Attributes[AttrImage] = u.Image
		}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, out).SignedString([]byte(p.secret))
}

func numericDate(t time.Time) *jwt.NumericDate {
	if t.IsZero() {
		return nil
	}
	return jwt.NewNumericDate(t)
}

// receipt is the grant receipt of c: c without what it says about its
// user beyond the user type, in stagedoor's token format, signed with a
// key derived from the LiveKit secret. Participants see each other's
// attributes, so it must be no credential: no stagedoor verifier knows
// its key, and LiveKit reads it as no token.
func (p *project) receipt(c *token.Claims) (string, error) {
	r := *c
	r.User = nil
	if c.User != nil && c.User.Type != access.Authenticated {
		r.User = &token.User{Type: c.User.Type}
	}
	key, err := p.receiptKey(c.Issuer)
	if err != nil {
		return "", err
	}
	return token.Mint(key, &r)
}

// openReceipt returns the claims of a grant receipt signed with this
// project's key, checked as a token is at joinedAt, when the participant
// carrying it joined.
func (p *project) openReceipt(ctx context.Context, raw string, joinedAt time.Time) (*token.Claims, error) {
	keys := token.KeyResolverFunc(func(_ context.Context, kid string) (*token.Key, error) { return p.receiptKey(kid) })
	return token.NewVerifier(keys, token.WithClock(func() time.Time { return joinedAt })).Verify(ctx, raw)
}
