package server

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/problem"
	"github.com/stagedoor/stagedoor/token"
)

// decode reads a JSON request body into v, a pointer to a request struct:
// size-capped (the handler's MaxBytesReader), then decodeJSON, or for a
// stringMembers request readStrings, which accepts the same bodies and
// leaves the reason for any other to decodeJSON.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return problem.New(http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json")
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return readError(err)
	}
	if sm, ok := v.(stringMembers); ok && readStrings(body, sm) {
		return nil
	}
	return decodeJSON(body, v)
}

// maxDepth is how deeply a request body may nest: the body object, then
// values as deep as a token's JSON may go, so that metadata a request
// carries is never refused only when the token is minted.
const maxDepth = 1 + token.MaxDepth

// decodeJSON reads one JSON object into v, exactly: member names match the
// struct's json tags byte for byte (encoding/json would read "ROOMS" or
// "roomſ" as rooms, and let the last spelling win); unknown and duplicate
// members, invalid UTF-8 (raw, or a lone surrogate escape such as \ud800),
// nesting beyond maxDepth and trailing data are refused; and so is null for
// an array member, since "rooms": null must never read as rooms left out
// (any room). A body of nothing but JSON whitespace is {}. Every failure is
// an *access.InvalidError naming the top-level member at fault, or body.
func decodeJSON(body []byte, v any) error {
	if len(bytes.Trim(body, " \t\r\n")) == 0 {
		body = []byte("{}")
	}
	if err := checkShape(body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v, json.RejectUnknownMembers(true), json.WithUnmarshalers(nullArrays)); err != nil {
		return decodeError(err)
	}
	return nil
}

// checkShape refuses all that is not one well-formed object within
// maxDepth. It reads tokens only, so a body nested thousands deep costs no
// more than its bytes.
func checkShape(body []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	tok, err := dec.ReadToken()
	if err != nil {
		return decodeError(err)
	}
	if tok.Kind() != '{' {
		return &access.InvalidError{Field: "body", Detail: "must be a JSON object"}
	}
	for dec.StackDepth() > 0 {
		if _, err := dec.ReadToken(); err != nil {
			return decodeError(err)
		}
		if dec.StackDepth() > maxDepth {
			return &access.InvalidError{Field: memberOf(dec.StackPointer()), Detail: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
		}
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return &access.InvalidError{Field: "body", Detail: "trailing data after the JSON object"}
	}
	return nil
}

// errNullArray is the refusal of null for an array member.
var errNullArray = errors.New("must be an array, not null (leave the member out instead)")

// nullArrays refuses null where an array of strings is expected and lets
// everything else decode as usual.
var nullArrays = json.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ *[]string) error {
	if dec.PeekKind() == 'n' {
		return errNullArray
	}
	return errors.ErrUnsupported
})

// decodeError turns an error of the JSON decoder into an InvalidError that
// names the member at fault in JSON's terms, not Go's.
func decodeError(err error) error {
	var (
		se *json.SemanticError
		sy *jsontext.SyntacticError
	)
	switch {
	case errors.As(err, &se):
		field, at := memberOf(se.JSONPointer), where(se.JSONPointer)
		switch {
		case errors.Is(se.Err, json.ErrUnknownName):
			return &access.InvalidError{Field: field, Detail: "unknown member"}
		case errors.Is(se.Err, errNullArray):
			return &access.InvalidError{Field: field, Detail: at + errNullArray.Error()}
		case se.GoType != nil:
			return &access.InvalidError{Field: field, Detail: at + "must be " + jsonType(se.GoType)}
		}
	case errors.As(err, &sy) && errors.Is(sy.Err, io.ErrUnexpectedEOF):
		return &access.InvalidError{Field: "body", Detail: "malformed JSON: the body ends inside a value"}
	case errors.As(err, &sy):
		return &access.InvalidError{Field: memberOf(sy.JSONPointer), Detail: where(sy.JSONPointer) + "malformed JSON: " + sy.Err.Error()}
	}
	return &access.InvalidError{Field: "body", Detail: "malformed JSON: " + err.Error()}
}

// memberOf is the top-level member a JSON pointer lies in, cut to 64 bytes,
// or body for the body itself and for a member named "".
func memberOf(p jsontext.Pointer) string {
	name := ""
	for tok := range p.Tokens() {
		name = tok
		break
	}
	if len(name) > 64 {
		name = strings.ToValidUTF8(name[:64], "")
	}
	return cmp.Or(name, "body")
}

// where locates an error below a top-level member, such as one element of
// rooms; it is empty for the member itself.
func where(p jsontext.Pointer) string {
	if strings.Count(string(p), "/") < 2 {
		return ""
	}
	return fmt.Sprintf("at %q: ", string(p))
}

// jsonType names the JSON value a Go type decodes from.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Time]() {
		return "an RFC 3339 time"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// readError is the problem of a body that could not be read.
func readError(err error) *problem.Problem {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return problem.New(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body exceeds %d bytes", mbe.Limit))
	}
	return problem.New(http.StatusBadRequest, "invalid_request", "reading the body failed")
}

// basicAuth returns the API key and secret of an HTTP Basic Authorization.
func basicAuth(r *http.Request) (key, secret string, ok bool) {
	h := r.Header.Get("Authorization")
	enc, found := strings.CutPrefix(h, "Basic ")
	if !found {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	key, secret, ok = strings.Cut(string(raw), ":")
	return key, secret, ok && key != ""
}

func missingBasic() *problem.Problem {
	p := problem.New(http.StatusUnauthorized, "invalid_client", "HTTP Basic authentication with api_key:api_secret is required")
	p.Challenge = basicChallenge
	return p
}
