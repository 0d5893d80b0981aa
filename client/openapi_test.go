package client_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stagedoor/stagedoor/api"
	"github.com/stagedoor/stagedoor/client"
)

// The client's bodies and answers have exactly the members of the OpenAPI
// document's schemas, so that the client neither sends a member the
// server refuses nor drops one it answers.
func TestTypesMatchOpenAPI(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for schema, v := range map[string]any{
		"IssueRequest":      client.TokenRequest{},
		"GuestRequest":      client.GuestRequest{},
		"TokenResponse":     client.Token{},
		"GuestUser":         client.GuestUser{},
		"VerifyRequest":     client.VerifyRequest{},
		"VerifyResponse":    client.Verification{},
		"Grants":            client.Grants{},
		"ActiveToken":       client.Introspection{},
		"RevokeRequest":     client.RevokeRequest{},
		"RoomRequest":       client.RoomRequest{},
		"Room":              client.Room{},
		"RoomView":          client.RoomView{},
		"Producer":          client.Producer{},
		"Session":           client.Session{},
		"SessionChange":     client.SessionChange{},
		"PermissionRequest": client.PermissionRequest{},
		"ResolvedRequest":   client.ResolvedRequest{},
		"RoomEvent":         client.Event{},
		"RoomEventData":     client.EventData{},
		"RoomEventPage":     client.EventPage{},
		"StreamEnd":         client.StreamEnd{},
	} {
		s, ok := doc.Components.Schemas[schema]
		if !ok {
			t.Errorf("no schema %s", schema)
			continue
		}
		var want []string
		for name := range s.Properties {
			want = append(want, name)
		}
		slices.Sort(want)
		got := members(reflect.TypeOf(v))
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%T has %v, schema %s %v", v, got, schema, want)
		}
	}
}

// members lists the JSON member names of a struct type, embedded
// structs' included.
func members(typ reflect.Type) []string {
	var out []string
	for f := range typ.Fields() {
		if f.Anonymous {
			out = append(out, members(f.Type)...)
			continue
		}
		out = append(out, strings.Split(f.Tag.Get("json"), ",")[0])
	}
	return out
}
