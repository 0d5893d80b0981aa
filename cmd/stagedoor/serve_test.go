package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/servetest"
	"github.com/stagedoor/stagedoor/internal/storage/postgres/pgtest"
)

// TestMain lets the test binary act as the stagedoor command, so end-to-end
// tests run the real program in a child process without building it; the
// tests run on a PostgreSQL cluster of their own when none is named.
func TestMain(m *testing.M) {
	if os.Getenv("STAGEDOOR_TEST_AS_COMMAND") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(pgtest.Main(m))
}

// process is a `stagedoor serve` (or `load floor`) child process.
type process struct {
	cmd *exec.Cmd
	url string
	// stdout is what it printed before serving: a first start's banner.
	stdout string
}

// startServe starts `stagedoor serve` on a free loopback port over dataDir
// and waits until it listens.
func startServe(t testing.TB, dataDir string) *process {
	t.Helper()
	return startServeBinary(t, os.Args[0], dataDir)
}

// startServeBinary is startServe with the stagedoor program at bin, such
// as a build of another version.
func startServeBinary(t testing.TB, bin, dataDir string) *process {
	t.Helper()
	return startCommandBinary(t, bin, "serve", "--addr", "127.0.0.1:0", "--data", dataDir)
}

// startCommand starts stagedoor with args, which name a free loopback port,
// and waits until it logs that it serves.
func startCommand(t testing.TB, args ...string) *process {
	t.Helper()
	return startCommandBinary(t, os.Args[0], args...)
}

// startCommandBinary is startCommand with the stagedoor program at bin.
func startCommandBinary(t testing.TB, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "STAGEDOOR_TEST_AS_COMMAND=1")
	p, err := servetest.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &process{cmd: cmd, url: p.URL, stdout: p.Startup}
}

func (p *process) post(t testing.TB, path, user, pass, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", p.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, pass)
	return doJSON(t, req)
}

func (p *process) get(t testing.TB, path, user, pass string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", p.url+path, nil)
	req.SetBasicAuth(user, pass)
	return doJSON(t, req)
}

func doJSON(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

var bannerKey = regexp.MustCompile(`api key:\s+(\S+)\s+api secret:\s+(\S+)`)

// TestServeSurvivesKill9 checks durability: a revocation acknowledged with
// 201 is on disk when the process dies at once with SIGKILL.
func TestServeSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	data := t.TempDir()
	p := startServe(t, data)
	m := bannerKey.FindStringSubmatch(p.stdout)
	if m == nil {
		t.Fatalf("first start printed no API key:\n%s", p.stdout)
	}
	key, sec := m[1], m[2]
	if !strings.Contains(p.stdout, "curl") {
		t.Errorf("banner has no curl line:\n%s", p.stdout)
	}
	status, tok := p.post(t, "/v1/tokens", key, sec, `{"user_id":"alice","role":"viewer"}`)
	if status != 201 {
		t.Fatalf("mint: %d %v", status, tok)
	}
	status, rev := p.post(t, "/v1/revocations", key, sec, `{"user_id":"alice"}`)
	if status != 201 {
		t.Fatalf("revoke: %d %v", status, rev)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	q := startServe(t, data)
	if bannerKey.MatchString(q.stdout) {
		t.Error("restart printed a new API key: the data directory was not reused")
	}
	status, feed := q.get(t, "/v1/revocations", key, sec)
	if status != 200 {
		t.Fatalf("feed after restart: %d %v", status, feed)
	}
	revs, _ := feed["revocations"].([]any)
	if len(revs) != 1 || revs[0].(map[string]any)["value"] != "alice" {
		t.Fatalf("revocations after kill -9: %v", feed)
	}
	req, _ := http.NewRequest("POST", q.url+"/v1/verify", strings.NewReader(`{"permission":"consume"}`))
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	if status, body := doJSON(t, req); status != 401 || body["code"] != "revoked" {
		t.Fatalf("revoked token after restart: %d %v", status, body)
	}
}

// TestServeShutsDownGracefully sends SIGTERM and expects a clean exit.
func TestServeShutsDownGracefully(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	p := startServe(t, t.TempDir())
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("serve did not stop after SIGTERM")
	}
}
