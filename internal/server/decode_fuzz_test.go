package server

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/stagedoor/stagedoor/access"
)

// requestTypes are the bodies the handlers decode, each with a body it
// accepts.
var requestTypes = []struct {
	new  func() any
	seed string
}{
	{func() any { return new(tokenRequest) }, `{"user_id":"alice","role":"host","rooms":["stage"],"participant_id":"a1","name":"Alice","image":"https://x/a.png","metadata":{"team":["blue",1,true,null]},"user_type":"authenticated","permissions":["data.send"],"ttl_seconds":600,"audience":"rtc","refresh":true}`},
	{func() any { return new(guestRequest) }, `{"name":"Gus","image":"i","role":"guest","rooms":["stage"],"metadata":1.5e3,"permissions":["consume"],"ttl_seconds":60}`},
	{func() any { return new(revocationRequest) }, `{"issued_before":"2030-01-02T03:04:05+02:00"}`},
	{func() any { return new(roomRequest) }, `{"name":"stage","type":"conference","max_producers":3,"max_participants":50,"metadata":{"topic":"\u00e9t\u00e9"}}`},
	{func() any { return new(sessionChangeRequest) }, `{"mute":["camera"],"role":"viewer","permissions":["consume","room.join"]}`},
	{func() any { return new(refreshRequest) }, `{"refresh_token":"sdr_abc"}`},
	{func() any { return new(verifyRequest) }, `{"room":"stage","permission":"consume","participant_id":"a1"}`},
	{func() any { return new(introspectBody) }, `{"token":"eyJ","token_type_hint":"access_token"}`},
	{func() any { return new(policyBody) }, `{"policy":"continuous"}`},
	{func() any { return new(sourceBody) }, `{"source":"screen"}`},
	{func() any { return new(permissionBody) }, `{"permission":"produce.screen"}`},
	{func() any { return new(struct{}) }, `{}`},
}

// FuzzDecode feeds request decoding arbitrary bodies for every request
// type. It must never panic; it refuses only with an InvalidError naming a
// member; what it accepts names only the type's members, spelled exactly,
// and survives re-encoding: decoding the encoding of the accepted value
// gives a value with the same encoding.
func FuzzDecode(f *testing.F) {
	smuggled := []string{
		`{"user_id":"u","role":"viewer","rooms":["x"],"ROOMS":null}`,
		`{"user_id":"u","role":"viewer","roomſ":["x"]}`,
		`{"user_id":"u","role":"viewer","USER_ID":"admin"}`,
		`{"user_id":"u","role":"viewer","TTL_SECONDS":86400}`,
		`{"user_id":"u","role":"viewer","rooms":null}`,
		`{"user_id":"u","role":"viewer","rooms":[]}`,
		`{"user_id":"u","user_id":"v"}`,
		"{\"user_id\":\"al\xffice\"}",
		"{\"user_id\":\"al\xfeice\"}",
		`{"user_id":"al\ud800ice"}`,
		`{"name":"\udc00\ud800"}`,
		`{"metadata":{"a":1,"a":2}}`,
		`{"metadata":` + nested(33) + `}`,
		`{"metadata":` + nested(32) + `}`,
		`{"mute":null}`,
		`{"issued_before":"yesterday"}`,
		`{"ttl_seconds":1e3}`,
		`{"token":"x"} {}`,
		`null`,
		`[]`,
		``,
		` `,
	}
	for i, rt := range requestTypes {
		if err := decodeJSON([]byte(rt.seed), rt.new()); err != nil {
			f.Fatalf("seed of %T: %v", rt.new(), err)
		}
		f.Add(uint8(i), []byte(rt.seed))
		for _, body := range smuggled {
			f.Add(uint8(i), []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		rt := requestTypes[int(kind)%len(requestTypes)]
		v := rt.new()
		if err := decodeJSON(body, v); err != nil {
			var inv *access.InvalidError
			if !errors.As(err, &inv) || inv.Field == "" || inv.Detail == "" {
				t.Fatalf("%q: error %#v is not an InvalidError naming a member", body, err)
			}
			return
		}
		wantExactMembers(t, body, v)
		enc, err := json.Marshal(v, json.Deterministic(true))
		if err != nil {
			t.Fatalf("%q: re-encoding %+v: %v", body, v, err)
		}
		again := rt.new()
		if err := decodeJSON(enc, again); err != nil {
			t.Fatalf("%q: the re-encoding %s is refused: %v", body, enc, err)
		}
		enc2, err := json.Marshal(again, json.Deterministic(true))
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("%q: decodes to %s, then to %s (%v)", body, enc, enc2, err)
		}
	})
}

// wantExactMembers fails unless every top-level member of body is a json
// tag of v's struct, byte for byte.
func wantExactMembers(t *testing.T, body []byte, v any) {
	t.Helper()
	tags := map[string]bool{}
	typ := reflect.TypeOf(v).Elem()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		tags[name] = true
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	tok, err := dec.ReadToken()
	if err == io.EOF {
		return // an empty body, read as {}
	}
	if err != nil || tok.Kind() != '{' {
		t.Fatalf("%q was accepted but is no object: %v", body, err)
	}
	for dec.PeekKind() == '"' {
		name, err := dec.ReadToken()
		if err != nil {
			t.Fatal(err)
		}
		if !tags[name.String()] {
			t.Fatalf("%q was accepted with member %q, which %T does not spell", body, name.String(), v)
		}
		if err := dec.SkipValue(); err != nil {
			t.Fatal(err)
		}
	}
}
