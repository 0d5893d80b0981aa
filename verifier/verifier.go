// Package verifier lets a media server check stagedoor tokens locally: it
// fetches and caches the service's JWKS (refetching, rate-limited, when a
// token names an unknown key), follows the revocation feed, and offers
// net/http middleware that answers 401 and 403 exactly as POST /v1/verify
// does.
package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/revocation"
	"github.com/stagedoor/stagedoor/token"
)

// Config says where the service is and how to reach it.
type Config struct {
	// URL is the service's base URL, such as http://127.0.0.1:7800.
	URL string
	// APIKey and APISecret authenticate the revocation feed, which lists
	// the key's app's revocations. They also verify HS256 tokens the
	// partner backend minted itself with that key. Without them no
	// revocation is seen.
	APIKey, APISecret string
	// App, when set, refuses tokens of any other app.
	App string
	// HTTPClient defaults to a client with a 10 s timeout.
	HTTPClient *http.Client
	// PollInterval is how often the revocation feed is read; default 1 s.
	PollInterval time.Duration
	// MinRefetch is the least time between two JWKS fetches caused by
	// unknown key ids; default 10 s.
	MinRefetch time.Duration
	// Leeway tolerates clock skew; default token.DefaultLeeway.
	Leeway time.Duration
	// RejectDevelopment refuses tokens minted with development keys.
	RejectDevelopment bool
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Verifier checks tokens locally. It is safe for concurrent use.
type Verifier struct {
	cfg    Config
	http   *http.Client
	tokens *revocation.Checker
	revs   *revocation.Set
	hmac   *token.Key

	feedApp   atomic.Value // string: the app the revocation feed is of
	mu        sync.Mutex   // serialises JWKS fetches
	keys      sync.Map     // kid → *token.Key
	lastFetch time.Time
}

// New fetches the JWKS and the revocation feed, then follows the feed until
// ctx is done.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.URL == "" {
		return nil, errors.New("verifier: URL is required")
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.MinRefetch == 0 {
		cfg.MinRefetch = 10 * time.Second
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = token.DefaultLeeway
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v := &Verifier{cfg: cfg, http: cfg.HTTPClient, revs: revocation.NewSet()}
	opts := []token.Option{token.WithLeeway(cfg.Leeway), token.WithClock(cfg.Now)}
	if cfg.RejectDevelopment {
		opts = append(opts, token.RejectDevelopment())
	}
	v.tokens = revocation.NewChecker(revocation.CheckerConfig{
		Tokens:      token.NewVerifier(token.KeyResolverFunc(v.resolve), opts...),
		Revocations: v.revs,
		Vouch:       v.vouch,
	})
	if cfg.APIKey != "" && cfg.APISecret != "" {
		// The key's kind is unknown here; a development key's tokens carry
		// dev and are held to the development cap by the token package.
		k, err := token.NewHMACKey(cfg.APIKey, []byte(cfg.APISecret), access.Production)
		if err != nil {
			return nil, fmt.Errorf("verifier: api secret: %w", err)
		}
		v.hmac = k
	}
	if err := v.fetchKeys(ctx); err != nil {
		return nil, err
	}
	if v.hmac != nil {
		if err := v.Sync(ctx); err != nil {
			return nil, err
		}
		go v.follow(ctx)
	}
	return v, nil
}

func (v *Verifier) get(ctx context.Context, path string, basic bool, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.URL+path, nil)
	if err != nil {
		return err
	}
	if basic {
		req.SetBasicAuth(v.cfg.APIKey, v.cfg.APISecret)
	}
	resp, err := v.http.Do(req)
	if err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("verifier: GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("verifier: GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	if b, ok := out.(*[]byte); ok {
		*b = body
		return nil
	}
	return json.Unmarshal(body, out)
}

// fetchKeys replaces the cached keys with the service's JWKS.
func (v *Verifier) fetchKeys(ctx context.Context) error {
	var body []byte
	if err := v.get(ctx, "/.well-known/jwks.json", false, &body); err != nil {
		return err
	}
	set, err := token.ParseJWKS(body)
	if err != nil {
		return fmt.Errorf("verifier: jwks: %w", err)
	}
	fresh := map[string]bool{}
	for _, k := range set.Keys() {
		v.keys.Store(k.ID(), k)
		fresh[k.ID()] = true
	}
	v.keys.Range(func(kid, _ any) bool {
		if !fresh[kid.(string)] {
			v.keys.Delete(kid)
		}
		return true
	})
	return nil
}

// resolve finds a key, refetching the JWKS for an unknown kid at most once
// every MinRefetch.
func (v *Verifier) resolve(ctx context.Context, kid string) (*token.Key, error) {
	if v.hmac != nil && kid == v.hmac.ID() {
		return v.hmac, nil
	}
	if k, ok := v.keys.Load(kid); ok {
		return k.(*token.Key), nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys.Load(kid); ok {
		return k.(*token.Key), nil
	}
	now := v.cfg.Now()
	if now.Sub(v.lastFetch) < v.cfg.MinRefetch {
		return nil, token.ErrUnknownKey
	}
	v.lastFetch = now
	if err := v.fetchKeys(ctx); err != nil {
		v.cfg.Logger.Warn("refetching the JWKS failed", "err", err)
		return nil, token.ErrUnknownKey
	}
	if k, ok := v.keys.Load(kid); ok {
		return k.(*token.Key), nil
	}
	return nil, token.ErrUnknownKey
}

// Sync reads the revocation feed from the last cursor seen. A malformed
// page is not applied at all: Sync returns an error and the next Sync asks
// for the same page again.
func (v *Verifier) Sync(ctx context.Context) error {
	for {
		after := v.revs.Cursor()
		var body []byte
		if err := v.get(ctx, "/v1/revocations?after="+strconv.FormatInt(after, 10), true, &body); err != nil {
			return err
		}
		page, err := v.revs.AddPage(body, after)
		if err != nil {
			return fmt.Errorf("verifier: %w", err)
		}
		for _, r := range page.Revocations {
			if !r.Kind.Known() {
				v.cfg.Logger.Warn("ignoring a revocation of a kind this verifier does not know", "kind", r.Kind, "seq", r.Seq)
			}
		}
		if len(page.Revocations) > 0 {
			v.feedApp.Store(page.Revocations[0].App)
		}
		if len(page.Revocations) < revocation.PageSize {
			return nil
		}
	}
}

func (v *Verifier) follow(ctx context.Context) {
	t := time.NewTicker(v.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := v.Sync(ctx); err != nil && ctx.Err() == nil {
				v.cfg.Logger.Warn("reading the revocation feed failed", "err", err)
			}
			v.revs.Prune(v.cfg.Now())
		}
	}
}

// app is the app of tokens that do not name one: the configured App, else
// the app the revocation feed belongs to.
func (v *Verifier) app() string {
	if v.cfg.App != "" {
		return v.cfg.App
	}
	a, _ := v.feedApp.Load().(string)
	return a
}

// Verify checks a token's signature, times, app, revocations and the
// vocabulary of its grants. A token that matches a revocation is
// revocation.ErrRevoked; every other failure is a *token.Error.
func (v *Verifier) Verify(ctx context.Context, raw string) (*token.Claims, error) {
	tok, err := v.tokens.Verify(ctx, raw, "")
	if err != nil {
		return nil, err
	}
	return tok.Claims, nil
}

// vouch gives a token that names no app the app of this verifier, and
// refuses a token of another app than the configured one.
func (v *Verifier) vouch(c *token.Claims) error {
	if c.App == "" {
		// A token the partner minted itself may omit app; the feed is the
		// configured key's app's, so its tokens are that app's.
		c.App = v.app()
	}
	if v.cfg.App != "" && c.App != v.cfg.App {
		return &token.Error{Reason: "wrong_app", Detail: fmt.Sprintf("token of app %q", c.App)}
	}
	return nil
}

// Check verifies a token and decides whether it allows p in room acting as
// participant (empty: no identity claimed). Authorisation failures are
// *access.ForbiddenError.
func (v *Verifier) Check(ctx context.Context, raw, room string, p access.Permission, participant string) (*token.Claims, error) {
	tok, err := v.tokens.Verify(ctx, raw, room)
	if err != nil {
		return nil, err
	}
	return tok.Claims, tok.Grants.Check(room, participant, p)
}

// Revocations is the set of revocations seen so far.
func (v *Verifier) Revocations() *revocation.Set { return v.revs }
