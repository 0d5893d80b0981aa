// Package livekit_test runs stagedoor in front of a real LiveKit server:
// the stagedoor binary and livekit-server as processes on loopback ports,
// LiveKit's webhooks pointed at stagedoor, and real clients of
// github.com/livekit/server-sdk-go joining and publishing synthetic media.
// The tests skip when no livekit-server binary is found: LIVEKIT_SERVER
// names it, else livekit-server on PATH.
package livekit_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// env is the LiveKit server and the stagedoor server every test shares;
// each test uses rooms of its own.
var (
	envOnce sync.Once
	env     *environment
	envErr  error
	envSkip string
)

func TestMain(m *testing.M) {
	lksdk.SetLogger(logger.GetDiscardLogger())
	code := m.Run()
	if env != nil {
		env.close()
		// Under the race detector stagedoor runs built with it too: a
		// race it saw fails the run.
		if logs := env.logText(); strings.Contains(logs, "WARNING: DATA RACE") {
			fmt.Fprintf(os.Stderr, "stagedoor reported a data race:\n%s", logs)
			code = 1
		}
	}
	os.Exit(code)
}

// setup returns the shared environment, starting it on first use.
func setup(t testing.TB) *environment {
	t.Helper()
	envOnce.Do(func() { env, envSkip, envErr = start() })
	switch {
	case envSkip != "":
		t.Skip(envSkip)
	case envErr != nil:
		t.Fatal(envErr)
	}
	return env
}

// liveKitServer finds the livekit-server binary.
func liveKitServer() string {
	if p := os.Getenv("LIVEKIT_SERVER"); p != "" {
		return p
	}
	p, _ := exec.LookPath("livekit-server")
	return p
}

// environment is a LiveKit server, a stagedoor server whose app "e2e" has
// that LiveKit server as its project, and the app's production API key.
type environment struct {
	dir       string
	stagedoor string // the binary
	lk        *process
	sd        *process
	lkURL     string
	sdAddr    string
	lkKey     string
	lkSecret  string
	apiKey    string
	apiSecret string
	logs      *bytes.Buffer
	// hooks stands between LiveKit's webhooks and stagedoor, and notes
	// when each arrives.
	hooks *webhookProxy
}

func start() (_ *environment, skip string, err error) {
	lkBin := liveKitServer()
	if lkBin == "" {
		return nil, "no livekit-server: set LIVEKIT_SERVER or put livekit-server on PATH (go install github.com/livekit/livekit-server/cmd/server@v1.9.11)", nil
	}
	dir, err := os.MkdirTemp("", "stagedoor-livekit-e2e-")
	if err != nil {
		return nil, "", err
	}
	e := &environment{dir: dir, stagedoor: filepath.Join(dir, "stagedoor"), lkKey: "e2ekey", lkSecret: randomHex(24), logs: &bytes.Buffer{}}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	// The binary of the repository this module sits in, built as its own
	// module builds it.
	args := []string{"build", "-o", e.stagedoor}
	if raceBuild {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./cmd/stagedoor")...)
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("building stagedoor: %v\n%s", err, out)
	}
	lkPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	sdPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	e.lkURL = fmt.Sprintf("ws://127.0.0.1:%d", lkPort)
	e.sdAddr = fmt.Sprintf("127.0.0.1:%d", sdPort)
	e.hooks = newWebhookProxy(e.sdAddr)
	if e.lk, err = e.startLiveKit(lkBin, lkPort); err != nil {
		return nil, "", err
	}
	if err := e.admin("app", "create", "e2e"); err != nil {
		return nil, "", err
	}
	out, err := e.adminOutput("key", "create", "--app", "e2e", "--json")
	if err != nil {
		return nil, "", err
	}
	var key struct {
		APIKey    string `json:"api_key"`
		APISecret string `json:"api_secret"`
	}
	if err := json.Unmarshal(out, &key); err != nil {
		return nil, "", fmt.Errorf("key create: %v: %s", err, out)
	}
	e.apiKey, e.apiSecret = key.APIKey, key.APISecret
	if err := e.admin("livekit", "set", "--app", "e2e", "--url", e.lkURL, "--api-key", e.lkKey, "--api-secret", e.lkSecret); err != nil {
		return nil, "", err
	}
	// applicants ask to join and wait for a moderator.
	if err := e.admin("role", "set", "--app", "e2e", "applicant", "--permission", "room.ask_join,consume,produce.camera,produce.microphone", "--rank", "10"); err != nil {
		return nil, "", err
	}
	if e.sd, err = e.startStagedoor(); err != nil {
		return nil, "", err
	}
	return e, "", nil
}

func (e *environment) close() {
	if e.sd != nil {
		e.sd.stop()
	}
	if e.lk != nil {
		e.lk.stop()
	}
	if e.hooks != nil {
		e.hooks.Close()
	}
	os.RemoveAll(e.dir)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// freePort returns a loopback TCP port free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// admin runs a stagedoor admin command on the data directory.
func (e *environment) admin(args ...string) error {
	_, err := e.adminOutput(args...)
	return err
}

func (e *environment) adminOutput(args ...string) ([]byte, error) {
	cmd := exec.Command(e.stagedoor, append(args, "--data", filepath.Join(e.dir, "data"))...)
	cmd.Env = cleanEnv("STAGEDOOR_")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("stagedoor %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// cleanEnv is the environment without the variables starting with prefix,
// so that they cannot override what a process is given.
func cleanEnv(prefix string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

// process is a server the tests started, with its output kept.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startProcess starts cmd and returns once a line of its output contains
// ready, failing if it exits or says nothing of the kind in time.
func (e *environment) startProcess(cmd *exec.Cmd, name, ready string) (*process, error) {
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			logLine(e.logs, name, line)
			if !signalled && strings.Contains(line, ready) {
				signalled = true
				close(found)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-found:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before it was ready:\n%s", name, e.logText())
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s did not say %q within a minute:\n%s", name, ready, e.logText())
	}
}

// logMu guards the servers' output kept in environment.logs.
var logMu sync.Mutex

func logLine(buf *bytes.Buffer, name, line string) {
	logMu.Lock()
	defer logMu.Unlock()
	fmt.Fprintf(buf, "%s: %s\n", name, line)
}

// logText is the servers' output so far.
func (e *environment) logText() string {
	logMu.Lock()
	defer logMu.Unlock()
	return e.logs.String()
}

// stop ends the process and waits for it.
func (p *process) stop() {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// startLiveKit starts livekit-server with a generated config: loopback
// only, its keys, and webhooks to stagedoor.
func (e *environment) startLiveKit(bin string, port int) (*process, error) {
	udp, err := freePort()
	if err != nil {
		return nil, err
	}
	base := 20000 + udp%30000
	config := fmt.Sprintf(`port: %d
bind_addresses: ["127.0.0.1"]
rtc:
  tcp_port: 0
  port_range_start: %d
  port_range_end: %d
  node_ip: 127.0.0.1
  use_external_ip: false
keys:
  %s: %s
webhook:
  api_key: %s
  urls: ["%s/v1/livekit/webhook"]
logging:
  level: info
`, port, base, base+200, e.lkKey, e.lkSecret, e.lkKey, e.hooks.URL)
	path := filepath.Join(e.dir, "livekit.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", path)
	cmd.Env = cleanEnv("LIVEKIT_")
	return e.startProcess(cmd, "livekit", "starting LiveKit server")
}

// startStagedoor serves stagedoor on its address and data directory.
func (e *environment) startStagedoor() (*process, error) {
	cmd := exec.Command(e.stagedoor, "serve", "--addr", e.sdAddr, "--data", filepath.Join(e.dir, "data"), "--livekit-reconcile", "1m", "--log-level", "debug")
	cmd.Env = cleanEnv("STAGEDOOR_")
	return e.startProcess(cmd, "stagedoor", `"msg":"serving"`)
}

// restartStagedoor stops the stagedoor server and starts it again on the
// same address and data.
func (e *environment) restartStagedoor(t testing.TB) {
	t.Helper()
	e.sd.stop()
	e.sd = nil
	sd, err := e.startStagedoor()
	if err != nil {
		t.Fatal(err)
	}
	e.sd = sd
}

// dumpLogs shows the servers' output when t failed.
func (e *environment) dumpLogs(t testing.TB) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", e.logText())
		}
	})
}

// api calls stagedoor's HTTP API with the app's API key (bearer empty)
// or a token, and decodes the JSON answer into out when it is not nil.
func (e *environment) api(t testing.TB, method, path, bearer string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+e.sdAddr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	} else {
		req.SetBasicAuth(e.apiKey, e.apiSecret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// mustAPI is api that fails t unless the answer has status want.
func (e *environment) mustAPI(t testing.TB, want int, method, path, bearer string, body, out any) {
	t.Helper()
	var raw json.RawMessage
	if got := e.api(t, method, path, bearer, body, &raw); got != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
}

// issued is a token the API minted.
type issued struct {
	AccessToken string    `json:"access_token"`
	ExpiresAt   time.Time `json:"expires_at"`
	Format      string    `json:"format"`
	URL         string    `json:"url"`
}

// liveKitToken mints a LiveKit token through POST /v1/tokens.
func (e *environment) liveKitToken(t testing.TB, req map[string]any) issued {
	t.Helper()
	req["format"] = "livekit"
	var out issued
	e.mustAPI(t, http.StatusCreated, "POST", "/v1/tokens", "", req, &out)
	if out.Format != "livekit" || out.URL != e.lkURL {
		t.Fatalf("minted %+v", out)
	}
	return out
}

// stagedoorToken mints a stagedoor token.
func (e *environment) stagedoorToken(t testing.TB, req map[string]any) string {
	t.Helper()
	var out issued
	e.mustAPI(t, http.StatusCreated, "POST", "/v1/tokens", "", req, &out)
	return out.AccessToken
}

// createRoom creates a stagedoor room.
func (e *environment) createRoom(t testing.TB, name, kind string, maxProducers int) {
	t.Helper()
	e.mustAPI(t, http.StatusCreated, "POST", "/v1/rooms", "", map[string]any{"name": name, "type": kind, "max_producers": maxProducers}, nil)
}

// session is a session as the API shows it.
type session struct {
	SessionID   string   `json:"session_id"`
	Participant string   `json:"participant"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	State       string   `json:"state"`
	Sources     []string `json:"sources"`
	EndReason   string   `json:"end_reason"`
}

// roomView is GET /v1/rooms/{room}.
type roomView struct {
	Participants []session `json:"participants"`
	Waiting      []session `json:"waiting"`
}

func (e *environment) room(t testing.TB, name string) roomView {
	t.Helper()
	var v roomView
	e.mustAPI(t, http.StatusOK, "GET", "/v1/rooms/"+name, "", nil, &v)
	return v
}

func (v roomView) session(participant string) (session, bool) {
	for _, s := range append(v.Participants, v.Waiting...) {
		if s.Participant == participant {
			return s, true
		}
	}
	return session{}, false
}

// ctxFor is a context ending with t or after d.
func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// removal is stagedoor's log of LiveKit taking its removal of a
// participant.
type removal struct {
	Time        time.Time `json:"time"`
	Msg         string    `json:"msg"`
	Room        string    `json:"room"`
	Participant string    `json:"participant"`
	Reason      string    `json:"reason"`
}

// removalsLogged are stagedoor's removals of identity from room so far,
// oldest first.
func (e *environment) removalsLogged(room, identity string) []removal {
	var out []removal
	for line := range strings.Lines(e.logText()) {
		entry, ok := strings.CutPrefix(line, "stagedoor: ")
		if !ok {
			continue
		}
		var r removal
		if json.Unmarshal([]byte(entry), &r) == nil && r.Msg == "removed a participant from LiveKit" && r.Room == room && r.Participant == identity {
			out = append(out, r)
		}
	}
	return out
}
