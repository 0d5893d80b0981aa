package access

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest room name, user id or participant id, in bytes.
const MaxNameLen = 128

// CheckName enforces the one rule for room names, user ids and participant
// ids, wherever one enters: 1 to MaxNameLen bytes of valid UTF-8; no control,
// format or line-separator character (Unicode Cc, Cf, Zl, Zp: NUL, DEL,
// zero-width space, bidi overrides and isolates); no leading or trailing
// whitespace; not "." or ".."; no "/". Names are compared byte for byte and
// never normalised, so the rule refuses what would look alike but compare
// unequal, or could not be addressed in a URL path. field names the request
// member at fault.
func CheckName(field, name string) error {
	if detail := nameFault(name); detail != "" {
		return &InvalidError{Field: field, Detail: detail}
	}
	return nil
}

// nameFault says what breaks the name rule, or "" when nothing does.
func nameFault(name string) string {
	switch {
	case name == "":
		return "required"
	case len(name) > MaxNameLen:
		return fmt.Sprintf("longer than %d bytes", MaxNameLen)
	case !utf8.ValidString(name):
		return "must be valid UTF-8"
	case name == "." || name == "..":
		return fmt.Sprintf("%q cannot be a name", name)
	case strings.Contains(name, "/"):
		return "must not contain '/'"
	}
	for i, r := range name {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return fmt.Sprintf("must not contain the control or format character %U (at byte %d)", r, i)
		}
	}
	first, _ := utf8.DecodeRuneInString(name)
	last, _ := utf8.DecodeLastRuneInString(name)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return "must not begin or end with whitespace"
	}
	return ""
}
