package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

type metrics struct {
	minted        *labelled
	verifications *labelled
	authFailures  prometheus.Counter
	latency       *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		minted: &labelled{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stagedoor_tokens_minted_total", Help: "Access tokens minted, by how they were asked for.",
		}, []string{"kind"})},
		verifications: &labelled{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stagedoor_verifications_total", Help: "Token verifications, by outcome (allowed, or the problem code).",
		}, []string{"outcome"})},
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stagedoor_api_key_auth_failures_total", Help: "Failed API key authentications.",
		}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "stagedoor_http_request_duration_seconds", Help: "HTTP request latency by route and status.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"route", "code"}),
	}
	reg.MustRegister(m.minted.vec, m.verifications.vec, m.authFailures, m.latency,
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

// instrument records the latency of route's requests. The histogram of
// each status is looked up once per route, not once per request.
func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	var byStatus sync.Map // int -> prometheus.Observer
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		o, ok := byStatus.Load(rec.status)
		if !ok {
			o, _ = byStatus.LoadOrStore(rec.status, m.latency.WithLabelValues(route, strconv.Itoa(rec.status)))
		}
		o.(prometheus.Observer).Observe(time.Since(start).Seconds())
	})
}

// labelled returns the child of vec with the one label value v, looked up
// once per value.
type labelled struct {
	vec      *prometheus.CounterVec
	children sync.Map // string -> prometheus.Counter
}

func (l *labelled) with(v string) prometheus.Counter {
	c, ok := l.children.Load(v)
	if !ok {
		c, _ = l.children.LoadOrStore(v, l.vec.WithLabelValues(v))
	}
	return c.(prometheus.Counter)
}
