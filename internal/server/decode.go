package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/stagedoor/stagedoor/access"
)

// decode reads a JSON request body into v: size-capped, unknown fields and
// trailing data refused, so a typo never silently drops a field. An empty
// body decodes as {}.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return newProblem(http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json")
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return readError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return err
		}
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field = strings.Trim(field, `"`)
			return &access.InvalidError{Field: field, Detail: "unknown field"}
		}
		return &access.InvalidError{Field: "body", Detail: "malformed JSON: " + err.Error()}
	}
	if dec.More() {
		return &access.InvalidError{Field: "body", Detail: "trailing data after the JSON object"}
	}
	return nil
}

// readError is the problem of a body that could not be read.
func readError(err error) *Problem {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newProblem(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body exceeds %d bytes", mbe.Limit))
	}
	return newProblem(http.StatusBadRequest, "invalid_request", "reading the body failed")
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

// bearer returns the token of a Bearer Authorization.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

func missingBearer() *Problem {
	p := newProblem(http.StatusUnauthorized, "invalid_token", "a Bearer access token is required")
	p.challenge = `Bearer realm="stagedoor"`
	return p
}

func missingBasic() *Problem {
	p := newProblem(http.StatusUnauthorized, "invalid_client", "HTTP Basic authentication with api_key:api_secret is required")
	p.challenge = basicChallenge
	return p
}
