package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckTarget(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:7800", "http://127.9.9.9", "http://[::1]:80", "http://localhost:1"} {
		if err := CheckTarget(ok); err != nil {
			t.Errorf("CheckTarget(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:7800", "https://127.0.0.1", "http://10.0.0.1", "http://example.com", "http://0.0.0.0:80", "ftp://localhost", "http://localhost.example.com"} {
		if err := CheckTarget(bad); err == nil {
			t.Errorf("CheckTarget(%q) accepted it", bad)
		}
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	var sent atomic.Int64
	build := func(target string, _, _ int) (*http.Request, error) {
		sent.Add(1)
		return http.NewRequest("GET", target, nil)
	}
	for name, o := range map[string]Options{
		"no target":        {Concurrency: 1, Request: build},
		"remote target":    {Targets: []string{"http://127.0.0.1:1", "http://192.0.2.1:80"}, Concurrency: 1, Request: build},
		"no concurrency":   {Targets: []string{"http://127.0.0.1:1"}, Request: build},
		"too many clients": {Targets: []string{"http://127.0.0.1:1"}, Concurrency: MaxConcurrency + 1, Request: build},
		"too long":         {Targets: []string{"http://127.0.0.1:1"}, Concurrency: 1, Duration: MaxDuration + 1, Request: build},
		"too many":         {Targets: []string{"http://127.0.0.1:1"}, Concurrency: 1, Requests: MaxRequests + 1, Request: build},
		"no builder":       {Targets: []string{"http://127.0.0.1:1"}, Concurrency: 1},
	} {
		if _, err := Run(t.Context(), o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests built for refused options", n)
	}
}

// TestRunCounts sends a fixed number of requests over two targets and
// counts the answers that are not 2xx as errors.
func TestRunCounts(t *testing.T) {
	var hits [2]atomic.Int64
	servers := make([]string, 2)
	for i := range servers {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n := hits[i].Add(1); strings.HasSuffix(r.URL.Path, "/fail") && n%2 == 0 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}))
		t.Cleanup(srv.Close)
		servers[i] = srv.URL
	}
	r, err := Run(t.Context(), Options{Targets: servers, Concurrency: 4, Requests: 200, Request: Static("POST", "/fail", []byte("{}"), nil)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 200 || hits[0].Load()+hits[1].Load() != 200 {
		t.Fatalf("result %+v, hits %d+%d, want 200", r, hits[0].Load(), hits[1].Load())
	}
	if hits[0].Load() == 0 || hits[1].Load() == 0 {
		t.Errorf("a target got nothing: %d %d", hits[0].Load(), hits[1].Load())
	}
	if r.Errors < 90 || r.Errors > 110 {
		t.Errorf("%d errors, want about half of 200", r.Errors)
	}
	if r.ReqPerS <= 0 || r.P50us <= 0 || r.P99us < r.P50us {
		t.Errorf("figures %+v", r)
	}
}

// TestRunStopsAtDuration bounds a run by time alone.
func TestRunStopsAtDuration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	start := time.Now()
	r, err := Run(context.Background(), Options{Targets: []string{srv.URL}, Concurrency: 2, Duration: 200 * time.Millisecond, Request: Static("GET", "/", nil, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a 200 ms run took %v", took)
	}
	if r.Requests == 0 || r.Errors != 0 {
		t.Errorf("result %+v", r)
	}
}
