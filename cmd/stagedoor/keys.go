package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

func newKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage API keys and generate signing keys",
		Example: `  stagedoor key create --app my-app
  stagedoor key list --app my-app
  stagedoor key revoke sdk_123
  stagedoor key generate-signing --out signing.jwk`,
	}
	cmd.AddCommand(newKeyGenerateSigningCmd(), newKeyCreateCmd(), newKeyListCmd(), newKeyRevokeCmd())
	return cmd
}

func newKeyGenerateSigningCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "generate-signing",
		Short: "Generate an Ed25519 signing key as a JWK",
		Long: `Generate-signing creates an Ed25519 key for EdDSA tokens. Without --out it
prints the private JWK. With --out it writes the private JWK to a new file
readable only by its owner (an existing file is never overwritten) and prints
the public JWKS to publish.`,
		Example: `  stagedoor key generate-signing --out signing.jwk > jwks.json
  stagedoor key generate-signing`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := token.GenerateSigningKey(rand.Reader)
			if err != nil {
				return err
			}
			priv, err := k.PrivateJWK()
			if err != nil {
				return err
			}
			if out == "" {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", priv)
				return err
			}
			if err := writeNewFile(out, append(priv, '\n')); err != nil {
				return err
			}
			set, err := token.NewKeySet(k.Public())
			if err != nil {
				return err
			}
			jwks, err := set.JWKS()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", jwks)
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the private JWK to this new file (mode 0600) and print the public JWKS")
	return cmd
}

// writeNewFile creates path with mode 0600 and writes data, refusing to
// replace an existing file and removing what it wrote on failure.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ruleError(fmt.Errorf("%s exists; refusing to overwrite it", path))
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

func newKeyCreateCmd() *cobra.Command {
	var (
		df          dataFlags
		app         string
		development bool
		asJSON      bool
	)
	cmd := &cobra.Command{
		Use:   "create --app APP",
		Short: "Create an API key for an app; its secret is shown only once",
		Example: `  stagedoor key create --app my-app
  stagedoor key create --app my-app --development --json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "app"); err != nil {
				return err
			}
			kind := access.Production
			if development {
				kind = access.Development
			}
			return withNode(cmd, df, func(n *node) error {
				k, err := n.auth.CreateAPIKey(cmd.Context(), cliActor, app, kind)
				if err != nil {
					return ruleError(err)
				}
				out := cmd.OutOrStdout()
				if asJSON {
					return printJSON(out, newKeyView{App: k.App, APIKey: k.APIKey, Secret: k.Secret, Kind: k.Kind})
				}
				_, err = fmt.Fprintf(out, "Created a %s API key for app %s.\n\n  api key:    %s\n  api secret: %s\n\nThe secret is shown only this once: store it now.\n",
					k.Kind, k.App, k.APIKey, k.Secret)
				return err
			})
		},
	}
	df.register(cmd)
	cmd.Flags().StringVar(&app, "app", "", "app id or name")
	cmd.Flags().BoolVar(&development, "development", false, "create a development key: limited rights, tokens of at most 1h")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newKeyView is a created API key as key create --json shows it: the only
// time its secret is shown.
type newKeyView struct {
	App    string         `json:"app"`
	APIKey string         `json:"api_key"`
	Secret string         `json:"api_secret"`
	Kind   access.KeyKind `json:"kind"`
}

// keyView is an API key as key list shows it, never with its secret.
type keyView struct {
	APIKey    string     `json:"api_key"`
	App       string     `json:"app"`
	Kind      string     `json:"kind"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func newKeyListCmd() *cobra.Command {
	var (
		df     dataFlags
		app    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List API keys (never their secrets)",
		Example: `  stagedoor key list
  stagedoor key list --app my-app --json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, df, func(n *node) error {
				keys, err := n.auth.ListAPIKeys(cmd.Context(), app)
				if err != nil {
					return ruleError(err)
				}
				views := make([]keyView, 0, len(keys))
				for _, k := range keys {
					v := keyView{APIKey: k.ID, App: k.AppID, Kind: string(k.Kind), CreatedAt: k.CreatedAt.UTC()}
					if k.Revoked() {
						at := k.RevokedAt.UTC()
						v.RevokedAt = &at
					}
					views = append(views, v)
				}
				out := cmd.OutOrStdout()
				if asJSON {
					return printJSON(out, views)
				}
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "API KEY\tAPP\tKIND\tCREATED\tSTATUS")
				for _, v := range views {
					status := "active"
					if v.RevokedAt != nil {
						status = "revoked " + v.RevokedAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.APIKey, v.App, v.Kind, v.CreatedAt.Format(time.RFC3339), status)
				}
				return tw.Flush()
			})
		},
	}
	df.register(cmd)
	cmd.Flags().StringVar(&app, "app", "", "only the keys of this app (id or name)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newKeyRevokeCmd() *cobra.Command {
	var df dataFlags
	cmd := &cobra.Command{
		Use:     "revoke API_KEY",
		Short:   "Revoke an API key: every token it minted stops verifying",
		Example: `  stagedoor key revoke sdk_123`,
		Args:    exactArgs("API_KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withNode(cmd, df, func(n *node) error {
				if err := n.auth.RevokeAPIKey(cmd.Context(), cliActor, args[0]); err != nil {
					return ruleError(err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "Revoked API key %s.\n", args[0])
				return err
			})
		},
	}
	df.register(cmd)
	return cmd
}
