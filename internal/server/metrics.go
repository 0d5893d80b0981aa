package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

type metrics struct {
	minted        *prometheus.CounterVec
	verifications *prometheus.CounterVec
	authFailures  prometheus.Counter
	latency       *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		minted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stagedoor_tokens_minted_total", Help: "Access tokens minted, by how they were asked for.",
		}, []string{"kind"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stagedoor_verifications_total", Help: "Token verifications, by outcome (allowed, or the problem code).",
		}, []string{"outcome"}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stagedoor_api_key_auth_failures_total", Help: "Failed API key authentications.",
		}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "stagedoor_http_request_duration_seconds", Help: "HTTP request latency by route and status.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"route", "code"}),
	}
	reg.MustRegister(m.minted, m.verifications, m.authFailures, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// instrument records the latency of route's requests.
func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		m.latency.WithLabelValues(route, strconv.Itoa(rec.status)).Observe(time.Since(start).Seconds())
	})
}
