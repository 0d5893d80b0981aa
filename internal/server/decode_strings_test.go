package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// readStrings accepts exactly the bodies decodeJSON accepts, reading the
// same values, and leaves its request untouched when it declines one.
func FuzzReadStrings(f *testing.F) {
	for _, body := range []string{
		`{"room":"demo","permission":"produce.camera"}`,
		`{"room":"demo","permission":"consume","participant_id":"alice-1"}`,
		`{"room":null,"permission":"consume"}`,
		`{}`, ``, " \n", `{"room":"a","room":"b"}`, `{"ROOM":"a"}`, `{"roomſ":"a"}`,
		`{"room":1}`, `{"room":["a"]}`, `{"room":{"a":1}}`, `{"room":true}`,
		"{\"room\":\"de\xffmo\"}", `{"room":"de\ud800mo"}`, `{"room":"a\u0000b"}`,
		`{"room":"a"} {}`, `{"room":"a"}x`, `[]`, `null`, `"room"`, `{"room":"a",}`,
		`{"room":"a","permission":"b","participant_id":"c","extra":"d"}`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		untouched := verifyRequest{Room: "r0", Permission: "p0", ParticipantID: "i0"}
		declined := untouched
		if !readStrings(body, &declined) && declined != untouched {
			t.Fatalf("readStrings declined %q but changed the request to %+v", body, declined)
		}
		var fast, slow verifyRequest
		ok := readStrings(body, &fast)
		err := decodeJSON(body, &slow)
		switch {
		case ok && err != nil:
			t.Fatalf("readStrings accepts %q, decodeJSON refuses it: %v", body, err)
		case !ok && err == nil:
			t.Fatalf("readStrings declines %q, decodeJSON reads %+v", body, slow)
		case ok && fast != slow:
			t.Fatalf("%q: readStrings read %+v, decodeJSON %+v", body, fast, slow)
		}
	})
}

func BenchmarkDecodeVerify(b *testing.B) {
	body := []byte(`{"room":"demo","permission":"produce.camera"}`)
	b.Run("reflect", func(b *testing.B) {
		for b.Loop() {
			var req verifyRequest
			if err := decodeJSON(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tokens", func(b *testing.B) {
		for b.Loop() {
			var req verifyRequest
			if !readStrings(body, &req) {
				b.Fatal("refused")
			}
		}
	})
}

// The verify answer written without reflection reads as encoding/json's.
func FuzzVerifyJSON(f *testing.F) {
	f.Add("alice", "app_1", "host", "consume,produce.camera", "demo", "alice-1", int64(1767225600), int32(0))
	f.Add("<b>&", "", "", "", "", "", int64(0), int32(999999999))
	f.Add("al\xffice", "app", "viewer", "consume", "a,b", "", int64(-1), int32(5))
	f.Add("\u2028\x00\"\\", "app", "viewer", "", "", "p\u00e9", int64(253402300799), int32(1))
	f.Fuzz(func(t *testing.T, sub, app, role, perms, rooms, participant string, sec int64, nsec int32) {
		split := func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, ",")
		}
		v := verifyResponse{Allowed: true, Subject: sub, App: app, ExpiresAt: time.Unix(sec%253402300800, int64(nsec)%1e9).UTC(),
			grantsView: grantsView{Role: role, Permissions: split(perms), Rooms: split(rooms), Participant: participant}}
		want, err := json.Marshal(v)
		if err != nil {
			t.Skip(err)
		}
		got, ok := v.appendJSON(nil)
		if !ok {
			if utf8.ValidString(sub + app + role + perms + rooms + participant) {
				t.Fatalf("appendJSON refused valid UTF-8 in %+v", v)
			}
			return
		}
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("appendJSON wrote %q: %v", got, err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("appendJSON wrote\n%s\nencoding/json\n%s", got, want)
		}
	})
}

func BenchmarkEncodeVerify(b *testing.B) {
	v := verifyResponse{Allowed: true, Subject: "alice", App: "app_123", ExpiresAt: time.Now(), grantsView: grantsView{Role: "host",
		Permissions: []string{"consume", "data.send", "metadata.update", "moderate.kick", "produce.camera", "produce.microphone", "room.join"}, Rooms: []string{"demo"}}}
	b.Run("reflect", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			json.NewEncoder(&buf).Encode(v)
		}
	})
	b.Run("append", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf, _ = v.appendJSON(buf[:0])
		}
	})
}
