package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/stagedoor/stagedoor/client"
	"github.com/stagedoor/stagedoor/internal/servetest"
)

// keyPair is an API key and its secret.
type keyPair struct {
	Key    string `json:"api_key"`
	Secret string `json:"api_secret"`
}

// server is the `stagedoor serve` the tests speak to, built from this
// checkout, with an app of production and development keys and a role
// that can only ask to join (knocker).
var server struct {
	bin, data string
	url       string
	prod, dev keyPair
	// doomed is a production key a test revokes.
	doomed keyPair
}

// streamsPerCredential is the server's cap on one credential's streams.
const streamsPerCredential = 4

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "stagedoor-client-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if server.bin, err = servetest.Build(dir); err != nil {
		return 0, err
	}
	server.data = filepath.Join(dir, "data")
	if _, err := command("app", "create", "client-test"); err != nil {
		return 0, err
	}
	for _, k := range []struct {
		key  *keyPair
		args []string
	}{{&server.prod, nil}, {&server.dev, []string{"--development"}}, {&server.doomed, nil}} {
		out, err := command(append([]string{"key", "create", "--app", "client-test", "--json"}, k.args...)...)
		if err != nil {
			return 0, err
		}
		if err := json.Unmarshal(out, k.key); err != nil {
			return 0, fmt.Errorf("key create: %v: %s", err, out)
		}
	}
	if _, err := command("role", "set", "--app", "client-test", "knocker", "--permission", "room.ask_join,consume,produce.camera", "--rank", "20"); err != nil {
		return 0, err
	}
	p, err := startServer(server.data, "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer p.Stop()
	server.url = p.URL
	stagedoorURL, apiKey, apiSecret = p.URL, server.prod.Key, server.prod.Secret
	return m.Run(), nil
}

// command runs the stagedoor command on the test data directory.
func command(args ...string) ([]byte, error) {
	out, err := exec.Command(server.bin, append(args, "--data", server.data)...).Output()
	if err != nil {
		return nil, fmt.Errorf("stagedoor %v: %v", args, err)
	}
	return out, nil
}

// startServer runs stagedoor serve over data on addr.
func startServer(data, addr string) (*servetest.Process, error) {
	return servetest.Start(exec.Command(server.bin, "serve", "--addr", addr, "--data", data,
		"--max-streams-per-credential", strconv.Itoa(streamsPerCredential)))
}

// backend is a partner backend's client: the production key.
func backend(t testing.TB, opts ...client.Option) *client.Client {
	t.Helper()
	return newClient(t, server.url, append([]client.Option{client.WithAPIKey(server.prod.Key, server.prod.Secret)}, opts...)...)
}

func newClient(t testing.TB, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mint mints a token with the production key.
func mint(t testing.TB, req client.TokenRequest) client.Token {
	t.Helper()
	tok, err := backend(t).CreateToken(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// user is a client holding a fixed access token.
func user(t testing.TB, url string, tok client.Token, opts ...client.Option) *client.Client {
	t.Helper()
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer"})
	return newClient(t, url, append([]client.Option{client.WithTokenSource(ts)}, opts...)...)
}

var rooms atomic.Int64

// newRoom creates a room of a name no other test uses.
func newRoom(t testing.TB, req client.RoomRequest) string {
	t.Helper()
	req.Name = fmt.Sprintf("room-%d", rooms.Add(1))
	if _, err := backend(t).CreateRoom(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	return req.Name
}

var refreshMinted = regexp.MustCompile(`(?m)^stagedoor_tokens_minted_total\{kind="refresh"\} (\d+)$`)

// refreshes is how many refreshes the server has answered, from its
// metrics.
func refreshes(t testing.TB) int {
	t.Helper()
	resp, err := http.Get(server.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := refreshMinted.FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// within is how long a test waits for something the server or the client
// does by itself.
const within = 20 * time.Second

// await receives from ch, or fails the test after within.
func await[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(within):
		t.Fatalf("no %s within %s", what, within)
		panic("unreachable")
	}
}
