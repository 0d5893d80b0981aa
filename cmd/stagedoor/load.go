package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/stagedoor/stagedoor/internal/load"
)

type loadFlags struct {
	targets     []string
	concurrency int
	duration    time.Duration
	requests    int
	method      string
	path        string
	body        string
	basic       string
	bearers     []string
	headers     []string
}

func newLoadCmd() *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Drive stagedoor nodes on this machine and report throughput and latency",
		Long: `Send the same request to one or more stagedoor nodes with concurrent
keep-alive clients, for a duration or a number of requests, and print
{"requests","errors","req_per_s","p50_us","p99_us"} as JSON. Answers other
than 2xx count as errors. Only loopback targets are accepted.`,
		Example: `  stagedoor load --target http://127.0.0.1:7800 --concurrency 16 --duration 10s \
    --path /v1/tokens --basic "$KEY:$SECRET" --body '{"user_id":"alice","role":"viewer"}'
  stagedoor load --target http://127.0.0.1:7800 --target http://127.0.0.1:7801 --requests 100000 \
    --path /v1/verify --bearer "$TOKEN" --body '{"room":"demo","permission":"consume"}'`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLoad(cmd, f)
		},
	}
	cmd.AddCommand(newLoadFloorCmd(), newLoadEventsCmd())
	fl := cmd.Flags()
	fl.StringArrayVar(&f.targets, "target", nil, "base URL of a node, http:// on loopback; repeat for several (clients are spread over them)")
	fl.IntVar(&f.concurrency, "concurrency", 8, "number of concurrent clients")
	fl.DurationVar(&f.duration, "duration", 10*time.Second, "how long to run, at most 10m")
	fl.IntVar(&f.requests, "requests", 0, "stop after this many requests (0: only the duration bounds the run)")
	fl.StringVar(&f.method, "method", "POST", "HTTP method")
	fl.StringVar(&f.path, "path", "/v1/verify", "request path")
	fl.StringVar(&f.body, "body", "", "request body, sent as application/json")
	fl.StringVar(&f.basic, "basic", "", "API key credentials key:secret for Basic authentication")
	fl.StringArrayVar(&f.bearers, "bearer", nil, "access token for Bearer authentication; repeat for several (each client takes them in turn)")
	fl.StringArrayVar(&f.headers, "header", nil, "extra header Name: value; repeatable")
	return cmd
}

func runLoad(cmd *cobra.Command, f loadFlags) error {
	if err := requireFlags(cmd, "target"); err != nil {
		return err
	}
	if f.basic != "" && len(f.bearers) > 0 {
		return usageError("--basic and --bearer exclude each other")
	}
	h := http.Header{}
	if f.body != "" {
		h.Set("Content-Type", "application/json")
	}
	for _, kv := range f.headers {
		name, value, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return usageError("--header %q: want Name: value", kv)
		}
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	build := load.Static(f.method, f.path, []byte(f.body), h)
	if f.basic != "" {
		key, secret, ok := strings.Cut(f.basic, ":")
		if !ok {
			return usageError("--basic: want key:secret")
		}
		static := build
		build = func(target string, w, i int) (*http.Request, error) {
			req, err := static(target, w, i)
			if err == nil {
				req.SetBasicAuth(key, secret)
			}
			return req, err
		}
	}
	if len(f.bearers) > 0 {
		static := build
		build = func(target string, w, i int) (*http.Request, error) {
			req, err := static(target, w, i)
			if err == nil {
				req.Header.Set("Authorization", "Bearer "+f.bearers[(w+i)%len(f.bearers)])
			}
			return req, err
		}
	}
	if f.duration <= 0 {
		return usageError("--duration must be positive")
	}
	r, err := load.Run(cmd.Context(), load.Options{
		Targets: f.targets, Concurrency: f.concurrency, Duration: f.duration, Requests: f.requests, Request: build,
	})
	if err != nil {
		return usageError("%v", err)
	}
	return printJSON(cmd.OutOrStdout(), r)
}

func newLoadFloorCmd() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "floor",
		Short: "Serve the bare handler that load results are compared with",
		Long: `Serve, on a loopback address, a plain net/http handler that reads each
request's body and answers 200 with a fixed 30-byte JSON: the most an HTTP
server on this machine can do. Drive it with the same ` + "`stagedoor load`" + ` as a
node and state the node's figures as ratios of the floor's, which hold
from one machine, or one moment, to the next.`,
		Example: `  stagedoor load floor --addr 127.0.0.1:7900 &
  stagedoor load --target http://127.0.0.1:7900 --duration 10s --body '{"room":"demo","permission":"consume"}'`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := load.CheckTarget("http://" + addr); err != nil {
				return usageError("--addr: %v", err)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: load.Floor(), ReadHeaderTimeout: 5 * time.Second}
			slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil)).Info("serving", "addr", ln.Addr().String())
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				srv.Close()
			}()
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:7900", "loopback address to listen on")
	return cmd
}

func newLoadEventsCmd() *cobra.Command {
	var (
		o       load.EventsOptions
		basic   string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Follow one room's events with many subscribers and time the fan-out",
		Long: `Make a livestream room, mint a token for each of --subscribers distinct
viewers with the API key, join each one and open its event stream (spread
round-robin over the --target nodes), then have a host on the first node
change what it produces --writes times, one at a time, and time each
change from just before its request to its arrival on every stream.
Meanwhile each session is renewed when half its lease is gone, as a
viewer's client would. Then, with every session just renewed and every
stream open and idle, read the nodes' CPU over --idle (cut short to end
before the first lease does), and their resident memory before the
streams opened and after, from their /metrics. Each phase's end is told
on stderr. The room is ended last. Prints
{"delivered","missed","p50_ms","p90_ms","p99_ms","max_ms","idle_cpu_cores",
"rss_per_stream_kb","go_per_stream_kb",...} as JSON. Only loopback targets are accepted; the
soft limit on open files is raised to the hard one, which must allow a
file per subscriber.`,
		Example: `  stagedoor load events --target http://127.0.0.1:7800 --basic "$KEY:$SECRET" --subscribers 10000
  stagedoor load events --target http://127.0.0.1:7800 --target http://127.0.0.1:7801 \
    --target http://127.0.0.1:7802 --basic "$KEY:$SECRET" --subscribers 10000 --writes 20`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "target", "basic"); err != nil {
				return err
			}
			var ok bool
			if o.Key, o.Secret, ok = strings.Cut(basic, ":"); !ok {
				return usageError("--basic: want key:secret")
			}
			if timeout <= 0 || timeout > load.MaxDuration {
				return usageError("--timeout must be positive and at most %v", load.MaxDuration)
			}
			if o.Room == "" {
				o.Room = fmt.Sprintf("load-%d", time.Now().UnixNano())
			}
			if err := o.Check(); err != nil {
				return usageError("%v", err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			o.Progress = cmd.ErrOrStderr()
			r, err := load.Events(ctx, o)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), r)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Targets, "target", nil, "base URL of a node, http:// on loopback; repeat for several (subscribers are spread over them, the writer is on the first)")
	fl.StringVar(&basic, "basic", "", "API key credentials key:secret that make the room and mint the tokens")
	fl.StringVar(&o.Room, "room", "", "name of the room to make (default load-<time>)")
	fl.IntVar(&o.Subscribers, "subscribers", 1000, "event streams, one distinct viewer each")
	fl.IntVar(&o.Writes, "writes", 10, "events the writer makes, each timed on every stream")
	fl.DurationVar(&o.Wait, "wait", 10*time.Second, "how long one write waits for every stream to see it")
	fl.DurationVar(&o.Idle, "idle", 10*time.Second, "window over which the idle nodes' CPU is read, at most 25s")
	fl.BoolVar(&o.Moderators, "moderators", false, "subscribers follow as viewers holding moderate.admit, with no session to join and renew (needs a production key)")
	fl.IntVar(&o.Concurrency, "concurrency", 32, "set-up requests in flight at once")
	fl.DurationVar(&timeout, "timeout", 5*time.Minute, "bound on the whole run")
	return cmd
}
