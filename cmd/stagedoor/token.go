package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

func newTokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Mint and inspect access tokens offline",
		Example: `  stagedoor token mint --api-key sdk_123 --api-secret "$SECRET" --user alice --role host --room standup
  stagedoor token inspect --secret "$SECRET" eyJhbGciOi...`,
	}
	cmd.AddCommand(newTokenMintCmd(), newTokenInspectCmd())
	return cmd
}

// mintFlags are the flags of token mint.
type mintFlags struct {
	apiKey, apiSecret string
	user, role        string
	rooms             []string
	participant       string
	name, image       string
	metadata          string
	userType          string
	permissions       []string
	ttl               string
	audience          string
	development       bool
	app               string
}

func newTokenMintCmd() *cobra.Command {
	var f mintFlags
	cmd := &cobra.Command{
		Use:   "mint",
		Short: "Mint an HS256 access token with an API key secret, offline",
		Long: `Mint signs an access token with an API key and its secret, exactly as the
server would for that key, without contacting it. The role's permissions, any
extra --permission, the rooms and the user type go through the same access
rules: no escalation, development-key limits, anonymous users bound to rooms.
The API key and secret may also come from STAGEDOOR_API_KEY and
STAGEDOOR_API_SECRET.`,
		Example: `  stagedoor token mint --api-key sdk_123 --api-secret "$SECRET" --user alice --role host --room standup
  stagedoor token mint --user-type anonymous --role viewer --room launch --ttl 5m
  stagedoor token mint --user bob --role guest --name Bob --metadata '{"team":"blue"}' --development`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok, err := f.mint(time.Now())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), tok)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.apiKey, "api-key", "", "API key that signs the token (STAGEDOOR_API_KEY)")
	fl.StringVar(&f.apiSecret, "api-secret", "", "secret of the API key (STAGEDOOR_API_SECRET)")
	fl.StringVar(&f.user, "user", "", "user id, the token's subject (not needed for anonymous users)")
	fl.StringVar(&f.role, "role", "", "role: a built-in role such as host, co-host, guest, viewer, speaker")
	fl.StringArrayVar(&f.rooms, "room", nil, "room the token works in; repeat for several (default: any room of the app)")
	fl.StringVar(&f.participant, "participant", "", "participant identity the token is bound to")
	fl.StringVar(&f.name, "name", "", "display name of the user")
	fl.StringVar(&f.image, "image", "", "image URL of the user")
	fl.StringVar(&f.metadata, "metadata", "", "free-form JSON value about the user")
	fl.StringVar(&f.userType, "user-type", "authenticated", "authenticated, guest or anonymous")
	fl.StringSliceVar(&f.permissions, "permission", nil, "extra permission on top of the role's; repeat or separate with commas")
	fl.StringVar(&f.ttl, "ttl", access.DefaultTTL.String(), "lifetime, such as 10m or 600 (seconds)")
	fl.StringVar(&f.audience, "audience", string(access.AudienceRTC), "rtc (media token) or api (server-API token)")
	fl.BoolVar(&f.development, "development", false, "the API key is a development key: limited rights, at most 1h")
	fl.StringVar(&f.app, "app", "", "app id to put in the token")
	return cmd
}

// mint checks the flags, applies the access rules and signs the token.
// Bad flags are usage errors; refusals by the access rules exit with 1.
func (f *mintFlags) mint(now time.Time) (string, error) {
	req, kind, err := f.request()
	if err != nil {
		return "", err
	}
	sub, meta, err := f.subject(req.User)
	if err != nil {
		return "", err
	}
	key, err := f.key(kind)
	if err != nil {
		return "", err
	}
	g, err := access.Resolve(access.KeyHolder(kind), kind, req)
	if err != nil {
		return "", ruleError(err)
	}
	return token.Mint(key, token.NewClaims(token.Spec{
		Issuer: key.ID(), Kind: kind, Subject: sub, Audience: req.Audience, ID: newTokenID(), App: f.app,
		IssuedAt: now, TTL: req.TTL, Grants: g, Name: f.name, Image: f.image, Metadata: meta,
	}))
}

// request turns the flags into an access request for a key of the kind
// returned.
func (f *mintFlags) request() (access.Request, access.KeyKind, error) {
	var req access.Request
	kind := access.Production
	if f.development {
		kind = access.Development
	}
	if f.role == "" {
		return req, kind, usageError("--role is required")
	}
	cat, err := access.NewCatalog()
	if err != nil {
		return req, kind, err
	}
	role, err := cat.Role(access.RoleAlias(f.role))
	if err != nil {
		names := make([]string, 0)
		for _, r := range cat.Roles() {
			names = append(names, r.Name)
		}
		return req, kind, usageError("%v (built-in roles: %s)", err, strings.Join(names, ", "))
	}
	extra, err := access.ParseSet(f.permissions)
	if err != nil {
		return req, kind, usageError("--permission: %v", err)
	}
	userType, err := access.ParseUserType(f.userType)
	if err != nil {
		return req, kind, usageError("--user-type: %s", detailOf(err))
	}
	aud, err := access.ParseAudience(f.audience)
	if err != nil {
		return req, kind, usageError("--audience: %s", detailOf(err))
	}
	ttl, err := parseTTL(f.ttl)
	if err != nil {
		return req, kind, err
	}
	for _, room := range f.rooms {
		if err := access.CheckName("room", room); err != nil {
			return req, kind, usageError("--room %q: %s", room, detailOf(err))
		}
		if !slices.Contains(req.Rooms, room) {
			req.Rooms = append(req.Rooms, room)
		}
	}
	req.Role, req.Extra, req.User, req.Audience, req.TTL = role, extra, userType, aud, ttl
	req.Participant = f.participant
	return req, kind, nil
}

// subject returns the token's subject and the compacted metadata, and
// checks what the token says about its user.
func (f *mintFlags) subject(userType access.UserType) (string, json.RawMessage, error) {
	sub, err := access.SubjectOf(userType, f.user)
	if err != nil {
		if f.user == "" {
			return "", nil, usageError("--user is required (unless --user-type anonymous)")
		}
		return "", nil, usageError("--user: %s", detailOf(err))
	}
	if f.participant != "" {
		if err := access.CheckName("participant", f.participant); err != nil {
			return "", nil, usageError("--participant: %s", detailOf(err))
		}
	}
	var meta json.RawMessage
	if f.metadata != "" {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(f.metadata)); err != nil {
			return "", nil, usageError("--metadata must be JSON: %v", err)
		}
		meta = buf.Bytes()
	}
	if err := access.CheckProfile(f.name, f.image, meta); err != nil {
		var ie *access.InvalidError
		if errors.As(err, &ie) {
			return "", nil, usageError("--%s: %s", ie.Field, ie.Detail)
		}
		return "", nil, err
	}
	return sub, meta, nil
}

// key returns the HS256 signing key from the flags or the environment.
func (f *mintFlags) key(kind access.KeyKind) (*token.Key, error) {
	id := f.apiKey
	if id == "" {
		id = os.Getenv("STAGEDOOR_API_KEY")
	}
	sec := f.apiSecret
	if sec == "" {
		sec = os.Getenv("STAGEDOOR_API_SECRET")
	}
	if id == "" {
		return nil, usageError("--api-key (or STAGEDOOR_API_KEY) is required")
	}
	if sec == "" {
		return nil, usageError("--api-secret (or STAGEDOOR_API_SECRET) is required")
	}
	key, err := token.NewHMACKey(id, []byte(sec), kind)
	if err != nil {
		var te *token.Error
		if errors.As(err, &te) && te.Detail != "" {
			return nil, usageError("API key: %s", te.Detail)
		}
		return nil, usageError("API key: %v", err)
	}
	return key, nil
}

// detailOf returns the detail of an *access.InvalidError, or err's message.
func detailOf(err error) string {
	var ie *access.InvalidError
	if errors.As(err, &ie) {
		return ie.Detail
	}
	return err.Error()
}

// parseTTL reads a lifetime: a Go duration such as 10m, or whole seconds.
func parseTTL(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.ParseInt(s, 10, 32)
		if nerr != nil {
			return 0, usageError("--ttl %q is not a duration such as 10m, 1h or 600 (seconds)", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 || d%time.Second != 0 {
		return 0, usageError("--ttl %q must be a positive whole number of seconds", s)
	}
	return d, nil
}

// newTokenID returns a random jti: 12 bytes, base64url.
func newTokenID() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
