package postgres

import (
	"github.com/jackc/pgx/v5"
)

// scanner is a pgx.Row or pgx.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect scans every row with scan and closes rows.
func collect[T any](rows pgx.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, fail("", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fail("scan", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("", err)
	}
	return out, nil
}

// limit returns the value for a LIMIT parameter: nil, which caps nothing,
// if n is zero or less.
func limit(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}
