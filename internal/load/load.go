// Package load drives stagedoor's HTTP API on loopback with concurrent
// keep-alive clients and reports throughput and latency (Run), or follows
// one room's events with many viewers' streams and reports the fan-out's
// latency and the nodes' idle CPU and memory per stream (Events). It
// refuses targets that are not on this machine, and every run is bounded
// in time and in requests.
package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Limits on one run.
const (
	MaxConcurrency = 1024
	MaxDuration    = 10 * time.Minute
	MaxRequests    = 10_000_000
)

// Options say what to drive and for how long.
type Options struct {
	// Targets are the base URLs of the nodes, each http:// on a loopback
	// address. Client w sends to Targets[w % len(Targets)].
	Targets []string
	// Concurrency is the number of clients, each one request at a time on
	// its own keep-alive connection.
	Concurrency int
	// Duration bounds the run in time; zero means MaxDuration.
	Duration time.Duration
	// Requests bounds the run in requests; zero means MaxRequests.
	Requests int
	// Request builds request i of client w for a target base URL.
	Request func(target string, w, i int) (*http.Request, error)
	// OK says whether a status counts as a success; nil means 2xx.
	OK func(status int) bool
}

// Result is what a run measured. Requests counts every request sent,
// Errors those that failed or whose status was not OK.
type Result struct {
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	ReqPerS  float64 `json:"req_per_s"`
	P50us    int64   `json:"p50_us"`
	P99us    int64   `json:"p99_us"`
}

// Run drives the targets until the duration passes, the requests are
// sent or ctx ends.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.check(); err != nil {
		return Result{}, err
	}
	duration := o.Duration
	if duration == 0 {
		duration = MaxDuration
	}
	requests := o.Requests
	if requests == 0 {
		requests = MaxRequests
	}
	ok := o.OK
	if ok == nil {
		ok = func(status int) bool { return status >= 200 && status < 300 }
	}
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialLoopback,
		MaxIdleConns:        o.Concurrency,
		MaxIdleConnsPerHost: o.Concurrency,
		IdleConnTimeout:     time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var tickets, errs atomic.Int64
	lat := make([][]time.Duration, o.Concurrency)
	var buildErr error
	var once sync.Once
	var wg sync.WaitGroup
	begin := time.Now()
	for w := range o.Concurrency {
		wg.Go(func() {
			target := o.Targets[w%len(o.Targets)]
			for i := 0; ctx.Err() == nil; i++ {
				if tickets.Add(1) > int64(requests) {
					return
				}
				req, err := o.Request(target, w, i)
				if err != nil {
					once.Do(func() { buildErr = err })
					cancel()
					return
				}
				start := time.Now()
				resp, err := client.Do(req.WithContext(ctx))
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if ctx.Err() != nil && err != nil {
					return // cut short by the end of the run: not measured
				}
				lat[w] = append(lat[w], time.Since(start))
				if err != nil || !ok(resp.StatusCode) {
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	if buildErr != nil {
		return Result{}, fmt.Errorf("build request: %w", buildErr)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := Result{Requests: int64(len(all)), Errors: errs.Load()}
	if len(all) > 0 {
		r.ReqPerS = float64(len(all)) / elapsed.Seconds()
		r.P50us = quantile(all, 0.50).Microseconds()
		r.P99us = quantile(all, 0.99).Microseconds()
	}
	return r, nil
}

// quantile returns the q-quantile of sorted, which is not empty.
func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(int(q*float64(len(sorted))), len(sorted)-1)]
}

func (o Options) check() error {
	if err := checkTargets(o.Targets); err != nil {
		return err
	}
	switch {
	case o.Concurrency < 1 || o.Concurrency > MaxConcurrency:
		return fmt.Errorf("concurrency %d: must be between 1 and %d", o.Concurrency, MaxConcurrency)
	case o.Duration < 0 || o.Duration > MaxDuration:
		return fmt.Errorf("duration %v: must be at most %v", o.Duration, MaxDuration)
	case o.Requests < 0 || o.Requests > MaxRequests:
		return fmt.Errorf("requests %d: must be at most %d", o.Requests, MaxRequests)
	case o.Request == nil:
		return errors.New("no request builder")
	}
	return nil
}

// checkTargets requires at least one target, each accepted by
// CheckTarget.
func checkTargets(targets []string) error {
	if len(targets) == 0 {
		return errors.New("no target")
	}
	for _, t := range targets {
		if err := CheckTarget(t); err != nil {
			return err
		}
	}
	return nil
}

// CheckTarget accepts an http:// base URL whose host is a loopback IP
// address or localhost, and refuses anything else.
func CheckTarget(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("target %q: %w", target, err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("target %q: must be an http:// URL", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("target %q: only loopback addresses (127.0.0.0/8, ::1, localhost) may be driven", target)
}

// dialLoopback connects like net.Dialer but refuses a peer that is not a
// loopback address, whatever the name resolved to.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		c.Close()
		return nil, fmt.Errorf("%s is not a loopback address", c.RemoteAddr())
	}
	return c, nil
}

// Static returns a Request builder that sends the same method, path, body
// and header every time.
func Static(method, path string, body []byte, header http.Header) func(target string, w, i int) (*http.Request, error) {
	return func(target string, _, _ int) (*http.Request, error) {
		req, err := http.NewRequest(method, target+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if header != nil {
			req.Header = header.Clone()
		}
		return req, nil
	}
}
