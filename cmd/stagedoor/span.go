package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// day is the unit of spans written in days, such as 90d.
const day = 24 * time.Hour

// parseSpan reads a span of time: whole days such as 90d, or a Go duration
// such as 36h or 90m. It refuses negative spans.
func parseSpan(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n > math.MaxInt64/int64(day) {
			return 0, fmt.Errorf("%q is not a span such as 90d, 36h or 90m", s)
		}
		d = time.Duration(n) * day
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a span such as 90d, 36h or 90m", s)
		}
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

// formatSpan writes d as parseSpan reads it, in days when it is whole days.
func formatSpan(d time.Duration) string {
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// spanFlag is a flag holding a span of time, as parseSpan reads it.
type spanFlag time.Duration

// Set implements pflag.Value.
func (f *spanFlag) Set(s string) error {
	d, err := parseSpan(s)
	if err != nil {
		return err
	}
	*f = spanFlag(d)
	return nil
}

// String implements pflag.Value.
func (f *spanFlag) String() string { return formatSpan(time.Duration(*f)) }

// Type implements pflag.Value.
func (f *spanFlag) Type() string { return "span" }

// parseWhen reads a point in time: an RFC 3339 time, or a span before now
// (24h: a day ago).
func parseWhen(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := parseSpan(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time such as 2025-06-01T12:00:00Z nor a span before now such as 7d or 36h", s)
	}
	return now.Add(-d), nil
}
