package authority

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// Console sign-ins. An operator signs in with a one-time code from a
// console link (stagedoor admin login); an app's owner with one of the
// app's production API keys. Either way the console holds a console token:
// EdDSA with the service's signing keys, audience ConsoleAudience, its jti
// the console session it belongs to. Every request with it reads that
// session, so revoking the session (or, for an owner, its API key) ends
// its tokens at once.
const (
	// ConsoleAudience is the aud of console tokens: no access token has
	// it, and no console token is an access token (token.GrantsOf).
	ConsoleAudience access.Audience = "admin"
	// ConsoleTokenTTL is how long a console token lives; the console
	// refreshes it while it is open.
	ConsoleTokenTTL = 15 * time.Minute
	// ConsoleSessionLife is how long a sign-in lasts however often its
	// token is refreshed.
	ConsoleSessionLife = 12 * time.Hour
	// DefaultLoginCodeTTL and MaxLoginCodeTTL bound how long a console
	// link may wait to be opened.
	DefaultLoginCodeTTL = 10 * time.Minute
	MaxLoginCodeTTL     = time.Hour
	// MaxOwnerSessions caps the live sign-ins of one API key.
	MaxOwnerSessions = 16
)

// consoleIssuer is the iss of console tokens: no API key has this id, so
// the service never takes a console token for an access token.
const consoleIssuer = "stagedoor"

// ErrLoginCode refuses a console link's code that is unknown, used or
// expired, without saying which.
var ErrLoginCode = errors.New("the console link is unknown, used or expired: run stagedoor admin login for a new one")

// ErrDevelopmentOwner refuses a development key signing in to the console:
// its secret may live in a front end.
var ErrDevelopmentOwner = errors.New("a development key cannot sign in to the console; use a production key of the app")

// ErrTooManySessions refuses a sign-in beyond MaxOwnerSessions.
var ErrTooManySessions = fmt.Errorf("an API key holds at most %d console sign-ins: sign out elsewhere or wait for one to end", MaxOwnerSessions)

var operatorName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ConsoleSession is a sign-in to the console.
type ConsoleSession struct {
	ID string
	// Operator is who signed in, as the audit log names them:
	// "operator:NAME", or "owner:KEY" for an app's owner.
	Operator string
	// App is the owner's app; empty for an operator.
	App       string
	CreatedAt time.Time
	ExpiresAt time.Time
}

func consoleSessionOf(s storage.ConsoleSession) ConsoleSession {
	return ConsoleSession{ID: s.ID, Operator: consoleActor(s), App: s.AppID, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt}
}

// consoleActor names the holder of a session in the audit log.
func consoleActor(s storage.ConsoleSession) string {
	if s.APIKeyID != "" {
		return "owner:" + s.APIKeyID
	}
	return "operator:" + s.Operator
}

// ConsoleToken is a console token and the session it belongs to.
type ConsoleToken struct {
	Token     string
	ExpiresAt time.Time
	TTL       time.Duration
	Session   ConsoleSession
}

// CreateLoginCode makes a one-time code that signs operator name in to the
// console until ttl has passed (DefaultLoginCodeTTL when zero). Only an
// operator of the deployment, at the command line, makes one.
func (a *Authority) CreateLoginCode(ctx context.Context, by Principal, name string, ttl time.Duration) (string, time.Time, error) {
	actor, err := by.operator()
	if err != nil || by.Session != "" {
		return "", time.Time{}, ErrOperatorOnly
	}
	if !operatorName.MatchString(name) {
		return "", time.Time{}, invalid("operator", "operator name %q must be 1-64 letters, digits, '.', '_', '@' or '-'", name)
	}
	if ttl == 0 {
		ttl = DefaultLoginCodeTTL
	}
	if ttl < time.Minute || ttl > MaxLoginCodeTTL {
		return "", time.Time{}, invalid("ttl", "must be between 1m and %s", MaxLoginCodeTTL)
	}
	code := randomID("sdc_", 32)
	now := a.now()
	c := storage.LoginCode{Hash: codeHash(code), Operator: name, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	audit := &storage.AuditEntry{Actor: actor, Action: "console.login_code", Target: "operator:" + name}
	if err := a.store.CreateLoginCode(ctx, c, audit); err != nil {
		return "", time.Time{}, err
	}
	return code, c.ExpiresAt, nil
}

func codeHash(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// SignIn redeems a console link's code for a console token: once, before
// the code expires.
func (a *Authority) SignIn(ctx context.Context, code string) (ConsoleToken, error) {
	if code == "" {
		return ConsoleToken{}, invalid("code", "required")
	}
	if len(code) > 128 {
		return ConsoleToken{}, ErrLoginCode
	}
	hash := codeHash(code)
	c, err := a.store.GetLoginCode(ctx, hash)
	if errors.Is(err, storage.ErrNotFound) {
		return ConsoleToken{}, ErrLoginCode
	}
	if err != nil {
		return ConsoleToken{}, err
	}
	now := a.now()
	s := storage.ConsoleSession{ID: randomID("cs_", 12), Operator: c.Operator, CreatedAt: now, ExpiresAt: now.Add(ConsoleSessionLife)}
	audit := &storage.AuditEntry{Actor: consoleActor(s), Action: "console.sign_in", Target: s.ID}
	err = a.store.RedeemLoginCode(ctx, hash, now, s, audit)
	if errors.Is(err, storage.ErrNotFound) {
		return ConsoleToken{}, ErrLoginCode
	}
	if err != nil {
		return ConsoleToken{}, err
	}
	return a.consoleToken(s)
}

// SignInOwner signs the owner of an app in to the console with one of its
// production API keys, which Authenticate let in.
func (a *Authority) SignInOwner(ctx context.Context, c Caller) (ConsoleToken, error) {
	if c.Kind != access.Production {
		return ConsoleToken{}, ErrDevelopmentOwner
	}
	now := a.now()
	s := storage.ConsoleSession{ID: randomID("cs_", 12), AppID: c.AppID, APIKeyID: c.KeyID, CreatedAt: now, ExpiresAt: now.Add(ConsoleSessionLife)}
	audit := &storage.AuditEntry{Actor: consoleActor(s), Action: "console.sign_in", AppID: c.AppID, Target: s.ID}
	err := a.store.CreateOwnerSession(ctx, s, MaxOwnerSessions, audit)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return ConsoleToken{}, ErrUnauthenticated
	case errors.Is(err, storage.ErrConflict):
		return ConsoleToken{}, &ConflictError{Code: "too_many_sessions", Detail: ErrTooManySessions.Error()}
	case err != nil:
		return ConsoleToken{}, err
	}
	return a.consoleToken(s)
}

// consoleToken mints a token of session s, living ConsoleTokenTTL but not
// past the session's end.
func (a *Authority) consoleToken(s storage.ConsoleSession) (ConsoleToken, error) {
	now := a.now().Truncate(time.Second)
	exp := now.Add(ConsoleTokenTTL)
	if end := s.ExpiresAt.Truncate(time.Second); end.Before(exp) {
		exp = end
	}
	if !exp.After(now) {
		return ConsoleToken{}, token.ErrExpired
	}
	c := &token.Claims{Issuer: consoleIssuer, Subject: consoleActor(s), Audience: ConsoleAudience, ID: s.ID, App: s.AppID, IssuedAt: now, ExpiresAt: exp}
	raw, err := token.Mint(a.signer(), c)
	if err != nil {
		return ConsoleToken{}, fmt.Errorf("mint console token: %v", err)
	}
	return ConsoleToken{Token: raw, ExpiresAt: exp, TTL: exp.Sub(now), Session: consoleSessionOf(s)}, nil
}

// serviceKeys resolves the service's signing keys only: a console token is
// never signed with an API key's secret, which an app's owner knows.
type serviceKeys struct{ a *Authority }

func (r serviceKeys) ResolveKey(_ context.Context, kid string) (*token.Key, error) {
	r.a.keys.mu.RLock()
	defer r.a.keys.mu.RUnlock()
	if k, ok := r.a.keys.verify[kid]; ok {
		return k, nil
	}
	return nil, token.ErrUnknownKey
}

// Console checks a console token and returns who holds it. Failures are
// *token.Error or ErrRevoked, like those of access tokens: a token of
// another audience, issuer or key, an expired one, one whose session was
// revoked or ended, and an owner's whose API key was revoked.
func (a *Authority) Console(ctx context.Context, raw string) (Principal, error) {
	v := token.NewVerifier(serviceKeys{a}, token.WithAudience(ConsoleAudience), token.WithLeeway(a.leeway), token.WithClock(a.now))
	c, err := v.Verify(ctx, raw)
	if err != nil {
		return Principal{}, err
	}
	if c.Issuer != consoleIssuer {
		return Principal{}, &token.Error{Reason: token.ErrWrongIssuer.Reason, Detail: fmt.Sprintf("iss %q is not the console's", c.Issuer)}
	}
	s, err := a.liveConsoleSession(ctx, c.ID)
	if err != nil {
		return Principal{}, err
	}
	if c.Subject != consoleActor(s) || c.App != s.AppID {
		return Principal{}, &token.Error{Reason: token.ErrMalformed.Reason, Detail: "the token does not match its console session"}
	}
	return Principal{Operator: consoleActor(s), Session: s.ID, App: s.AppID}, nil
}

// liveConsoleSession returns session id if it may still act: not revoked,
// not ended, and for an owner, its API key live.
func (a *Authority) liveConsoleSession(ctx context.Context, id string) (storage.ConsoleSession, error) {
	s, err := a.store.GetConsoleSession(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		// Only pruning deletes a session, once it has expired.
		return storage.ConsoleSession{}, token.ErrExpired
	case err != nil:
		return storage.ConsoleSession{}, err
	case s.Revoked():
		return storage.ConsoleSession{}, ErrRevoked
	case !s.Live(a.now()):
		return storage.ConsoleSession{}, token.ErrExpired
	}
	if s.APIKeyID != "" {
		if k, ok := a.liveKey(s.APIKeyID); !ok || k.key.AppID != s.AppID {
			return storage.ConsoleSession{}, ErrRevoked
		}
	}
	return s, nil
}

// RefreshConsole mints a new token of the console session by acts
// through, while the session lasts.
func (a *Authority) RefreshConsole(ctx context.Context, by Principal) (ConsoleToken, error) {
	if by.Session == "" {
		return ConsoleToken{}, ErrOperatorOnly
	}
	s, err := a.liveConsoleSession(ctx, by.Session)
	if err != nil {
		return ConsoleToken{}, err
	}
	return a.consoleToken(s)
}

// ConsoleSessions lists the live console sessions: every one to an
// operator, its app's to an app's owner.
func (a *Authority) ConsoleSessions(ctx context.Context, by Principal) ([]ConsoleSession, error) {
	if _, err := by.within(by.App); err != nil {
		return nil, err
	}
	stored, err := a.store.ListConsoleSessions(ctx, by.App, a.now())
	if err != nil {
		return nil, err
	}
	out := make([]ConsoleSession, len(stored))
	for i, s := range stored {
		out[i] = consoleSessionOf(s)
	}
	return out, nil
}

// RevokeConsoleSession ends a console session and every token of it: an
// operator any, an app's owner its app's (its own sign-out included).
func (a *Authority) RevokeConsoleSession(ctx context.Context, by Principal, id string) error {
	s, err := a.store.GetConsoleSession(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return &NotFoundError{What: "console session", Name: id}
	}
	if err != nil {
		return err
	}
	p, err := by.within(s.AppID)
	if err != nil {
		return err
	}
	action := "console.session.revoke"
	if id == by.Session {
		action = "console.sign_out"
	}
	audit := &storage.AuditEntry{Actor: p.Operator, Action: action, AppID: s.AppID, Target: id}
	_, err = a.store.RevokeConsoleSession(ctx, id, a.now(), audit)
	if errors.Is(err, storage.ErrConflict) {
		return &ConflictError{Detail: fmt.Sprintf("console session %q is already revoked", id)}
	}
	return err
}
