package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stagedoor/stagedoor/internal/authority"
)

func newAdminCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "admin",
		Short:   "Sign in to the web console",
		Example: `  stagedoor admin login --operator alice`,
	}
	cmd.AddCommand(newAdminLoginCmd())
	return cmd
}

// loginView is what admin login prints with --json.
type loginView struct {
	URL       string    `json:"url"`
	Operator  string    `json:"operator"`
	ExpiresAt time.Time `json:"expires_at"`
}

func newAdminLoginCmd() *cobra.Command {
	var (
		df       dataFlags
		operator string
		base     string
		ttl      time.Duration
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Print a one-time link that signs an operator in to the web console",
		Long: `Login makes a one-time code, stored only as its hash, and prints the console
link that carries it in its fragment (after #, which browsers never send to a
server or write to its logs). The link signs in once, within --ttl; the
console then holds a console token for 15 minutes at a time, refreshed while
it is open, for at most 12 hours. Everything done in the console is audited
as operator:NAME.`,
		Example: `  stagedoor admin login --operator alice
  stagedoor admin login --url https://stagedoor.example.com --database "$DATABASE_URL"`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := url.Parse(base)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usageError("--url must be the server's http:// or https:// address, got %q", base)
			}
			return withNode(cmd, df, func(n *node) error {
				code, exp, err := n.auth.CreateLoginCode(cmd.Context(), cliActor, operator, ttl)
				if err != nil {
					return ruleError(err)
				}
				v := loginView{URL: strings.TrimSuffix(u.String(), "/") + "/console/#code=" + code, Operator: operator, ExpiresAt: exp.UTC()}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), v)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Open this link to sign in to the console as %s. It works once, until %s:\n\n  %s\n",
					operator, v.ExpiresAt.Format(time.RFC3339), v.URL)
				return err
			})
		},
	}
	df.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&operator, "operator", envOr("USER", "admin"), "who signs in, as the audit log names them (operator:NAME)")
	fl.StringVar(&base, "url", envOr("STAGEDOOR_PUBLIC_URL", "http://"+envOr("STAGEDOOR_ADDR", "127.0.0.1:7800")), "the server's address as a browser reaches it (STAGEDOOR_PUBLIC_URL)")
	fl.DurationVar(&ttl, "ttl", authority.DefaultLoginCodeTTL, "how long the link waits to be opened, at most 1h")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
