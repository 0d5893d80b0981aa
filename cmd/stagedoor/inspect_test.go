package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// inspected is the JSON output of token inspect.
type inspected struct {
	Header      map[string]any `json:"header"`
	Claims      map[string]any `json:"claims"`
	Verified    bool           `json:"verified"`
	Valid       bool           `json:"valid"`
	Error       string         `json:"error"`
	Reason      string         `json:"reason"`
	Expired     bool           `json:"expired"`
	ExpiresIn   *int64         `json:"expires_in_seconds"`
	Development bool           `json:"development"`
	Permissions []string       `json:"permissions"`
	Unknown     []string       `json:"unknown_permissions"`
	Rooms       []string       `json:"rooms"`
	Participant string         `json:"participant"`
	Admission   string         `json:"admission"`
}

// inspectJSON runs token inspect --json and decodes its output.
func inspectJSON(t *testing.T, stdin string, args ...string) (inspected, result) {
	t.Helper()
	r := cli(t, stdin, append([]string{"token", "inspect", "--json"}, args...)...)
	if r.stdout == "" {
		t.Fatalf("no JSON output (exit %d, stderr %q)", r.code, r.stderr)
	}
	return decodeJSON[inspected](t, r.stdout), r
}

// retamper replaces old with new in the claims of tok, keeping its signature.
func retamper(t *testing.T, tok, old, new string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(claims), old, new, 1)
	if changed == string(claims) {
		t.Fatalf("claims %s do not hold %q", claims, old)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(changed))
	return strings.Join(parts, ".")
}

// resign gives tok the header JSON header, signed again with testSecret.
func resign(tok, header string) string {
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + strings.Split(tok, ".")[1]
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func TestInspectHS256(t *testing.T) {
	now := time.Now()
	valid := mintWith(t, hmacKey(t, access.Production), testClaims(now, 10*time.Minute))
	expired := mintWith(t, hmacKey(t, access.Production), testClaims(now.Add(-2*time.Hour), time.Hour))
	devClaims := testClaims(now, 10*time.Minute)
	devClaims.Grants = token.Grants{Role: "waiter", Permissions: []string{"consume", "room.ask_join"}}
	dev := mintWith(t, hmacKey(t, access.Development), devClaims)
	// Another JWT library lets a partner put any name in a token.
	unknownPerm := resign(retamper(t, valid, `["consume","room.join"]`, `["room.join","teleport"]`), `{"alg":"HS256","typ":"JWT","kid":"`+testKeyID+`"}`)

	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		check func(t *testing.T, got inspected)
	}{
		{
			name: "valid with the secret",
			args: []string{"--secret", testSecret, valid},
			check: func(t *testing.T, got inspected) {
				if !got.Valid || !got.Verified || got.Error != "" || got.Expired {
					t.Errorf("valid %v verified %v error %q expired %v: want a valid verified token", got.Valid, got.Verified, got.Error, got.Expired)
				}
				want(t, "header alg", str(got.Header["alg"]), "HS256")
				want(t, "header kid", str(got.Header["kid"]), testKeyID)
				want(t, "claims sub", str(got.Claims["sub"]), "alice")
				want(t, "permissions", strings.Join(got.Permissions, ","), "consume,room.join")
				want(t, "rooms", strings.Join(got.Rooms, ","), "r1")
				want(t, "participant", got.Participant, "p1")
				want(t, "admission", got.Admission, "direct")
				if got.ExpiresIn == nil || *got.ExpiresIn < 590 || *got.ExpiresIn > 600 {
					t.Errorf("expires_in_seconds %v, want about 600", got.ExpiresIn)
				}
			},
		},
		{
			name: "expired",
			args: []string{"--secret", testSecret, expired},
			code: 1,
			check: func(t *testing.T, got inspected) {
				if got.Valid || !got.Expired || !got.Verified {
					t.Errorf("valid %v expired %v verified %v: want an authentic expired token", got.Valid, got.Expired, got.Verified)
				}
				if !strings.Contains(got.Error, "expired") {
					t.Errorf("error %q does not say expired", got.Error)
				}
				if got.ExpiresIn == nil || *got.ExpiresIn > -3500 {
					t.Errorf("expires_in_seconds %v, want about -3600", got.ExpiresIn)
				}
			},
		},
		{
			name: "tampered claims",
			args: []string{"--secret", testSecret, retamper(t, valid, `"viewer"`, `"host"`)},
			code: 1,
			check: func(t *testing.T, got inspected) {
				if got.Valid || got.Verified || got.Reason != "bad_signature" {
					t.Errorf("valid %v verified %v reason %q: want bad_signature", got.Valid, got.Verified, got.Reason)
				}
				want(t, "decoded role", str(got.Claims["grants"].(map[string]any)["role"]), "host")
			},
		},
		{
			name: "wrong secret",
			args: []string{"--secret", strings.Repeat("x", 32), valid},
			code: 1,
			check: func(t *testing.T, got inspected) {
				want(t, "reason", got.Reason, "bad_signature")
			},
		},
		{
			name: "no key: decoded but not verified",
			args: []string{valid},
			code: 1,
			check: func(t *testing.T, got inspected) {
				if got.Valid || got.Verified || got.Expired {
					t.Errorf("valid %v verified %v expired %v: want an unverified live token", got.Valid, got.Verified, got.Expired)
				}
				if !strings.Contains(got.Error, "not verified") {
					t.Errorf("error %q does not say it is not verified", got.Error)
				}
				want(t, "claims jti", str(got.Claims["jti"]), "jti-1")
				want(t, "permissions", strings.Join(got.Permissions, ","), "consume,room.join")
			},
		},
		{
			name:  "from stdin with -",
			stdin: "  " + valid + "\n",
			args:  []string{"--secret", testSecret, "-"},
			check: func(t *testing.T, got inspected) {
				if !got.Valid {
					t.Errorf("error %q, want valid", got.Error)
				}
			},
		},
		{
			name:  "from stdin without an argument, as a bearer header value",
			stdin: "Bearer " + valid + "\n",
			args:  []string{"--secret", testSecret},
			check: func(t *testing.T, got inspected) {
				if !got.Valid {
					t.Errorf("error %q, want valid", got.Error)
				}
			},
		},
		{
			name: "development token waits for a moderator in any room",
			args: []string{"--secret", testSecret, dev},
			check: func(t *testing.T, got inspected) {
				if !got.Valid || !got.Development {
					t.Errorf("valid %v development %v error %q: want a valid development token", got.Valid, got.Development, got.Error)
				}
				want(t, "admission", got.Admission, "wait")
				if got.Rooms != nil {
					t.Errorf("rooms %q, want null (any room)", got.Rooms)
				}
			},
		},
		{
			name: "unknown permission is listed apart",
			args: []string{"--secret", testSecret, unknownPerm},
			check: func(t *testing.T, got inspected) {
				want(t, "permissions", strings.Join(got.Permissions, ","), "room.join")
				want(t, "unknown", strings.Join(got.Unknown, ","), "teleport")
			},
		},
		{
			name: "malformed: not base64url",
			args: []string{"--secret", testSecret, "not a token"},
			code: 1,
			check: func(t *testing.T, got inspected) {
				if got.Valid || got.Reason != "malformed" || got.Error == "" {
					t.Errorf("valid %v reason %q error %q: want malformed", got.Valid, got.Reason, got.Error)
				}
				if got.Header == nil || got.Claims == nil || got.Permissions == nil {
					t.Errorf("header %v claims %v permissions %v: want empty objects and list", got.Header, got.Claims, got.Permissions)
				}
			},
		},
		{
			name: "malformed: a header member beyond alg, typ and kid, though signed",
			args: []string{"--secret", testSecret, resign(valid, `{"alg":"HS256","typ":"JWT","kid":"`+testKeyID+`","cty":"JWT"}`)},
			code: 1,
			check: func(t *testing.T, got inspected) {
				if got.Valid || got.Reason != "malformed" || !strings.Contains(got.Error, `"cty"`) {
					t.Errorf("valid %v reason %q error %q: want malformed naming cty", got.Valid, got.Reason, got.Error)
				}
				want(t, "header cty", str(got.Header["cty"]), "JWT")
			},
		},
		{
			name: "malformed: claims without jti, still decoded",
			args: []string{"eyJhbGciOiJIUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJib2IifQ.c2ln"},
			code: 1,
			check: func(t *testing.T, got inspected) {
				want(t, "reason", got.Reason, "malformed")
				want(t, "claims sub", str(got.Claims["sub"]), "bob")
				want(t, "header kid", str(got.Header["kid"]), "k")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, r := inspectJSON(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d (stderr %q)", r.code, tt.code, r.stderr)
			}
			if strings.Count(strings.TrimSpace(r.stdout), "\n{") > 0 {
				t.Errorf("stdout holds more than one JSON object:\n%s", r.stdout)
			}
			tt.check(t, got)
		})
	}
}

func TestInspectText(t *testing.T) {
	valid := mintWith(t, hmacKey(t, access.Production), testClaims(time.Now(), 10*time.Minute))
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"valid", []string{"--secret", testSecret, valid}, 0, []string{
			`"alg": "HS256"`, `"sub": "alice"`, "Signature:   verified", "Valid:       yes", "Expires:     ", " (in ", "Role:        viewer",
			`in rooms r1, only as participant "p1"`, "enters a room: directly", "  consume\n", "  room.join\n"}},
		{"unverified", []string{valid}, 1, []string{"not verified (give --secret or --jwks)", "Valid:       no: not verified"}},
		{"malformed", []string{"a.b"}, 1, []string{"Valid:       no: malformed: fewer than two dots"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, "", append([]string{"token", "inspect"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d (stderr %q)", r.code, tt.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func TestInspectUsageErrors(t *testing.T) {
	valid := mintWith(t, hmacKey(t, access.Production), testClaims(time.Now(), 10*time.Minute))
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	notJSON := filepath.Join(t.TempDir(), "jwks.txt")
	for path, doc := range map[string]string{jwks: `{"keys":[]}`, notJSON: "not json"} {
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	tests := []struct {
		name  string
		stdin string
		args  []string
		msg   string
	}{
		{"both --secret and --jwks", "", []string{"--secret", testSecret, "--jwks", jwks, valid}, "not both"},
		{"empty stdin", "", nil, "no token given"},
		{"blank stdin with -", " \n", []string{"-"}, "no token given"},
		{"short secret", "", []string{"--secret", "short", valid}, "shorter than 32 bytes"},
		{"missing JWKS file", "", []string{"--jwks", filepath.Join(t.TempDir(), "nope.json"), valid}, "--jwks"},
		{"JWKS that is not JSON", "", []string{"--jwks", notJSON, valid}, "--jwks"},
		{"JWKS URL answering 404", "", []string{"--jwks", srv.URL + "/jwks.json", valid}, "404"},
		{"two tokens", "", []string{valid, valid}, "at most 1 argument"},
		{"bad leeway", "", []string{"--leeway", "soon", valid}, "leeway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range [][]string{nil, {"--json"}} {
				args := append(append([]string{"token", "inspect"}, mode...), tt.args...)
				wantFailure(t, cli(t, tt.stdin, args...), 2, tt.msg)
			}
		})
	}
}

// str returns v as a string, or "" when it is not one.
func str(v any) string {
	s, _ := v.(string)
	return s
}
