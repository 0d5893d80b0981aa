package main

import (
	"bufio"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stagedoor/stagedoor/internal/livekit"
)

func newLiveKitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "livekit",
		Short: "Set the LiveKit project each app's rooms run on",
		Example: `  stagedoor livekit set --app my-app --url wss://my-app.livekit.cloud --api-key APIxxx --api-secret -
  stagedoor livekit list
  stagedoor livekit remove --app my-app`,
	}
	cmd.AddCommand(newLiveKitSetCmd(), newLiveKitListCmd(), newLiveKitRemoveCmd())
	return cmd
}

func newLiveKitSetCmd() *cobra.Command {
	var (
		df                 dataFlags
		app, url, key, sec string
	)
	cmd := &cobra.Command{
		Use:   "set --app APP --url URL --api-key KEY --api-secret SECRET",
		Short: "Set an app's LiveKit project; its secret is stored encrypted",
		Long: `Set makes a LiveKit project the one an app's rooms run on: the URL clients
connect to, and the API key and secret that sign its tokens, its server API
calls and its webhooks. One project serves one app. The secret is encrypted
under the master key. Give --api-secret - to read the secret from the first
line of stdin, out of the process list.`,
		Example: `  stagedoor livekit set --app my-app --url ws://127.0.0.1:7880 --api-key devkey --api-secret -`,
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "app", "url", "api-key", "api-secret"); err != nil {
				return err
			}
			if sec == "-" {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return usageError("--api-secret -: no secret on stdin")
				}
				sec = strings.TrimRight(line, "\r\n")
			}
			return withNode(cmd, df, func(n *node) error {
				found, err := n.auth.FindApp(cmd.Context(), app)
				if err != nil {
					return ruleError(err)
				}
				p := livekit.Project{URL: url, APIKey: key, APISecret: sec}
				if err := livekit.SetProject(cmd.Context(), n.store, n.box, "cli", found.ID, p); err != nil {
					return ruleError(err)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Set the LiveKit project of app %s: %s, API key %s.\n", found.Name, url, key)
				return err
			})
		},
	}
	df.register(cmd)
	cmd.Flags().StringVar(&app, "app", "", "app id or name")
	cmd.Flags().StringVar(&url, "url", "", "LiveKit server URL clients connect to (ws://, wss://, http:// or https://)")
	cmd.Flags().StringVar(&key, "api-key", "", "LiveKit API key")
	cmd.Flags().StringVar(&sec, "api-secret", "", "LiveKit API secret, or - to read it from stdin")
	return cmd
}

func newLiveKitRemoveCmd() *cobra.Command {
	var (
		df  dataFlags
		app string
	)
	cmd := &cobra.Command{
		Use:   "remove --app APP",
		Short: "Remove an app's LiveKit project",
		Long: `Remove forgets an app's LiveKit project: the app's rooms are no longer
enforced in LiveKit, its webhooks are refused and no LiveKit token of the
app is minted until a project is set again.`,
		Example: `  stagedoor livekit remove --app my-app`,
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "app"); err != nil {
				return err
			}
			return withNode(cmd, df, func(n *node) error {
				found, err := n.auth.FindApp(cmd.Context(), app)
				if err != nil {
					return ruleError(err)
				}
				if err := livekit.RemoveProject(cmd.Context(), n.store, "cli", found.ID, found.Name); err != nil {
					return ruleError(err)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Removed the LiveKit project of app %s.\n", found.Name)
				return err
			})
		},
	}
	df.register(cmd)
	cmd.Flags().StringVar(&app, "app", "", "app id or name")
	return cmd
}

// liveKitView is an app's LiveKit project as livekit list shows it, never
// with its secret.
type liveKitView struct {
	App       string    `json:"app"`
	AppName   string    `json:"app_name"`
	URL       string    `json:"url"`
	APIKey    string    `json:"api_key"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newLiveKitListCmd() *cobra.Command {
	var (
		df     dataFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the apps' LiveKit projects (never their secrets)",
		Example: `  stagedoor livekit list --json`,
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, df, func(n *node) error {
				apps, err := n.auth.ListApps(cmd.Context())
				if err != nil {
					return ruleError(err)
				}
				names := make(map[string]string, len(apps))
				for _, a := range apps {
					names[a.ID] = a.Name
				}
				projects, err := n.store.ListLiveKitProjects(cmd.Context())
				if err != nil {
					return ruleError(err)
				}
				views := make([]liveKitView, 0, len(projects))
				for _, p := range projects {
					views = append(views, liveKitView{App: p.AppID, AppName: names[p.AppID], URL: p.URL, APIKey: p.APIKey, UpdatedAt: p.UpdatedAt.UTC()})
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), views)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "APP\tURL\tAPI KEY\tUPDATED")
				for _, v := range views {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.AppName, v.URL, v.APIKey, v.UpdatedAt.Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
	df.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
