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

// deployment is a `stagedoor serve` built from this checkout, over a data
// directory with an app of a production and a development key and a
// role that can only ask to join (knocker).
type deployment struct {
	data      string
	url       string
	prod, dev keyPair
	proc      *servetest.Process
}

// bin is the stagedoor command the tests run.
var bin string

// server is the deployment most tests speak to.
var server *deployment

// streamsPerCredential is the servers' cap on one credential's streams.
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
	if bin, err = servetest.Build(dir); err != nil {
		return 0, err
	}
	if server, err = deploy(filepath.Join(dir, "data")); err != nil {
		return 0, err
	}
	defer server.proc.Stop()
	stagedoorURL, apiKey, apiSecret = server.url, server.prod.Key, server.prod.Secret
	return m.Run(), nil
}

// deploy prepares data and starts a server over it.
func deploy(data string) (*deployment, error) {
	d := &deployment{data: data}
	if _, err := d.command("app", "create", "client-test"); err != nil {
		return nil, err
	}
	for _, k := range []struct {
		key  *keyPair
		args []string
	}{{&d.prod, nil}, {&d.dev, []string{"--development"}}} {
		out, err := d.command(append([]string{"key", "create", "--app", "client-test", "--json"}, k.args...)...)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(out, k.key); err != nil {
			return nil, fmt.Errorf("key create: %v: %s", err, out)
		}
	}
	if _, err := d.command("role", "set", "--app", "client-test", "knocker", "--permission", "room.ask_join,consume,produce.camera", "--rank", "20"); err != nil {
		return nil, err
	}
	return d, d.start("127.0.0.1:0")
}

// ownDeployment is a deployment of the test's own, for a test that breaks
// it.
func ownDeployment(t testing.TB) *deployment {
	t.Helper()
	d, err := deploy(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.proc.Stop() })
	return d
}

// start runs stagedoor serve over the data on addr.
func (d *deployment) start(addr string) error {
	p, err := servetest.Start(exec.Command(bin, "serve", "--addr", addr, "--data", d.data,
		"--max-streams-per-credential", strconv.Itoa(streamsPerCredential)))
	if err != nil {
		return err
	}
	d.proc, d.url = p, p.URL
	return nil
}

// command runs the stagedoor command on the deployment's data.
func (d *deployment) command(args ...string) ([]byte, error) {
	out, err := exec.Command(bin, append(args, "--data", d.data)...).Output()
	if err != nil {
		return nil, fmt.Errorf("stagedoor %v: %v", args, err)
	}
	return out, nil
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

var names atomic.Int64

// unique is a name no other test, nor another run of the same test, uses.
func unique(prefix string) string { return fmt.Sprintf("%s-%d", prefix, names.Add(1)) }

// newRoom creates a room of a name no other test uses.
func newRoom(t testing.TB, req client.RoomRequest) string {
	t.Helper()
	req.Name = unique("room")
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
