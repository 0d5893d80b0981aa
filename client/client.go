package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/stagedoor/stagedoor/access"
)

// Client calls stagedoor's HTTP API with one credential: an API key and
// its secret (a partner backend) or the access tokens of a TokenSource (an
// end user). It is safe for concurrent use.
type Client struct {
	base        string
	http        *http.Client
	key, secret string
	tokens      oauth2.TokenSource
	timeout     time.Duration
	clock       Clock
	backoff     Backoff
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey authenticates with an API key and its secret (HTTP Basic):
// what a partner backend holds. Never ship the secret to a browser or an
// end user's device.
func WithAPIKey(key, secret string) Option {
	return func(c *Client) { c.key, c.secret = key, secret }
}

// WithTokenSource authenticates with the access tokens ts gives (Bearer),
// asked for anew before each request: an end user's client. A
// *TokenSource is asked with the request's context.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *Client) { c.tokens = ts }
}

// WithHTTPClient sends requests with hc instead of a client of its own
// over http.DefaultTransport. Its Timeout must be zero for event streams
// to last; WithTimeout bounds the other requests.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithTimeout bounds each request but event streams and long polls
// (default 30s); the caller's context may end it earlier.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithClock sets the clock of the room sessions the client joins and of
// the TokenSources it makes (default SystemClock).
func WithClock(clock Clock) Option {
	return func(c *Client) { c.clock = clock }
}

// WithBackoff sets how the room sessions the client joins and the
// TokenSources it makes try again after temporary failures (default
// DefaultBackoff).
func WithBackoff(b Backoff) Option {
	return func(c *Client) { c.backoff = b }
}

// New returns a client of the API at baseURL, such as
// "http://127.0.0.1:7800" or "https://auth.example.com/stagedoor".
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q must be an http or https URL without user, query or fragment", baseURL)
	}
	c := &Client{http: &http.Client{}, timeout: 30 * time.Second, clock: SystemClock}
	for _, o := range opts {
		o(c)
	}
	switch {
	case (c.key == "") != (c.secret == ""):
		return nil, errors.New("client: an API key needs its secret")
	case c.key != "" && c.tokens != nil:
		return nil, errors.New("client: give an API key or a token source, not both")
	case c.http == nil || c.clock == nil || c.timeout <= 0:
		return nil, errors.New("client: nil HTTP client or clock, or a timeout that is not positive")
	}
	c.backoff = c.backoff.orDefault()
	u.Path = trimSlash(u.Path)
	u.RawPath = ""
	c.base = u.String()
	return c, nil
}

func trimSlash(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// call is one request to the API.
type call struct {
	method string
	// path is the escaped path under the base URL.
	path  string
	query url.Values
	// header is added to the request's.
	header http.Header
	// body, if not nil, is sent as JSON.
	body any
	// auth is how the request authenticates; authClient by default.
	auth authMode
	// bearer is the token of authToken.
	bearer string
	// long marks event streams and long polls, which the client's
	// timeout does not bound.
	long bool
}

type authMode int

const (
	// authClient: the client's own credential.
	authClient authMode = iota
	// authNone: no credential (a refresh token authenticates itself).
	authNone
	// authToken: call.bearer.
	authToken
)

// send sends the call and returns a 2xx answer, whose body the caller
// closes, or the *Error of any other. cancel ends the request's timeout;
// the caller calls it once done with the body.
func (c *Client) send(ctx context.Context, cl call) (resp *http.Response, cancel context.CancelFunc, err error) {
	cancel = func() {}
	if !cl.long {
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer func() {
		if err != nil {
			cancel()
		}
	}()
	var body io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, cancel, err
		}
		body = bytes.NewReader(b)
	}
	u := c.base + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return nil, cancel, err
	}
	for k, vs := range cl.header {
		req.Header[k] = vs
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := c.authenticate(ctx, req, cl); err != nil {
		return nil, cancel, err
	}
	resp, err = c.http.Do(req)
	if err != nil {
		return nil, cancel, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, cancel, readError(req, resp)
	}
	return resp, cancel, nil
}

func (c *Client) authenticate(ctx context.Context, req *http.Request, cl call) error {
	switch {
	case cl.auth == authToken:
		req.Header.Set("Authorization", "Bearer "+cl.bearer)
	case cl.auth == authNone:
	case c.key != "":
		req.SetBasicAuth(c.key, c.secret)
	case c.tokens != nil:
		t, err := tokenOf(ctx, c.tokens)
		if err != nil {
			return err
		}
		t.SetAuthHeader(req)
	}
	return nil
}

// tokenOf asks ts for a token, with ctx if ts takes one.
func tokenOf(ctx context.Context, ts oauth2.TokenSource) (*oauth2.Token, error) {
	if s, ok := ts.(*TokenSource); ok {
		return s.TokenContext(ctx)
	}
	return ts.Token()
}

// maxAnswerBytes caps how much of an answer is read.
const maxAnswerBytes = 8 << 20

// do sends the call and decodes its answer into out, if not nil.
func (c *Client) do(ctx context.Context, cl call, out any) error {
	resp, cancel, err := c.send(ctx, cl)
	if err != nil {
		return err
	}
	defer cancel()
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
		return err
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswerBytes)).Decode(out); err != nil {
		return fmt.Errorf("stagedoor: %s %s: reading the answer: %w", cl.method, cl.path, err)
	}
	return nil
}

// segment escapes a name for a URL path. A name that could not address
// anything (empty, ".", "..", holding "/", over 128 bytes, with control
// characters: the API's one rule for names) is refused with an error
// matching access.ErrInvalid, before any request; field says which
// argument it was.
func segment(field, name string) (string, error) {
	if err := access.CheckName(field, name); err != nil {
		return "", fmt.Errorf("client: %w", err)
	}
	return url.PathEscape(name), nil
}

// roomPath is the path of a room.
func roomPath(room string) (string, error) {
	r, err := segment("room", room)
	return "/v1/rooms/" + r, err
}

// sessionPath is the path of a session of a room.
func sessionPath(room, session string) (string, error) {
	r, err := roomPath(room)
	if err != nil {
		return "", err
	}
	s, err := segment("session", session)
	return r + "/sessions/" + s, err
}
