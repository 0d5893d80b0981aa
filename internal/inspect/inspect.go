// Package inspect describes a token as a person reads it, like jwt.io: its
// header and claims decoded whatever they hold, how long it has left, what
// it lets its holder do, and, once it was checked, whether it is valid and
// why not. `stagedoor token inspect` prints a Report; the admin API's
// inspector adds what only the service knows.
package inspect

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// Report is what a token says of itself and how it fared when checked.
type Report struct {
	Header      json.RawMessage `json:"header"`
	Claims      json.RawMessage `json:"claims"`
	Verified    bool            `json:"verified"`
	Valid       bool            `json:"valid"`
	Error       string          `json:"error"`
	Reason      string          `json:"reason,omitempty"`
	Expired     bool            `json:"expired"`
	ExpiresAt   *time.Time      `json:"expires_at,omitempty"`
	ExpiresIn   *int64          `json:"expires_in_seconds"`
	Development bool            `json:"development"`
	Audience    access.Audience `json:"audience,omitempty"`
	Subject     string          `json:"subject,omitempty"`
	UserType    access.UserType `json:"user_type,omitempty"`
	Role        string          `json:"role,omitempty"`
	Permissions []string        `json:"permissions"`
	Unknown     []string        `json:"unknown_permissions,omitempty"`
	// Rooms is nil when the token works in any room of the app.
	Rooms       []string `json:"rooms"`
	Participant string   `json:"participant,omitempty"`
	Admission   string   `json:"admission,omitempty"`
}

// Unverified is the Reason of a report whose token was not checked.
const Unverified = "unverified"

// Decode reports what raw says at now, unverified, and returns its header
// and claims; they are nil, and the report says why, when raw is no token.
func Decode(raw string, now time.Time, leeway time.Duration) (*Report, *token.Header, *token.Claims) {
	r := &Report{Permissions: []string{}}
	r.Header, r.Claims = segments(raw)
	h, c, err := token.Inspect(raw)
	if err != nil {
		r.Fail(err)
		return r, nil, nil
	}
	r.describe(c, now, leeway)
	return r, h, c
}

// Fail records why the token is not valid.
func (r *Report) Fail(err error) {
	r.Valid = false
	r.Error = strings.TrimPrefix(err.Error(), "token: ")
	var te *token.Error
	if errors.As(err, &te) {
		r.Reason = te.Reason
		if te.Reason == token.ErrExpired.Reason {
			r.Expired = true
		}
	}
}

// describe fills in what the claims say, whether verified or not.
func (r *Report) describe(c *token.Claims, now time.Time, leeway time.Duration) {
	exp := c.ExpiresAt
	left := exp.Unix() - now.Unix()
	r.ExpiresAt, r.ExpiresIn = &exp, &left
	r.Expired = now.Unix()-int64(max(leeway, 0)/time.Second) >= exp.Unix()
	r.Development = c.Dev
	r.Audience = c.Audience
	r.Subject = c.Subject
	r.UserType = access.Authenticated
	if c.User != nil {
		r.UserType = c.User.Type
	}
	r.Role = c.Grants.Role
	r.Rooms = c.Grants.Rooms
	r.Participant = c.Grants.Participant
	var set access.Set
	for _, name := range c.Grants.Permissions {
		p, err := access.ParsePermission(name)
		if err != nil {
			r.Unknown = append(r.Unknown, name)
			continue
		}
		set = set.Union(access.Of(p))
		r.Permissions = append(r.Permissions, name)
	}
	r.Admission = access.AdmissionOf(set).String()
}

// AdmissionText says in words how a holder of admission a (an
// access.Admission's String) enters a room.
func AdmissionText(a string) string {
	switch a {
	case access.Direct.String():
		return "directly"
	case access.Wait.String():
		return "waits for a moderator to admit it"
	}
	return "denied"
}

// segments decodes the header and claims of a token leniently, for
// display, returning {} for a part that is not a JSON object.
func segments(raw string) (header, claims json.RawMessage) {
	parts := strings.Split(raw, ".")
	part := func(i int) json.RawMessage {
		if i >= len(parts) {
			return json.RawMessage("{}")
		}
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[i], "="))
		b = bytes.TrimSpace(b)
		if err != nil || !json.Valid(b) || len(b) == 0 || b[0] != '{' {
			return json.RawMessage("{}")
		}
		return b
	}
	return part(0), part(1)
}
