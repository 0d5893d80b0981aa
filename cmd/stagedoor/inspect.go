package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/inspect"
	"github.com/stagedoor/stagedoor/token"
)

// maxInput bounds what inspect reads: a token from stdin, a JWKS document.
const maxInput = 1 << 20

// inspectFlags are the flags of token inspect.
type inspectFlags struct {
	secret string
	jwks   string
	json   bool
	leeway time.Duration
}

func newTokenInspectCmd() *cobra.Command {
	var f inspectFlags
	cmd := &cobra.Command{
		Use:   "inspect [TOKEN|-]",
		Short: "Decode a token, verify it when a key is given, and explain its permissions",
		Long: `Inspect decodes any token and shows its header, its claims, whether it is
valid and why not, how long it has left, and what it lets its holder do: the
permissions, the rooms, the participant it is bound to and how it enters a
room. With --secret it verifies an HS256 token (the key id is the token's kid);
with --jwks it verifies an EdDSA token against a JWKS file or URL. Without a
key the token is decoded but not verified.

The token is read from the argument, or from stdin when it is "-" or absent.
Exit status: 0 when verified and valid, 1 when invalid or not verified, 2 on
usage errors.`,
		Example: `  stagedoor token inspect --secret "$SECRET" eyJhbGciOi...
  stagedoor token inspect --jwks https://stagedoor.example.com/.well-known/jwks.json --json < token.txt`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.secret, "secret", "", "API key secret to verify an HS256 token with")
	fl.StringVar(&f.jwks, "jwks", "", "JWKS file or http(s) URL to verify an EdDSA token with")
	fl.BoolVar(&f.json, "json", false, "print one JSON object")
	fl.DurationVar(&f.leeway, "leeway", token.DefaultLeeway, "allowance for clock skew")
	return cmd
}

func (f *inspectFlags) run(cmd *cobra.Command, args []string) error {
	if f.secret != "" && f.jwks != "" {
		return usageError("give --secret or --jwks, not both")
	}
	if f.secret != "" && len(f.secret) < token.MinSecretSize {
		return usageError("--secret is shorter than %d bytes", token.MinSecretSize)
	}
	raw, err := readToken(cmd.InOrStdin(), args)
	if err != nil {
		return err
	}
	var keys token.KeyResolver
	if f.jwks != "" {
		if keys, err = loadJWKS(cmd.Context(), f.jwks); err != nil {
			return usageError("--jwks: %v", err)
		}
	}
	r := f.inspect(cmd.Context(), raw, keys, time.Now())
	out := cmd.OutOrStdout()
	if f.json {
		err = printJSON(out, r)
	} else {
		err = r.print(out)
	}
	if err != nil {
		return err
	}
	if !r.Valid {
		return quietFailure
	}
	return nil
}

// readToken returns the token argument, or stdin's content when it is "-"
// or absent, trimmed of white space and of a "Bearer " prefix.
func readToken(stdin io.Reader, args []string) (string, error) {
	raw := "-"
	if len(args) == 1 {
		raw = args[0]
	}
	if raw == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, maxInput))
		if err != nil {
			return "", usageError("reading the token from stdin: %v", err)
		}
		raw = string(b)
	}
	raw = strings.TrimSpace(raw)
	raw = strings.TrimSpace(strings.TrimPrefix(raw, "Bearer "))
	if raw == "" {
		return "", usageError("no token given (pass it as an argument or on stdin)")
	}
	return raw, nil
}

// loadJWKS reads a JWKS (or a single Ed25519 JWK) from a file or URL.
func loadJWKS(ctx context.Context, src string) (*token.KeySet, error) {
	var doc []byte
	var err error
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		doc, err = fetch(ctx, src)
	} else {
		doc, err = os.ReadFile(src)
	}
	if err != nil {
		return nil, err
	}
	set, err := token.ParseJWKS(doc)
	if err == nil {
		return set, nil
	}
	if k, kerr := token.ParseJWK(doc); kerr == nil {
		if pub := k.Public(); pub != nil {
			return token.NewKeySet(pub)
		}
	}
	return nil, err
}

// fetch GETs url and returns its body.
func fetch(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxInput))
}

// inspection is what inspect reports about a token; its JSON form is the
// output of --json.
type inspection struct {
	*inspect.Report
	// keyInfo says which key checked the signature, for the text form.
	keyInfo string
}

// inspect decodes raw and, with a key (the secret or keys), verifies it.
func (f *inspectFlags) inspect(ctx context.Context, raw string, keys token.KeyResolver, now time.Time) *inspection {
	rep, h, c := inspect.Decode(raw, now, f.leeway)
	r := &inspection{Report: rep}
	if c == nil {
		return r
	}
	if f.secret != "" {
		kind := access.Production
		if c.Dev {
			kind = access.Development
		}
		k, err := token.NewHMACKey(h.Kid, []byte(f.secret), kind)
		if err != nil {
			r.Fail(err)
			return r
		}
		keys, _ = token.NewKeySet(k)
		r.keyInfo = fmt.Sprintf("HS256 with the given secret, key %s", h.Kid)
	} else if keys != nil {
		r.keyInfo = fmt.Sprintf("%s with the JWKS, key %s", h.Alg, h.Kid)
	}
	if keys == nil {
		r.Error = "not verified: give --secret or --jwks to check the signature"
		r.Reason = inspect.Unverified
		return r
	}
	vc, err := token.NewVerifier(keys, token.WithLeeway(f.leeway), token.WithClock(func() time.Time { return now })).Verify(ctx, raw)
	r.Verified = vc != nil
	if err != nil {
		r.Fail(err)
		return r
	}
	r.Valid = true
	return r
}
