package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/stagedoor/stagedoor/internal/authority"
)

// auditView is an audit entry as the audit command shows it.
type auditView struct {
	Seq    int64           `json:"seq"`
	Time   time.Time       `json:"time"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	App    string          `json:"app,omitempty"`
	Target string          `json:"target,omitempty"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

func newAuditCmd() *cobra.Command {
	var (
		df     dataFlags
		app    string
		after  int64
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit log: who did what to which app, oldest first",
		Example: `  stagedoor audit --app my-app
  stagedoor audit --after 120 --limit 50 --json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if after < 0 {
				return usageError("--after must not be negative")
			}
			if limit < 0 {
				return usageError("--limit must not be negative")
			}
			return withNode(cmd, df, func(n *node) error {
				q := authority.AuditQuery{AfterSeq: after, Limit: limit}
				if app != "" {
					found, err := n.auth.FindApp(cmd.Context(), app)
					if err != nil {
						return ruleError(err)
					}
					q.AppID = found.ID
				}
				entries, err := n.auth.Audit(cmd.Context(), q)
				if err != nil {
					return ruleError(err)
				}
				views := make([]auditView, 0, len(entries))
				for _, e := range entries {
					v := auditView{Seq: e.Seq, Time: e.Time.UTC(), Actor: e.Actor, Action: e.Action, App: e.AppID, Target: e.Target}
					if len(e.Detail) > 0 {
						v.Detail = e.Detail
						if !json.Valid(e.Detail) {
							v.Detail, _ = json.Marshal(string(e.Detail))
						}
					}
					views = append(views, v)
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), views)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tAPP\tTARGET\tDETAIL")
				for _, v := range views {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Seq, v.Time.Format(time.RFC3339), dash(v.Actor), v.Action, dash(v.App), dash(v.Target), dash(string(v.Detail)))
				}
				return tw.Flush()
			})
		},
	}
	df.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&app, "app", "", "only the entries of this app (id or name)")
	fl.Int64Var(&after, "after", 0, "only entries with a sequence number above this one")
	fl.IntVar(&limit, "limit", 0, "at most this many entries (0: all)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
