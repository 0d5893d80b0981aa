package server

import (
	"bytes"
	"io"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// stringMembers is a request body whose members are all strings. decode
// reads such a body in one pass over its tokens, without reflection: the
// verify request, the one a media server sends for every check.
type stringMembers interface {
	// member returns where the member named name goes, or nil if the
	// request has no such member.
	member(name string) *string
}

// maxStringMembers bounds the members a stringMembers request has.
const maxStringMembers = 4

// stringDecoder is a reusable token reader over a body.
type stringDecoder struct {
	r   bytes.Reader
	dec *jsontext.Decoder
}

var stringDecoders = sync.Pool{New: func() any {
	d := &stringDecoder{}
	d.dec = jsontext.NewDecoder(&d.r)
	return d
}}

// readStrings fills v from body and reports true when body is one JSON
// object (or nothing but whitespace) whose members are each named exactly
// as v's, at most once, with a string or null value, in valid UTF-8, and
// nothing after it. On false v is unchanged and decodeJSON, which accepts
// nothing more, gives the reason.
func readStrings(body []byte, v stringMembers) bool {
	if len(bytes.Trim(body, " \t\r\n")) == 0 {
		return true
	}
	d := stringDecoders.Get().(*stringDecoder)
	defer stringDecoders.Put(d)
	d.r.Reset(body)
	d.dec.Reset(&d.r)
	var (
		dst  [maxStringMembers]*string
		vals [maxStringMembers]string
		n    int
	)
	if tok, err := d.dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	for d.dec.PeekKind() == '"' {
		name, err := d.dec.ReadToken()
		if err != nil || n == maxStringMembers {
			return false
		}
		p := v.member(name.String())
		if p == nil {
			return false
		}
		val, err := d.dec.ReadToken()
		if err != nil {
			return false
		}
		switch val.Kind() {
		case '"':
			vals[n] = val.String()
		case 'n':
			vals[n] = ""
		default:
			return false
		}
		dst[n] = p
		n++
	}
	if tok, err := d.dec.ReadToken(); err != nil || tok.Kind() != '}' {
		return false
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		return false
	}
	for i := range n {
		*dst[i] = vals[i]
	}
	return true
}
