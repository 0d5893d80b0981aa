package server

import (
	"strconv"

	"github.com/stagedoor/stagedoor/access"
)

// parseCursor reads a cursor a client got from the API and sends back
// (?after=, Last-Event-ID): a non-negative integer spelled as the API
// writes it, in decimal digits without sign or leading zeros, so that each
// cursor has one spelling. field names it in the error.
func parseCursor(field, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != v {
		return 0, &access.InvalidError{Field: field, Detail: "must be a cursor the API gave: a non-negative integer in decimal digits"}
	}
	return n, nil
}
