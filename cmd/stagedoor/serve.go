package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/livekit"
	"github.com/stagedoor/stagedoor/internal/server"
)

type serveFlags struct {
	data     dataFlags
	addr     string
	logLevel string
	// streamsPerCredential and streamsPerNode cap open event streams.
	streamsPerCredential int
	streamsPerNode       int
	// auditAge and auditEntries bound the audit log.
	auditAge     spanFlag
	auditEntries int64
	// liveKitReconcile is how often LiveKit rooms are compared with
	// their sessions.
	liveKitReconcile time.Duration
	// proxies are the reverse proxies whose X-Forwarded-For is believed,
	// as given and as parsed by check.
	proxyFlags []string
	proxies    []netip.Prefix
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API on the embedded database",
		Long: `Serve the HTTP API. On first start it creates the data directory, a master
key, the signing keys, an app named "default" and a development API key, and
prints that key and its secret once.`,
		Example: "  stagedoor serve --addr 127.0.0.1:7800 --data ./stagedoor-data",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.data.register(cmd)
	cmd.Flags().StringVar(&f.addr, "addr", envOr("STAGEDOOR_ADDR", "127.0.0.1:7800"), "address to listen on (STAGEDOOR_ADDR)")
	cmd.Flags().StringVar(&f.logLevel, "log-level", envOr("STAGEDOOR_LOG_LEVEL", "info"), "debug, info, warn or error (STAGEDOOR_LOG_LEVEL)")
	cmd.Flags().IntVar(&f.streamsPerCredential, "max-streams-per-credential", server.DefaultStreamsPerCredential, "event streams and long polls one access token or API key may hold open; more answer 429 (STAGEDOOR_MAX_STREAMS_PER_CREDENTIAL)")
	cmd.Flags().IntVar(&f.streamsPerNode, "max-streams", server.DefaultStreamsPerNode, "event streams and long polls this server holds open; more answer 429 (STAGEDOOR_MAX_STREAMS)")
	f.auditAge = spanFlag(authority.DefaultAuditRetention)
	cmd.Flags().Var(&f.auditAge, "audit-retention", "delete audit entries older than this, such as 90d or 36h; 0 keeps them at any age (STAGEDOOR_AUDIT_RETENTION)")
	cmd.Flags().Int64Var(&f.auditEntries, "audit-max-entries", 0, "keep at most this many audit entries, the newest; 0 keeps any number (STAGEDOOR_AUDIT_MAX_ENTRIES)")
	cmd.Flags().StringSliceVar(&f.proxyFlags, "trusted-proxy", envList("STAGEDOOR_TRUSTED_PROXIES"), "address or CIDR of a reverse proxy whose X-Forwarded-For names the client that failed authentications are counted against; repeat or separate with commas (STAGEDOOR_TRUSTED_PROXIES)")
	cmd.Flags().DurationVar(&f.liveKitReconcile, "livekit-reconcile", 5*time.Second, "how often each LiveKit room's participants are read and compared with its sessions (STAGEDOOR_LIVEKIT_RECONCILE)")
	return cmd
}

// envFlags are the flags of serve, other than strings, that variables set
// when the flag is not given, and what their values must be.
var envFlags = []struct{ flag, env, want string }{
	{"max-streams-per-credential", "STAGEDOOR_MAX_STREAMS_PER_CREDENTIAL", "an integer"},
	{"max-streams", "STAGEDOOR_MAX_STREAMS", "an integer"},
	{"audit-retention", "STAGEDOOR_AUDIT_RETENTION", "a span such as 90d, 36h or 0"},
	{"audit-max-entries", "STAGEDOOR_AUDIT_MAX_ENTRIES", "an integer"},
}

// check applies the environment to the flags not given and refuses values
// out of range.
func (f *serveFlags) check(cmd *cobra.Command) error {
	for _, e := range envFlags {
		v, ok := os.LookupEnv(e.env)
		if !ok || v == "" || cmd.Flags().Changed(e.flag) {
			continue
		}
		if err := cmd.Flags().Set(e.flag, v); err != nil {
			return usageError("%s: %q is not %s", e.env, v, e.want)
		}
	}
	if f.streamsPerCredential < 1 {
		return usageError("--max-streams-per-credential must be at least 1")
	}
	if f.streamsPerNode < 1 {
		return usageError("--max-streams must be at least 1")
	}
	if f.auditEntries < 0 {
		return usageError("--audit-max-entries must not be negative")
	}
	if v, ok := os.LookupEnv("STAGEDOOR_LIVEKIT_RECONCILE"); ok && v != "" && !cmd.Flags().Changed("livekit-reconcile") {
		if err := cmd.Flags().Set("livekit-reconcile", v); err != nil {
			return usageError("STAGEDOOR_LIVEKIT_RECONCILE: %q is not a duration", v)
		}
	}
	if f.liveKitReconcile < 100*time.Millisecond {
		return usageError("--livekit-reconcile must be at least 100ms")
	}
	proxies, err := parseProxies(f.proxyFlags)
	if err != nil {
		return err
	}
	f.proxies = proxies
	return nil
}

// parseProxies reads --trusted-proxy values: addresses, each a prefix of
// its own, or CIDR prefixes.
func parseProxies(vs []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range vs {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil || a.Zone() != "" {
				return nil, usageError("--trusted-proxy: %q is neither an address nor a CIDR prefix", v)
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// envList is the comma-separated list in the variable env, or none.
func envList(env string) []string {
	var out []string
	for v := range strings.SplitSeq(os.Getenv(env), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// retention is the audit retention the flags set.
func (f *serveFlags) retention() authority.AuditRetention {
	return authority.AuditRetention{MaxAge: time.Duration(f.auditAge), MaxEntries: f.auditEntries}
}

func serve(ctx context.Context, f serveFlags, stdout, stderr io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usageError("--log-level: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	n, err := openNode(ctx, f.data, log, f.retention())
	if err != nil {
		return err
	}
	defer n.Close()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	if err := bootstrap(ctx, n, "http://"+ln.Addr().String(), stdout); err != nil {
		ln.Close()
		return err
	}
	lk := livekit.New(livekit.Config{Auth: n.auth, Store: n.store, Box: n.box, Logger: log, Reconcile: f.liveKitReconcile})
	if err := lk.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return fmt.Errorf("livekit: %w", err)
	}
	defer lk.Close()
	api := server.New(server.Config{Auth: n.auth, LiveKit: lk, Logger: log, StreamsPerCredential: f.streamsPerCredential, StreamsPerNode: f.streamsPerNode, TrustedProxies: f.proxies})
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(api.EndStreams)
	log.Info("serving", "addr", ln.Addr().String(), "data", f.data.dir, "console", "http://"+ln.Addr().String()+"/console/",
		"audit_retention", formatSpan(time.Duration(f.auditAge)), "audit_max_entries", f.auditEntries)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bootstrap creates the "default" app and a development key on a fresh
// data directory, and prints the key once with a curl line that mints a
// token.
func bootstrap(ctx context.Context, n *node, url string, out io.Writer) error {
	apps, err := n.auth.ListApps(ctx)
	if err != nil || len(apps) > 0 {
		return err
	}
	app, err := n.auth.CreateApp(ctx, authority.AsOperator("system"), "default")
	var conflict *authority.ConflictError
	if errors.As(err, &conflict) {
		return nil // another node sharing the database bootstrapped it
	}
	if err != nil {
		return err
	}
	k, err := n.auth.CreateAPIKey(ctx, authority.AsOperator("system"), app.ID, access.Development)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Created app %q and a development API key. The secret is shown only now:\n\n", "default")
	fmt.Fprintf(&b, "  api key:    %s\n  api secret: %s\n\n", k.APIKey, k.Secret)
	fmt.Fprintf(&b, "Mint a token:\n\n  curl -s -u '%s:%s' -H 'Content-Type: application/json' \\\n    -d '{\"user_id\":\"alice\",\"role\":\"host\",\"rooms\":[\"demo\"]}' %s/v1/tokens\n\n", k.APIKey, k.Secret, url)
	fmt.Fprintf(&b, "The web console is at %s/console/; sign in with the link `stagedoor admin login` prints.\n\n", url)
	_, err = io.WriteString(out, b.String())
	return err
}
