package main

import (
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stagedoor/stagedoor/internal/authority"
)

// cliActor names the command line in the audit log.
var cliActor = authority.AsOperator("cli")

// withNode opens the data directory, logging warnings to stderr, runs fn
// and closes it. It leaves the audit retention to the server.
func withNode(cmd *cobra.Command, df dataFlags, fn func(n *node) error) error {
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	n, err := openNode(cmd.Context(), df, log, authority.AuditRetention{})
	if err != nil {
		return err
	}
	defer n.Close()
	return fn(n)
}

// appView is an app as app create and app list show it.
type appView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func newAppCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "app",
		Short: "Manage apps, the tenants that own API keys, roles and rooms",
		Example: `  stagedoor app create my-app
  stagedoor app list`,
	}
	cmd.AddCommand(newAppCreateCmd(), newAppListCmd())
	return cmd
}

func newAppCreateCmd() *cobra.Command {
	var (
		df     dataFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create an app",
		Example: `  stagedoor app create my-app --json`,
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withNode(cmd, df, func(n *node) error {
				app, err := n.auth.CreateApp(cmd.Context(), cliActor, args[0])
				if err != nil {
					return ruleError(err)
				}
				v := appView{ID: app.ID, Name: app.Name, CreatedAt: app.CreatedAt.UTC()}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), v)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Created app %s (id %s).\n", v.Name, v.ID)
				return err
			})
		},
	}
	df.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAppListCmd() *cobra.Command {
	var (
		df     dataFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List apps",
		Example: `  stagedoor app list --json`,
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, df, func(n *node) error {
				apps, err := n.auth.ListApps(cmd.Context())
				if err != nil {
					return ruleError(err)
				}
				views := make([]appView, 0, len(apps))
				for _, a := range apps {
					views = append(views, appView{ID: a.ID, Name: a.Name, CreatedAt: a.CreatedAt.UTC()})
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), views)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tCREATED")
				for _, v := range views {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", v.ID, v.Name, v.CreatedAt.Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
	df.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newSigningKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "signing-key",
		Short:   "Manage the Ed25519 keys that sign service-issued tokens",
		Example: `  stagedoor signing-key rotate`,
	}
	var df dataFlags
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Rotate signing keys: the next key signs, the old one stays published until its tokens expire",
		Example: `  stagedoor signing-key rotate
  stagedoor signing-key rotate --data /var/lib/stagedoor`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, df, func(n *node) error {
				id, err := n.auth.RotateSigningKey(cmd.Context(), cliActor)
				if err != nil {
					return ruleError(err)
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), id)
				return err
			})
		},
	}
	df.register(rotate)
	cmd.AddCommand(rotate)
	return cmd
}

// joinOrDash joins names with commas, or returns "-" for none.
func joinOrDash(names []string) string { return dash(strings.Join(names, ",")) }
