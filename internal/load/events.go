package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/stagedoor/stagedoor/client"
)

// Limits on one events run.
const (
	MaxSubscribers = 100_000
	MaxWrites      = 1000
	// MaxIdle keeps the idle window within the sessions' lease (30 s),
	// renewed just before it: no heartbeat falls inside the window.
	MaxIdle = 25 * time.Second
)

// EventsOptions say how many subscribers follow one room's events, where,
// and how the writer and the idle window run.
type EventsOptions struct {
	// Targets are the base URLs of the nodes, each http:// on a loopback
	// address. Subscriber i joins and follows through Targets[i %
	// len(Targets)]; the room is made and the writer writes on Targets[0].
	Targets []string
	// Key and Secret are an API key of the app, which makes the room and
	// mints each subscriber's token (a distinct user each) and the
	// writer's.
	Key, Secret string
	// Room is the room's name, a fresh one for each run.
	Room string
	// Subscribers is how many event streams follow the room.
	Subscribers int
	// Writes is how many events the writer makes, one at a time, each
	// once every subscriber saw the previous one or Wait passed.
	Writes int
	// Wait bounds how long a write waits for every subscriber to see it.
	Wait time.Duration
	// Idle is the window, with every stream open and nothing written, over
	// which the nodes' CPU is measured; at most MaxIdle, and cut short to
	// end before the first lease.
	Idle time.Duration
	// Moderators has the subscribers follow the room as viewers holding
	// moderate.admit, with no session, instead of as participants: no
	// join and no heartbeats, for a machine that cannot renew as many
	// sessions as there are subscribers. It needs a production key.
	Moderators bool
	// Progress, if set, hears when each phase ends.
	Progress io.Writer
	// Concurrency is how many set-up requests (mints, joins, heartbeats,
	// stream opens) are in flight at once.
	Concurrency int
}

// EventsResult is what an events run measured. Latencies run from just
// before the writer sends its request to a subscriber's receipt of the
// event, over every (write, subscriber) pair delivered. IdleCPU is the
// nodes' CPU time over the idle window, in cores, summed over the nodes;
// RSSPerStreamKB the growth of the nodes' resident memory from before the
// streams opened to the end of the idle window, divided by the streams,
// and GoPerStreamKB that of their Go heap and stacks in use (a process that
// held more memory before keeps it resident, not in use).
type EventsResult struct {
	Nodes          int            `json:"nodes"`
	Subscribers    int            `json:"subscribers"`
	Writes         int            `json:"writes"`
	Delivered      int64          `json:"delivered"`
	Missed         int64          `json:"missed"`
	Ended          map[string]int `json:"ended,omitempty"`
	P50ms          float64        `json:"p50_ms"`
	P90ms          float64        `json:"p90_ms"`
	P99ms          float64        `json:"p99_ms"`
	MaxMs          float64        `json:"max_ms"`
	IdleS          float64        `json:"idle_s"`
	IdleCPU        float64        `json:"idle_cpu_cores"`
	NodeIdleCPU    []float64      `json:"node_idle_cpu_cores"`
	RSSPerStreamKB float64        `json:"rss_per_stream_kb"`
	GoPerStreamKB  float64        `json:"go_per_stream_kb"`
	NodeRSSMB      []float64      `json:"node_rss_mb"`
}

// Check refuses options Events cannot run with.
func (o EventsOptions) Check() error {
	if err := checkTargets(o.Targets); err != nil {
		return err
	}
	switch {
	case o.Key == "" || o.Secret == "":
		return errors.New("an API key and its secret are needed")
	case o.Room == "":
		return errors.New("no room")
	case o.Subscribers < 1 || o.Subscribers > MaxSubscribers:
		return fmt.Errorf("subscribers %d: must be between 1 and %d", o.Subscribers, MaxSubscribers)
	case o.Writes < 1 || o.Writes > MaxWrites:
		return fmt.Errorf("writes %d: must be between 1 and %d", o.Writes, MaxWrites)
	case o.Wait <= 0 || o.Wait > time.Minute:
		return fmt.Errorf("wait %v: must be positive and at most 1m", o.Wait)
	case o.Idle <= 0 || o.Idle > MaxIdle:
		return fmt.Errorf("idle %v: must be positive and at most %v", o.Idle, MaxIdle)
	case o.Concurrency < 1 || o.Concurrency > MaxConcurrency:
		return fmt.Errorf("concurrency %d: must be between 1 and %d", o.Concurrency, MaxConcurrency)
	}
	return nil
}

// RaiseFileLimit lifts this process's soft limit on open files to its
// hard limit and fails unless it then allows need.
func RaiseFileLimit(need int) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return err
		}
	}
	if l.Cur < uint64(need) {
		return fmt.Errorf("open files: %d are needed, the hard limit allows %d (raise it with ulimit -Hn)", need, l.Cur)
	}
	return nil
}

// subscriber is one viewer: its node, its API client, session and stream.
type subscriber struct {
	target  string
	api     *client.Client
	token   string
	session string
	// lease is when the session ends unless renewed; only the goroutine
	// renewing sessions sets it after the join.
	lease time.Time
	// got holds when each of the writer's events arrived, in order.
	mu  sync.Mutex
	got []time.Time
	end string
	// seen counts, over every stream, the writer's events that arrived
	// and the streams that ended.
	seen *tally
}

// tally lets the writer wait for its event on every stream without
// visiting each one.
type tally struct{ arrived, ended atomic.Int64 }

// all reports whether every stream saw n of the writer's events or ended.
func (t *tally) all(n, streams int) bool {
	return t.arrived.Load()+int64(n)*t.ended.Load() >= int64(n*streams)
}

// Events runs the scenario: N subscribers, distinct users with a session
// each, join one livestream room and follow its events; a host then
// changes what it produces Writes times, and each change's arrival is
// timed on every stream; then, with the leases just renewed, the nodes'
// CPU is read over the idle window, and their memory before and after.
// The room is ended last. ctx bounds the whole run.
func Events(ctx context.Context, o EventsOptions) (EventsResult, error) {
	if err := o.Check(); err != nil {
		return EventsResult{}, err
	}
	if err := RaiseFileLimit(o.Subscribers + o.Concurrency + 64); err != nil {
		return EventsResult{}, err
	}
	tr := &http.Transport{DialContext: dialLoopback, MaxIdleConnsPerHost: o.Concurrency, IdleConnTimeout: time.Minute,
		ResponseHeaderTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	admin, err := client.New(o.Targets[0], client.WithAPIKey(o.Key, o.Secret), client.WithHTTPClient(hc))
	if err != nil {
		return EventsResult{}, err
	}
	if _, err := admin.CreateRoom(ctx, client.RoomRequest{Name: o.Room, Type: "livestream"}); err != nil {
		return EventsResult{}, fmt.Errorf("create room %q: %w", o.Room, err)
	}
	defer admin.EndRoom(context.WithoutCancel(ctx), o.Room)
	began := time.Now()
	progress := func(what string) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "%6.1fs %s\n", time.Since(began).Seconds(), what)
		}
	}
	writer := &subscriber{target: o.Targets[0]}
	ses, err := writer.join(ctx, admin, hc, o.Room, "load-writer", "host")
	if err != nil {
		return EventsResult{}, err
	}
	// Every session is renewed, as a viewer's client would, while the
	// others join and the streams open and the writes go.
	lease := ses.LeaseUntil.Sub(ses.CreatedAt)
	var joined viewers
	joined.add(writer)
	keeping := keepAlive(ctx, o, lease, joined.list)
	defer keeping()
	subs := make([]*subscriber, o.Subscribers)
	seen := new(tally)
	err = each(ctx, o.Concurrency, len(subs), func(ctx context.Context, i int) error {
		subs[i] = &subscriber{target: o.Targets[i%len(o.Targets)], seen: seen}
		user := fmt.Sprintf("load-viewer-%d", i)
		if o.Moderators {
			return subs[i].mint(ctx, admin, hc, client.TokenRequest{UserID: user, Role: "viewer", Rooms: []string{o.Room},
				Permissions: []string{"moderate.admit"}})
		}
		_, err := subs[i].join(ctx, admin, hc, o.Room, user, "viewer")
		if err == nil {
			joined.add(subs[i])
		}
		return err
	})
	if err != nil {
		return EventsResult{}, err
	}
	progress("tokens minted, sessions joined")
	head, err := headOf(ctx, admin, o.Room)
	if err != nil {
		return EventsResult{}, err
	}
	before, err := readNodes(ctx, hc, o.Targets)
	if err != nil {
		return EventsResult{}, err
	}

	streams, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	err = each(ctx, o.Concurrency, len(subs), func(ctx context.Context, i int) error {
		body, err := subs[i].open(streams, hc, o.Room, head)
		if err != nil {
			return err
		}
		wg.Go(func() { subs[i].follow(body, writer.session) })
		return nil
	})
	if err != nil {
		return EventsResult{}, err
	}
	progress("streams open")

	r := EventsResult{Nodes: len(o.Targets), Subscribers: o.Subscribers, Writes: o.Writes}
	sent := make([]time.Time, o.Writes)
	for w := range o.Writes {
		action := writer.api.Produce
		if w%2 == 1 {
			action = writer.api.Unproduce
		}
		sent[w] = time.Now()
		if _, err := action(ctx, o.Room, writer.session, "camera"); err != nil {
			return EventsResult{}, fmt.Errorf("write %d: %w", w, err)
		}
		if err := until(ctx, o.Wait, func() bool {
			return seen.all(w+1, len(subs))
		}); err != nil {
			return EventsResult{}, err
		}
	}
	var lat []time.Duration
	for _, s := range subs {
		s.mu.Lock()
		for w, at := range s.got[:min(len(s.got), o.Writes)] {
			lat = append(lat, at.Sub(sent[w]))
		}
		if s.end != "" {
			if r.Ended == nil {
				r.Ended = make(map[string]int)
			}
			r.Ended[s.end]++
		}
		s.mu.Unlock()
	}
	r.Delivered = int64(len(lat))
	r.Missed = int64(o.Subscribers*o.Writes) - r.Delivered
	if len(lat) > 0 {
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		r.P50ms, r.P90ms, r.P99ms = ms(quantile(lat, 0.50)), ms(quantile(lat, 0.90)), ms(quantile(lat, 0.99))
		r.MaxMs = ms(lat[len(lat)-1])
	}

	progress("written")

	// The idle window: the sessions renewed once more, then nothing sent
	// until the first lease is close to its end.
	if err := keeping(); err != nil {
		return EventsResult{}, err
	}
	all := joined.list()
	if err := renew(ctx, o, all, 0); err != nil {
		return EventsResult{}, err
	}
	first := slices.MinFunc(all, func(a, b *subscriber) int { return a.lease.Compare(b.lease) }).lease
	left := time.Until(first) - 2*time.Second
	window := min(o.Idle, left)
	if left < min(o.Idle, time.Second) {
		return EventsResult{}, fmt.Errorf("renewing the %d sessions took so long that no idle window is left within their lease", len(all))
	}
	progress("renewed; idle")
	start, err := readNodes(ctx, hc, o.Targets)
	if err != nil {
		return EventsResult{}, err
	}
	select {
	case <-time.After(window):
	case <-ctx.Done():
		return EventsResult{}, ctx.Err()
	}
	end, err := readNodes(ctx, hc, o.Targets)
	if err != nil {
		return EventsResult{}, err
	}
	r.IdleS = end[0].at.Sub(start[0].at).Seconds()
	var grown, inUse float64
	for i := range o.Targets {
		cpu := (end[i].cpu - start[i].cpu) / end[i].at.Sub(start[i].at).Seconds()
		r.NodeIdleCPU = append(r.NodeIdleCPU, round(cpu, 3))
		r.IdleCPU += cpu
		r.NodeRSSMB = append(r.NodeRSSMB, round(end[i].rss/(1<<20), 1))
		grown += end[i].rss - before[i].rss
		inUse += end[i].heap + end[i].stacks - before[i].heap - before[i].stacks
	}
	r.IdleCPU = round(r.IdleCPU, 3)
	r.RSSPerStreamKB = round(grown/float64(o.Subscribers)/1024, 1)
	r.GoPerStreamKB = round(inUse/float64(o.Subscribers)/1024, 1)
	r.IdleS = round(r.IdleS, 1)
	return r, nil
}

func round(v float64, digits int) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', digits, 64), 64)
	return f
}

// join mints the user's token and joins the room with it on the
// subscriber's node.
func (s *subscriber) join(ctx context.Context, admin *client.Client, hc *http.Client, room, user, role string) (client.Session, error) {
	if err := s.mint(ctx, admin, hc, client.TokenRequest{UserID: user, Role: role, Rooms: []string{room}}); err != nil {
		return client.Session{}, err
	}
	ses, err := s.api.Join(ctx, room)
	if err != nil {
		return client.Session{}, fmt.Errorf("%s joins %s: %w", user, room, err)
	}
	s.session, s.lease = ses.SessionID, ses.LeaseUntil
	return ses, nil
}

// mint gets the subscriber's token and its client.
func (s *subscriber) mint(ctx context.Context, admin *client.Client, hc *http.Client, req client.TokenRequest) error {
	t, err := admin.CreateToken(ctx, req)
	if err != nil {
		return fmt.Errorf("mint a token for %s: %w", req.UserID, err)
	}
	s.token = t.AccessToken
	s.api, err = client.New(s.target, client.WithHTTPClient(hc),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: t.AccessToken})))
	return err
}

// viewers are the sessions joined so far.
type viewers struct {
	mu  sync.Mutex
	all []*subscriber
}

func (v *viewers) add(s *subscriber) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.all = append(v.all, s)
}

func (v *viewers) list() []*subscriber {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.all)
}

// open opens the subscriber's event stream after head, kept open until
// streams ends, and returns its body once the server answered.
func (s *subscriber) open(streams context.Context, hc *http.Client, room string, head int64) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(streams, http.MethodGet, s.target+"/v1/rooms/"+url.PathEscape(room)+"/events", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Last-Event-ID", strconv.FormatInt(head, 10))
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open an event stream: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("open an event stream: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return resp.Body, nil
}

// follow reads the stream until it ends, noting when each event of the
// writer's session arrives, and why the stream ended if it said.
func (s *subscriber) follow(body io.ReadCloser, writer string) {
	defer body.Close()
	br := bufio.NewReaderSize(body, 1024)
	mine := []byte(`"session_id":"` + writer + `"`)
	var typ string
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
		at := time.Now()
		switch {
		case bytes.HasPrefix(line, []byte("event: ")):
			typ = string(bytes.TrimSpace(line[len("event: "):]))
		case bytes.HasPrefix(line, []byte("data: ")):
			s.mu.Lock()
			switch {
			case typ == "end":
				s.end = string(bytes.TrimSpace(line[len("data: "):]))
				s.seen.ended.Add(1)
			case bytes.Contains(line, mine) && strings.HasPrefix(typ, "produce."):
				s.got = append(s.got, at)
				s.seen.arrived.Add(1)
			}
			s.mu.Unlock()
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		}
	}
}

// headOf is the Seq of the room's newest event, read with the API key.
func headOf(ctx context.Context, admin *client.Client, room string) (int64, error) {
	var head int64
	for {
		page, err := admin.PollEvents(ctx, room, head, 0)
		if err != nil {
			return 0, fmt.Errorf("read the room's events: %w", err)
		}
		if len(page.Events) == 0 || page.Cursor == head {
			return head, nil
		}
		head = page.Cursor
	}
}

// renew renews the leases of the sessions that end within ahead, all of
// them when ahead is 0.
func renew(ctx context.Context, o EventsOptions, all []*subscriber, ahead time.Duration) error {
	var due []*subscriber
	for _, s := range all {
		if ahead == 0 || time.Until(s.lease) < ahead {
			due = append(due, s)
		}
	}
	return each(ctx, o.Concurrency, len(due), func(ctx context.Context, i int) error {
		ses, err := due[i].api.Heartbeat(ctx, o.Room, due[i].session)
		if err != nil {
			return fmt.Errorf("heartbeat: %w", err)
		}
		due[i].lease = ses.LeaseUntil
		return nil
	})
}

// keepAlive renews, until ctx ends, each session whose lease ends within
// half of it, as a viewer's client would; it returns a function that stops
// it and returns its error, the first time it is called.
func keepAlive(ctx context.Context, o EventsOptions, lease time.Duration, list func() []*subscriber) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	var once sync.Once
	var err error
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			if err := renew(ctx, o, list(), lease/2); err != nil {
				errc <- err
				return
			}
			select {
			case <-ctx.Done():
				errc <- nil
				return
			case <-tick.C:
			}
		}
	}()
	return func() error {
		once.Do(func() {
			cancel()
			if err = <-errc; errors.Is(err, context.Canceled) {
				err = nil
			}
		})
		return err
	}
}

// each calls fn for 0..n-1 with at most c calls at once, and returns the
// first error, after which no new call starts.
func each(ctx context.Context, c, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// until polls done every millisecond for at most wait; it fails only if
// ctx ends.
func until(ctx context.Context, wait time.Duration, done func() bool) error {
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !done() && time.Now().Before(deadline) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// node is what a node's /metrics said at a moment.
type node struct {
	at       time.Time
	cpu, rss float64
	// heap and stacks are the Go runtime's heap and stack bytes in use,
	// which, unlike rss, do not keep what a process held before.
	heap, stacks float64
}

func readNodes(ctx context.Context, hc *http.Client, targets []string) ([]node, error) {
	out := make([]node, len(targets))
	for i, t := range targets {
		n, err := readNode(ctx, hc, t)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// readNode reads a node's process CPU seconds and resident memory from
// its /metrics.
func readNode(ctx context.Context, hc *http.Client, target string) (node, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"/metrics", nil)
	if err != nil {
		return node{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return node{}, fmt.Errorf("read %s/metrics: %w", target, err)
	}
	defer resp.Body.Close()
	n := node{at: time.Now()}
	var found int
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		var dst *float64
		switch {
		case !ok:
			continue
		case name == "process_cpu_seconds_total":
			dst = &n.cpu
		case name == "process_resident_memory_bytes":
			dst = &n.rss
		case name == "go_memstats_heap_inuse_bytes":
			dst = &n.heap
		case name == "go_memstats_stack_inuse_bytes":
			dst = &n.stacks
		default:
			continue
		}
		if *dst, err = strconv.ParseFloat(value, 64); err != nil {
			return node{}, fmt.Errorf("%s/metrics: %s: %w", target, name, err)
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return node{}, fmt.Errorf("read %s/metrics: %w", target, err)
	}
	if resp.StatusCode != http.StatusOK || found != 4 {
		return node{}, fmt.Errorf("%s/metrics: %s, without process_cpu_seconds_total, process_resident_memory_bytes, go_memstats_heap_inuse_bytes and go_memstats_stack_inuse_bytes", target, resp.Status)
	}
	return n, nil
}
