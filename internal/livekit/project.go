package livekit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/livekit/protocol/auth"
	lk "github.com/livekit/protocol/livekit"
	"github.com/twitchtv/twirp"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// Project is an app's LiveKit project as the operator sets it.
type Project struct {
	// URL is where clients connect: ws://, wss://, http:// or https://.
	URL string
	// APIKey and APISecret are the LiveKit project's API key and secret.
	APIKey, APISecret string
}

// MinSecretSize is the shortest LiveKit API secret accepted, as LiveKit
// itself requires.
const MinSecretSize = 32

func secretAAD(appID string) string { return "livekit:" + appID }

// check reports the first field of p that is not usable, with why.
func (p Project) check() error {
	u, err := url.Parse(p.URL)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return &access.InvalidError{Field: "url", Detail: fmt.Sprintf("%q is not a ws://, wss://, http:// or https:// URL of a host", p.URL)}
	case u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https":
		return &access.InvalidError{Field: "url", Detail: fmt.Sprintf("scheme %q: want ws, wss, http or https", u.Scheme)}
	}
	if p.APIKey == "" || len(p.APIKey) > 128 || strings.ContainsFunc(p.APIKey, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return &access.InvalidError{Field: "api_key", Detail: "must be 1 to 128 printable ASCII characters without spaces"}
	}
	if len(p.APISecret) < MinSecretSize {
		return &access.InvalidError{Field: "api_secret", Detail: fmt.Sprintf("must be at least %d bytes", MinSecretSize)}
	}
	return nil
}

// SetProject makes p the LiveKit project of app (an app id), its secret
// sealed under the master key, and records actor doing so in the audit
// log. A running server follows the change within a poll interval.
func SetProject(ctx context.Context, store storage.LiveKitProjects, box *secret.Box, actor, app string, p Project) error {
	if err := p.check(); err != nil {
		return err
	}
	sealed, err := box.Seal([]byte(p.APISecret), secretAAD(app))
	if err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]string{"url": p.URL, "api_key": p.APIKey})
	audit := &storage.AuditEntry{Actor: actor, Action: "livekit.set", AppID: app, Target: p.APIKey, Detail: detail}
	err = store.PutLiveKitProject(ctx, storage.LiveKitProject{AppID: app, URL: p.URL, APIKey: p.APIKey, SecretCiphertext: sealed, UpdatedAt: time.Now()}, audit)
	if errors.Is(err, storage.ErrAlreadyExists) {
		return &access.InvalidError{Field: "api_key", Detail: fmt.Sprintf("LiveKit API key %q is another app's: one LiveKit project serves one app", p.APIKey)}
	}
	return err
}

// RemoveProject removes the LiveKit project of the app with the given id
// and name, audited as done by actor: its rooms are no longer enforced, its
// webhooks are refused and no LiveKit token of the app is minted until a
// project is set again.
func RemoveProject(ctx context.Context, store storage.LiveKitProjects, actor, app, name string) error {
	audit := &storage.AuditEntry{Actor: actor, Action: "livekit.remove", AppID: app}
	err := store.DeleteLiveKitProject(ctx, app, audit)
	if errors.Is(err, storage.ErrNotFound) {
		return &authority.NotFoundError{What: "LiveKit project of app", Name: name}
	}
	return err
}

// project is an app's LiveKit project, opened: its secret, the key its
// grant receipts are signed with, and a client of its server API.
type project struct {
	app       string
	url       string
	key       string
	secret    string
	updatedAt time.Time
	// receipts is the secret of the keys that sign grant receipts,
	// derived from the LiveKit secret (receipt.go).
	receipts []byte
	rooms    lk.RoomService
}

func openProject(p storage.LiveKitProject, box *secret.Box, client *http.Client) (*project, error) {
	sec, err := box.Open(p.SecretCiphertext, secretAAD(p.AppID))
	if err != nil {
		return nil, fmt.Errorf("livekit project of app %s: %w", p.AppID, err)
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		return nil, fmt.Errorf("livekit project of app %s: %w", p.AppID, err)
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	}
	mac := hmac.New(sha256.New, sec)
	mac.Write([]byte("stagedoor livekit grant receipt"))
	return &project{
		app: p.AppID, url: p.URL, key: p.APIKey, secret: string(sec), updatedAt: p.UpdatedAt,
		receipts: mac.Sum(nil),
		rooms:    lk.NewRoomServiceProtobufClient(strings.TrimSuffix(u.String(), "/"), client),
	}, nil
}

// admin returns ctx carrying the credentials of a server API call about
// room, or, with room empty, of listing rooms.
func (p *project) admin(ctx context.Context, room string) (context.Context, error) {
	g := &auth.VideoGrant{RoomAdmin: true, Room: room}
	if room == "" {
		g = &auth.VideoGrant{RoomList: true}
	}
	jwt, err := auth.NewAccessToken(p.key, p.secret).SetVideoGrant(g).SetValidFor(time.Minute).ToJWT()
	if err != nil {
		return nil, err
	}
	h := make(http.Header)
	h.Set("Authorization", "Bearer "+jwt)
	return twirp.WithHTTPRequestHeaders(ctx, h)
}

// receiptKey is the key of the receipts of tokens issued by API key kid.
func (p *project) receiptKey(kid string) (*token.Key, error) {
	return token.NewHMACKey(kid, p.receipts, access.Production)
}
