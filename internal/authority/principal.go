package authority

import "errors"

// Principal is who acts: an operator of the deployment (the command line,
// the server setting itself up), an API key, or the holder of an access
// token. Exactly one of its fields is set; AsOperator, AsKey and AsToken
// make one.
type Principal struct {
	// Operator names an operator as the audit log shows it: "cli" or
	// "system" outside the HTTP API, "operator:NAME" or "owner:KEY"
	// signed in to the console.
	Operator string
	// Session is the console session an operator acts through; empty
	// outside the console.
	Session string
	// App confines an operator to one app: the owner of an app, signed in
	// to the console with one of its API keys. Empty for an operator of
	// the whole deployment.
	App string
	// Key is an API key that Authenticate let in.
	Key *Caller
	// Token is a raw access token, verified by the call it is given to.
	Token string
}

// AsOperator is the operator named name.
func AsOperator(name string) Principal { return Principal{Operator: name} }

// AsKey is the API key c.
func AsKey(c Caller) Principal { return Principal{Key: &c} }

// AsToken is the holder of the access token raw.
func AsToken(raw string) Principal { return Principal{Token: raw} }

// ErrOperatorOnly refuses an API key or a token the management of the
// deployment: apps, API keys, roles and signing keys.
var ErrOperatorOnly = errors.New("only an operator manages apps, API keys, roles and signing keys")

// ErrOperatorInRoom refuses an operator acting on a room: rooms belong to
// an app, whose API keys and tokens act on them.
var ErrOperatorInRoom = errors.New("an operator acts on rooms through an API key of their app")

// operator is the audit name of p, which must be an operator of the whole
// deployment.
func (p Principal) operator() (string, error) {
	if p.Operator == "" || p.App != "" || p.Key != nil || p.Token != "" {
		return "", ErrOperatorOnly
	}
	return p.Operator, nil
}

// ErrOtherApp refuses an app's owner what concerns another app, or the
// whole deployment.
var ErrOtherApp = errors.New("an app's owner manages only its own app")

// within is p acting on app as an operator of the whole deployment, which
// p may if it is one, or the owner of app. It is how a use case open to
// app owners calls one that takes an operator, having checked the app.
func (p Principal) within(app string) (Principal, error) {
	if p.Operator == "" || p.Key != nil || p.Token != "" {
		return Principal{}, ErrOperatorOnly
	}
	if p.App != "" && p.App != app {
		return Principal{}, ErrOtherApp
	}
	return Principal{Operator: p.Operator, Session: p.Session}, nil
}

// deployment is p, which must be an operator of the whole deployment: an
// app's owner is refused with ErrOtherApp.
func (p Principal) deployment() (Principal, error) {
	if p.App != "" && p.Key == nil && p.Token == "" {
		return Principal{}, ErrOtherApp
	}
	if _, err := p.operator(); err != nil {
		return Principal{}, err
	}
	return p, nil
}

// ErrKeyOnly refuses an operator or a token what only an app's API key
// does: mint its users' tokens, revoke them, follow its revocations, set
// its session policy, introspect its tokens.
var ErrKeyOnly = errors.New("only an API key of the app does this")

// ErrTokenOnly refuses an operator or an API key what only the holder of
// an access token does: join a room as the token's participant.
var ErrTokenOnly = errors.New("only the holder of an access token does this")

// apiKey is the API key p is, which it must be.
func (p Principal) apiKey() (Caller, error) {
	if p.Key == nil || p.Operator != "" || p.Token != "" {
		return Caller{}, ErrKeyOnly
	}
	return *p.Key, nil
}

// token is the access token p holds, which it must.
func (p Principal) token() (string, error) {
	if p.Token == "" || p.Operator != "" || p.Key != nil {
		return "", ErrTokenOnly
	}
	return p.Token, nil
}
