package postgres

import "time"

// PostgreSQL keeps timestamps to the microsecond; times go in as they will
// come back out, and come back out in UTC.

// stamp returns t as the database keeps it.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nullStamp returns t as the database keeps it, or nil for a zero time.
func nullStamp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

// fromNull returns the time t points to in UTC, or the zero time.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// orNow returns t, or the current time if t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
