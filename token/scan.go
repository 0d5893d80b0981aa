package token

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a strict JSON reader over a decoded header or claim set. It
// rejects invalid UTF-8, lone surrogate escapes, duplicate member names,
// nesting deeper than MaxDepth and anything encoding/json would reject.
type scanner struct {
	s     string
	i     int
	depth int
}

// MaxDepth is how deeply the arrays and objects of a JSON value in a token
// (user metadata, an unknown claim) may nest. The header, the claim set and
// its grants and user objects do not count.
const MaxDepth = 32

// plain marks the ASCII bytes that stand for themselves in a JSON string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// maxDate is 9999-12-31T23:59:59Z, the largest accepted numeric date.
const maxDate = 253402300799

func (d *scanner) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// consume skips whitespace and then c, reporting whether c was there.
func (d *scanner) consume(c byte) bool {
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports an error unless only whitespace is left.
func (d *scanner) end() error {
	d.ws()
	if d.i != len(d.s) {
		return malformed("trailing data after JSON value")
	}
	return nil
}

// member starts the n-th member of an object whose '{' is consumed: it
// reads the name and the colon, or returns more == false at the '}'.
func (d *scanner) member(n int) (name string, more bool, err error) {
	if d.consume('}') {
		return "", false, nil
	}
	if n > 0 && !d.consume(',') {
		return "", false, malformed("expected ',' or '}' in object")
	}
	d.ws()
	if name, err = d.str(); err != nil {
		return "", false, err
	}
	if !d.consume(':') {
		return "", false, malformed("expected ':' after member name")
	}
	d.ws()
	return name, true, nil
}

// element starts the n-th element of an array whose '[' is consumed, or
// returns false at the ']'.
func (d *scanner) element(n int) (bool, error) {
	if d.consume(']') {
		return false, nil
	}
	if n > 0 && !d.consume(',') {
		return false, malformed("expected ',' or ']' in array")
	}
	d.ws()
	return true, nil
}

// str reads a string. Strings without escapes are returned as substrings
// of the input without copying.
func (d *scanner) str() (string, error) {
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", malformed("expected string")
	}
	d.i++
	start := d.i
	for d.i < len(d.s) {
		for d.i+8 <= len(d.s) && plain8(d.s[d.i:d.i+8]) {
			d.i += 8
		}
		for d.i < len(d.s) && plain[d.s[d.i]] {
			d.i++
		}
		if d.i == len(d.s) {
			break
		}
		c := d.s[d.i]
		switch {
		case c == '"':
			v := d.s[start:d.i]
			d.i++
			return v, nil
		case c == '\\':
			return d.unescape(start)
		case c < 0x20:
			return "", malformed("control character in string")
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, n := utf8.DecodeRuneInString(d.s[d.i:])
			if r == utf8.RuneError && n == 1 {
				return "", malformed("invalid UTF-8")
			}
			d.i += n
		}
	}
	return "", malformed("unterminated string")
}

// plain8 reports whether all of the 8 bytes of s are plain: it checks a
// little-endian word for control bytes, quotes, backslashes and non-ASCII.
func plain8(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	quote, backslash := w^(ones*'"'), w^(ones*'\\')
	special := (w - ones*0x20) | (quote-ones)&^quote | (backslash-ones)&^backslash | w
	return special&highs == 0
}

// unescape finishes a string that started at start and has an escape at
// d.i.
func (d *scanner) unescape(start int) (string, error) {
	b := make([]byte, 0, d.i-start+16)
	b = append(b, d.s[start:d.i]...)
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return string(b), nil
		case c == '\\':
			if d.i+1 >= len(d.s) {
				return "", malformed("unterminated string")
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := d.escapedRune()
				if err != nil {
					return "", err
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", malformed("invalid escape in string")
			}
		case c < 0x20:
			return "", malformed("control character in string")
		case c < utf8.RuneSelf:
			b = append(b, c)
			d.i++
		default:
			r, n := utf8.DecodeRuneInString(d.s[d.i:])
			if r == utf8.RuneError && n == 1 {
				return "", malformed("invalid UTF-8")
			}
			b = append(b, d.s[d.i:d.i+n]...)
			d.i += n
		}
	}
	return "", malformed("unterminated string")
}

// escapedRune reads the hex digits after "\u", and a second "\uXXXX" for a
// surrogate pair. Lone surrogates are rejected.
func (d *scanner) escapedRune() (rune, error) {
	r, ok := d.hex4()
	if !ok {
		return 0, malformed("invalid \\u escape")
	}
	if !utf16.IsSurrogate(r) {
		return r, nil
	}
	if r < 0xdc00 && strings.HasPrefix(d.s[d.i:], `\u`) {
		d.i += 2
		if r2, ok := d.hex4(); ok {
			if p := utf16.DecodeRune(r, r2); p != utf8.RuneError {
				return p, nil
			}
		}
	}
	return 0, malformed("lone surrogate in \\u escape")
}

func (d *scanner) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d.s[d.i : d.i+4]) {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

// date reads a numeric date: a JSON integer from 0 to maxDate, without
// fraction or exponent.
func (d *scanner) date() (int64, error) {
	start := d.i
	var n int64
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		if n <= maxDate {
			n = n*10 + int64(d.s[d.i]-'0')
		}
		d.i++
	}
	switch {
	case d.i == start:
		return 0, malformed("numeric date must be a non-negative integer")
	case d.s[start] == '0' && d.i-start > 1:
		return 0, malformed("leading zero in number")
	case d.i < len(d.s) && (d.s[d.i] == '.' || d.s[d.i] == 'e' || d.s[d.i] == 'E'):
		return 0, malformed("numeric date must be an integer")
	case n > maxDate:
		return 0, malformed("numeric date out of range")
	}
	return n, nil
}

// boolean reads true or false.
func (d *scanner) boolean() (bool, error) {
	switch {
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return true, nil
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return false, nil
	}
	return false, malformed("expected boolean")
}

// value validates any JSON value and returns its start offset.
func (d *scanner) value() (int, error) {
	d.ws()
	start := d.i
	if d.i >= len(d.s) {
		return start, malformed("unexpected end of JSON")
	}
	var err error
	switch c := d.s[d.i]; {
	case c == '{':
		err = d.object()
	case c == '[':
		err = d.array()
	case c == '"':
		_, err = d.str()
	case c == 't', c == 'f':
		_, err = d.boolean()
	case c == 'n':
		if !strings.HasPrefix(d.s[d.i:], "null") {
			return start, malformed("invalid literal")
		}
		d.i += 4
	case c == '-' || ('0' <= c && c <= '9'):
		err = d.number()
	default:
		err = malformed("invalid character in JSON")
	}
	return start, err
}

func (d *scanner) object() error {
	if d.depth++; d.depth > MaxDepth {
		return malformed("JSON nested too deeply")
	}
	d.i++
	var seen nameSet
	for n := 0; ; n++ {
		name, more, err := d.member(n)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		if !seen.add(name) {
			return malformed("duplicate member " + quote(name))
		}
		if _, err := d.value(); err != nil {
			return err
		}
	}
	d.depth--
	return nil
}

func (d *scanner) array() error {
	if d.depth++; d.depth > MaxDepth {
		return malformed("JSON nested too deeply")
	}
	d.i++
	for n := 0; ; n++ {
		more, err := d.element(n)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		if _, err := d.value(); err != nil {
			return err
		}
	}
	d.depth--
	return nil
}

// number validates a JSON number.
func (d *scanner) number() error {
	if d.s[d.i] == '-' {
		d.i++
	}
	start := d.i
	if !d.digits() {
		return malformed("invalid number")
	}
	if d.s[start] == '0' && d.i-start > 1 {
		return malformed("leading zero in number")
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if !d.digits() {
			return malformed("invalid number")
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if !d.digits() {
			return malformed("invalid number")
		}
	}
	return nil
}

func (d *scanner) digits() bool {
	start := d.i
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}
