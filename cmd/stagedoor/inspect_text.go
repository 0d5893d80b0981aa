package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stagedoor/stagedoor/internal/inspect"
)

// print writes the readable form of the inspection.
func (r *inspection) print(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Header:\n%s\n", indentJSON(r.Header))
	fmt.Fprintf(&b, "Claims:\n%s\n\n", indentJSON(r.Claims))

	switch {
	case r.Verified:
		fmt.Fprintf(&b, "Signature:   verified (%s)\n", r.keyInfo)
	case r.Reason == inspect.Unverified:
		fmt.Fprintf(&b, "Signature:   not verified (give --secret or --jwks)\n")
	default:
		fmt.Fprintf(&b, "Signature:   not verified\n")
	}
	if r.Valid {
		fmt.Fprintf(&b, "Valid:       yes\n")
	} else {
		fmt.Fprintf(&b, "Valid:       no: %s\n", r.Error)
	}
	if r.ExpiresAt == nil {
		_, err := io.WriteString(w, b.String())
		return err
	}
	left := time.Duration(*r.ExpiresIn) * time.Second
	if left > 0 {
		fmt.Fprintf(&b, "Expires:     %s (in %s)\n", r.ExpiresAt.Format(time.RFC3339), left)
	} else {
		fmt.Fprintf(&b, "Expires:     %s (expired %s ago)\n", r.ExpiresAt.Format(time.RFC3339), -left)
	}
	if r.Development {
		fmt.Fprintf(&b, "Development: yes (production verifiers may refuse it)\n")
	}
	fmt.Fprintf(&b, "Audience:    %s\n", dash(string(r.Audience)))
	fmt.Fprintf(&b, "User:        %s (%s)\n", dash(r.Subject), r.UserType)
	fmt.Fprintf(&b, "Role:        %s\n\n", dash(r.Role))

	rooms := "in any room of the app"
	if r.Rooms != nil {
		rooms = "in rooms " + strings.Join(r.Rooms, ", ")
	}
	who := "as any participant"
	if r.Participant != "" {
		who = fmt.Sprintf("only as participant %q", r.Participant)
	}
	fmt.Fprintf(&b, "Effective permissions, %s, %s:\n", rooms, who)
	fmt.Fprintf(&b, "  enters a room: %s\n", inspect.AdmissionText(r.Admission))
	for _, p := range r.Permissions {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	for _, p := range r.Unknown {
		fmt.Fprintf(&b, "  %s (unknown permission, ignored)\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// indentJSON returns raw indented by two spaces, or raw as is if it is not JSON.
func indentJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "  ", "  "); err != nil {
		return "  " + string(raw)
	}
	return "  " + buf.String()
}
