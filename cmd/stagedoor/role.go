package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newRoleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "role",
		Short: "Manage an app's custom roles and list the roles it can use",
		Example: `  stagedoor role set --app my-app moderator --permission room.join,consume,moderate.mute --rank 75
  stagedoor role list --app my-app`,
	}
	cmd.AddCommand(newRoleSetCmd(), newRoleListCmd())
	return cmd
}

func newRoleSetCmd() *cobra.Command {
	var (
		df          dataFlags
		app         string
		permissions []string
		rank        int
	)
	cmd := &cobra.Command{
		Use:   "set --app APP NAME --permission P... --rank N",
		Short: "Create or replace a custom role of an app",
		Long: `Set defines a custom role: a lowercase name that is not a built-in role, at
least one permission, and a rank from 0 to 100. Whoever grants a role must
hold a rank at least as high.`,
		Example: `  stagedoor role set --app my-app moderator --permission room.join,consume,moderate.mute --rank 75
  stagedoor role set --app my-app stage-manager --permission room.join --permission broadcast.manage --rank 85`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "app", "permission", "rank"); err != nil {
				return err
			}
			return withNode(cmd, df, func(n *node) error {
				r, err := n.auth.SetRole(cmd.Context(), cliActor, app, args[0], permissions, rank)
				if err != nil {
					return ruleError(err)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Set role %s: rank %d, permissions %s.\n", r.Name, r.Rank, joinOrDash(r.Permissions.Names()))
				return err
			})
		},
	}
	df.register(cmd)
	cmd.Flags().StringVar(&app, "app", "", "app id or name")
	cmd.Flags().StringSliceVar(&permissions, "permission", nil, "permission of the role; repeat or separate with commas")
	cmd.Flags().IntVar(&rank, "rank", 0, "rank from 0 to 100; a role can only be granted by a holder of equal or higher rank")
	return cmd
}

// roleView is a role as role list shows it.
type roleView struct {
	Name        string   `json:"name"`
	Rank        int      `json:"rank"`
	Builtin     bool     `json:"builtin"`
	Permissions []string `json:"permissions"`
}

func newRoleListCmd() *cobra.Command {
	var (
		df     dataFlags
		app    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "list --app APP",
		Short:   "List the built-in and custom roles of an app, highest rank first",
		Example: `  stagedoor role list --app my-app --json`,
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "app"); err != nil {
				return err
			}
			return withNode(cmd, df, func(n *node) error {
				roles, err := n.auth.ListRoles(cmd.Context(), app)
				if err != nil {
					return ruleError(err)
				}
				views := make([]roleView, 0, len(roles))
				for _, r := range roles {
					views = append(views, roleView{Name: r.Name, Rank: r.Rank, Builtin: r.Builtin, Permissions: r.Permissions.Names()})
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), views)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ROLE\tRANK\tKIND\tPERMISSIONS")
				for _, v := range views {
					kind := "custom"
					if v.Builtin {
						kind = "built-in"
					}
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", v.Name, v.Rank, kind, joinOrDash(v.Permissions))
				}
				return tw.Flush()
			})
		},
	}
	df.register(cmd)
	cmd.Flags().StringVar(&app, "app", "", "app id or name")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
