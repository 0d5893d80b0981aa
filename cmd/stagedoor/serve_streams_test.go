package main

import (
	"net/http"
	"strings"
	"testing"
)

// The stream caps take whole numbers of at least 1, from the flags or,
// when a flag is not given, from the environment.
func TestServeStreamCapsRefuseBadValues(t *testing.T) {
	wantFailure(t, cli(t, "", "serve", "--max-streams", "0"), 2, "--max-streams must be at least 1")
	wantFailure(t, cli(t, "", "serve", "--max-streams-per-credential", "-1"), 2, "--max-streams-per-credential must be at least 1")
	t.Setenv("STAGEDOOR_MAX_STREAMS_PER_CREDENTIAL", "many")
	wantFailure(t, cli(t, "", "serve"), 2, `STAGEDOOR_MAX_STREAMS_PER_CREDENTIAL: "many" is not an integer`)
	t.Setenv("STAGEDOOR_MAX_STREAMS_PER_CREDENTIAL", "0")
	wantFailure(t, cli(t, "", "serve"), 2, "--max-streams-per-credential must be at least 1")
}

// STAGEDOOR_MAX_STREAMS_PER_CREDENTIAL reaches the server.
func TestServeStreamCapFromEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Setenv("STAGEDOOR_MAX_STREAMS_PER_CREDENTIAL", "1")
	p := startServe(t, t.TempDir())
	m := bannerKey.FindStringSubmatch(p.stdout)
	if m == nil {
		t.Fatalf("first start printed no API key:\n%s", p.stdout)
	}
	key, sec := m[1], m[2]
	if status, body := p.post(t, "/v1/rooms", key, sec, `{"name":"stage"}`); status != http.StatusCreated {
		t.Fatalf("create room: %d %v", status, body)
	}
	open := func() *http.Response {
		req, _ := http.NewRequest("GET", p.url+"/v1/rooms/stage/events", nil)
		req.SetBasicAuth(key, sec)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if resp := open(); resp.StatusCode != http.StatusOK {
		t.Fatalf("first stream: %d", resp.StatusCode)
	}
	resp := open()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("second stream: %d %v", resp.StatusCode, resp.Header)
	}
}
