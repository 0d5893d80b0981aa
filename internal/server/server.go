// Package server is the HTTP shell around the authority: it decodes
// requests, calls one authority method, and encodes the result or an RFC 9457
// problem. No decision is made here.
package server

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stagedoor/stagedoor/api"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/console"
	"github.com/stagedoor/stagedoor/internal/livekit"
	"github.com/stagedoor/stagedoor/problem"
)

// Config holds the server's dependencies.
type Config struct {
	Auth *authority.Authority
	// LiveKit mints tokens in LiveKit's format and takes LiveKit's
	// webhooks; nil refuses both.
	LiveKit *livekit.Integration
	Logger  *slog.Logger
	// Registry receives the server's metrics; nil means a new registry.
	Registry *prometheus.Registry
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBodyBytes caps request bodies; default 64 KiB.
	MaxBodyBytes int64
	// FailedAuthRate and FailedAuthBurst limit failed API-key
	// authentications of one key from one client address; default 1/s,
	// burst 10. FailedAuthAddrRate and FailedAuthAddrBurst limit the
	// failures of one client address across keys; default 10/s, burst 100.
	// An address's failures never throttle another address.
	FailedAuthRate      float64
	FailedAuthBurst     int
	FailedAuthAddrRate  float64
	FailedAuthAddrBurst int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed: a request from one of them is throttled as coming from
	// the last address in X-Forwarded-For that is not itself a trusted
	// proxy. Empty believes no header: every request comes from its
	// connection's peer.
	TrustedProxies []netip.Prefix
	// EventPing is how long an idle event stream waits before a
	// heartbeat comment; default 15s.
	EventPing time.Duration
	// StreamsPerCredential caps the event streams and long polls one
	// access token (by jti) or API key holds open at once; StreamsPerNode
	// caps those of the whole server. Zero means
	// DefaultStreamsPerCredential and DefaultStreamsPerNode.
	StreamsPerCredential int
	StreamsPerNode       int
}

// Server is the HTTP API.
type Server struct {
	auth    *authority.Authority
	lk      *livekit.Integration
	log     *slog.Logger
	now     func() time.Time
	maxBody int64
	ping    time.Duration
	limits  *failureLimiter
	proxies []netip.Prefix
	slots   *streamSlots
	// pulse beats twice per ping interval for the event streams.
	pulse   *pulse
	metrics *metrics
	mux     *http.ServeMux
	// streams ends with EndStreams; event streams and long polls end with it.
	streams    context.Context
	endStreams context.CancelFunc
}

// New returns the HTTP API over cfg.Auth.
func New(cfg Config) *Server {
	s := &Server{auth: cfg.Auth, lk: cfg.LiveKit, log: cfg.Logger, now: cfg.Now, maxBody: cfg.MaxBodyBytes, ping: cfg.EventPing}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody == 0 {
		s.maxBody = 64 << 10
	}
	if s.ping == 0 {
		s.ping = 15 * time.Second
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(reg)
	s.limits = newFailureLimiter(limitOr(cfg.FailedAuthRate, cfg.FailedAuthBurst, 1, 10),
		limitOr(cfg.FailedAuthAddrRate, cfg.FailedAuthAddrBurst, 10, 100), maxBuckets, s.now)
	s.proxies = slices.Clone(cfg.TrustedProxies)
	s.slots = newStreamSlots(cmp.Or(cfg.StreamsPerCredential, DefaultStreamsPerCredential), cmp.Or(cfg.StreamsPerNode, DefaultStreamsPerNode), reg)
	s.pulse = newPulse(s.ping / 2)
	s.streams, s.endStreams = context.WithCancel(context.Background())
	s.routes(reg)
	return s
}

func (s *Server) routes(reg *prometheus.Registry) {
	m := http.NewServeMux()
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		m.Handle(pattern, s.metrics.instrument(pattern, s.handler(h)))
	}
	handle("POST /v1/tokens", s.createToken)
	handle("OPTIONS /v1/tokens", s.preflight)
	handle("POST /v1/tokens/refresh", s.refreshToken)
	handle("POST /v1/guests", s.createGuest)
	handle("OPTIONS /v1/guests", s.preflight)
	handle("POST /v1/verify", s.verify)
	handle("POST /v1/introspect", s.introspect)
	handle("POST /v1/revocations", s.createRevocation)
	handle("GET /v1/revocations", s.listRevocations)
	s.roomRoutes(handle)
	handle("POST /v1/livekit/webhook", s.liveKitWebhook)
	s.adminRoutes(handle)
	handle("GET /.well-known/jwks.json", s.jwks)
	handle("GET /healthz", s.healthz)
	handle("GET /readyz", s.readyz)
	m.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(api.OpenAPI)
	})
	m.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	m.Handle("GET "+console.Prefix, console.Handler())
	m.Handle("GET /console", http.RedirectHandler(console.Prefix, http.StatusMovedPermanently))
	// Unknown paths and wrong methods answer problem+json too, never the
	// router's plain text.
	m.Handle("/", s.handler(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path != "/" {
			if allowed := s.allowedMethods(r); allowed != "" {
				w.Header().Set("Allow", allowed)
				return problem.New(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path)
			}
		}
		return problem.New(http.StatusNotFound, "not_found", "no route "+r.Method+" "+r.URL.Path)
	}))
	s.mux = m
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.crossOrigin(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// allowedMethods lists the methods the path answers to, if any.
func (s *Server) allowedMethods(r *http.Request) string {
	allowed := ""
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := s.mux.Handler(probe); pattern != "/" {
			if allowed != "" {
				allowed += ", "
			}
			allowed += method
		}
	}
	return allowed
}

// handler turns a handler returning an error into an http.Handler that
// writes the error as a problem.
func (s *Server) handler(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		if err := h(w, r); err != nil {
			p := problemFor(err)
			if p.Status >= 500 {
				s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			p.Write(w)
		}
	})
}
