package console_test

import (
	"bytes"
	"flag"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stagedoor/stagedoor/internal/console"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

// The console's files are served with a strict policy: no inline script or
// style, no other origin, no frame.
func TestServes(t *testing.T) {
	h := console.Handler()
	for _, c := range []struct {
		path, contentType string
	}{
		{"/console/", "text/html; charset=utf-8"},
		{"/console/app.css", "text/css; charset=utf-8"},
		{"/console/js/main.js", "text/javascript; charset=utf-8"},
		{"/console/client/index.js", "text/javascript; charset=utf-8"},
		{"/console/favicon.svg", "image/svg+xml"},
	} {
		res := get(t, h, "GET", c.path)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != c.contentType || len(body) == 0 {
			t.Errorf("GET %s: %d %q (%d bytes)", c.path, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
		if got := res.Header.Get("Content-Security-Policy"); got != console.Policy {
			t.Errorf("GET %s: Content-Security-Policy %q", c.path, got)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: headers %v", c.path, res.Header)
		}
		if res.Header.Get("Set-Cookie") != "" {
			t.Errorf("GET %s sets a cookie", c.path)
		}
	}
	for _, p := range []string{"/console/nope.js", "/console/js/", "/console/js", "/console/../console.go", "/console/index.html/", "/console/client/../../console.go"} {
		if res := get(t, h, "GET", p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	if res := get(t, h, "HEAD", "/console/"); res.StatusCode != http.StatusOK {
		t.Errorf("HEAD /console/: %d", res.StatusCode)
	}
}

// The policy forbids what could run code the console did not ship: every
// directive falls back to none, scripts and styles come from the console's
// origin only, and no inline script, style or handler is in its pages.
func TestPolicyStrict(t *testing.T) {
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(console.Policy, want) {
			t.Errorf("the policy lacks %s", want)
		}
	}
	if strings.Contains(console.Policy, "unsafe") || strings.Contains(console.Policy, "http") {
		t.Errorf("the policy allows inline code or another origin: %s", console.Policy)
	}
	inline := regexp.MustCompile(`(?i)<script(?:\s+type="module")?>|<style|\sstyle=|\son[a-z]+=|javascript:`)
	err := fs.WalkDir(console.Web, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".html") {
			return err
		}
		b, err := fs.ReadFile(console.Web, name)
		if m := inline.Find(b); m != nil {
			t.Errorf("%s has inline code: %s", name, m)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

var update = flag.Bool("update", false, "copy the built @stagedoor/client from clients/js/dist into web/client")

// clientDist is where npm run build in clients/js writes the client.
var clientDist = filepath.Join("..", "..", "clients", "js", "dist")

// The console's copy of @stagedoor/client is the client as built from
// clients/js (make test builds it first): the browser modules, not the
// React bindings or the type declarations. With -update the test copies
// it.
func TestClientCopyFresh(t *testing.T) {
	built := map[string][]byte{}
	err := filepath.WalkDir(clientDist, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") || strings.HasSuffix(p, "react.js") {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(clientDist, p)
		built[filepath.ToSlash(rel)] = b
		return err
	})
	if os.IsNotExist(err) {
		if os.Getenv("STAGEDOOR_REQUIRE_CLIENT_BUILD") != "" {
			t.Fatalf("%s is not built: run npm run build in clients/js", clientDist)
		}
		t.Skipf("%s is not built (make test builds it with npm before the Go tests)", clientDist)
	}
	if err != nil {
		t.Fatal(err)
	}
	copyDir := filepath.Join("web", "client")
	if *update {
		if err := os.RemoveAll(copyDir); err != nil {
			t.Fatal(err)
		}
		for name, b := range built {
			p := filepath.Join(copyDir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	copied := map[string][]byte{}
	sub, err := fs.Sub(console.Web, "client")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		sub = os.DirFS(copyDir)
	}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		copied[name], err = fs.ReadFile(sub, name)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for name, b := range built {
		if !bytes.Equal(copied[name], b) {
			stale = append(stale, name)
		}
	}
	for name := range copied {
		if _, ok := built[name]; !ok {
			stale = append(stale, name)
		}
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		t.Fatalf("web/client differs from the built client in %v: run go test ./internal/console -run TestClientCopyFresh -update", stale)
	}
}
