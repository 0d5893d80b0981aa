package authority

import "errors"

// Principal is who acts: an operator of the deployment (the command line,
// the server setting itself up), an API key, or the holder of an access
// token. Exactly one of its fields is set; AsOperator, AsKey and AsToken
// make one.
type Principal struct {
	// Operator names an operator acting outside the HTTP API, as the
	// audit log shows it ("cli", "system").
	Operator string
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

// operator is the audit name of p, which must be an operator.
func (p Principal) operator() (string, error) {
	if p.Operator == "" || p.Key != nil || p.Token != "" {
		return "", ErrOperatorOnly
	}
	return p.Operator, nil
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
