package load

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
)

func TestRaiseFileLimit(t *testing.T) {
	if err := RaiseFileLimit(16); err != nil {
		t.Fatal(err)
	}
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	if l.Cur != l.Max {
		t.Fatalf("soft limit %d, hard %d", l.Cur, l.Max)
	}
	if err := RaiseFileLimit(math.MaxInt); err == nil || !strings.Contains(err.Error(), "hard limit") {
		t.Fatalf("more files than the hard limit: %v", err)
	}
}

// readNode takes the two process figures from /metrics and refuses an
// answer without them or with a value that is not a number.
func TestReadNode(t *testing.T) {
	body := "# HELP x\nprocess_cpu_seconds_total 1.5\nprocess_resident_memory_bytes 2.5e+07\nother 3\n" +
		"go_memstats_heap_inuse_bytes 7\ngo_memstats_stack_inuse_bytes 8\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()
	n, err := readNode(context.Background(), srv.Client(), srv.URL)
	if err != nil || n.cpu != 1.5 || n.rss != 2.5e7 || n.heap != 7 || n.stacks != 8 || n.at.IsZero() {
		t.Fatalf("node %+v, %v", n, err)
	}
	for _, bad := range []string{"process_cpu_seconds_total 1\n", strings.Replace(body, "1.5", "x", 1)} {
		body = bad
		if _, err := readNode(context.Background(), srv.Client(), srv.URL); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := readNode(context.Background(), srv.Client(), srv.URL+"/nothing"); err == nil {
		t.Error("a 404 read as a node's figures")
	}
}

func TestEventsOptionsCheck(t *testing.T) {
	good := EventsOptions{Targets: []string{"http://127.0.0.1:1"}, Key: "k", Secret: "s", Room: "r",
		Subscribers: 1, Writes: 1, Wait: 1, Idle: 1, Concurrency: 1}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*EventsOptions){
		"no target":   func(o *EventsOptions) { o.Targets = nil },
		"no secret":   func(o *EventsOptions) { o.Secret = "" },
		"no room":     func(o *EventsOptions) { o.Room = "" },
		"concurrency": func(o *EventsOptions) { o.Concurrency = MaxConcurrency + 1 },
		"subscribers": func(o *EventsOptions) { o.Subscribers = MaxSubscribers + 1 },
		"writes":      func(o *EventsOptions) { o.Writes = MaxWrites + 1 },
		"idle":        func(o *EventsOptions) { o.Idle = MaxIdle + 1 },
	} {
		o := good
		change(&o)
		if o.Check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The writer waits until every stream saw its event or ended.
func TestTally(t *testing.T) {
	var s tally
	s.arrived.Add(2)
	if s.all(1, 3) {
		t.Fatal("two of three streams saw the first event: all")
	}
	s.ended.Add(1)
	if !s.all(1, 3) {
		t.Fatal("two saw it and one ended: not all")
	}
	s.arrived.Add(1)
	if s.all(2, 3) {
		t.Fatal("one of the two live streams saw the second event: all")
	}
	s.arrived.Add(1)
	if !s.all(2, 3) {
		t.Fatal("both live streams saw the second event: not all")
	}
}
