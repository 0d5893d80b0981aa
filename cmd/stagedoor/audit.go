package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/stagedoor/stagedoor/access"
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

// auditPageView is a page of the audit log as audit --json prints it.
type auditPageView struct {
	Entries []auditView `json:"entries"`
	// NextCursor continues the listing with --cursor; absent on the last
	// page.
	NextCursor string `json:"next_cursor,omitempty"`
}

type auditFlags struct {
	data          dataFlags
	app           string
	action, actor string
	since, until  string
	cursor        string
	oldestFirst   bool
	limit         int
	asJSON        bool
}

func newAuditCmd() *cobra.Command {
	var f auditFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit log: who did what to which app, newest first, a page at a time",
		Long: `Show a page of the audit log, newest first (--oldest-first to reverse),
filtered by app, action, actor and time. When more entries match, the cursor
of the next page is printed on stderr (in "next_cursor" with --json): give it
to --cursor with the same filters. A page reads only the entries it shows,
however large the log.`,
		Example: `  stagedoor audit --app my-app
  stagedoor audit --action key.revoke --since 7d
  stagedoor audit --actor api_key:sdk_0123456789abcdef --since 2025-06-01T00:00:00Z --until 2025-06-02T00:00:00Z
  stagedoor audit --limit 1000 --json --cursor 1748736000000000.4711`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := authority.AuditQuery{Action: f.action, Actor: f.actor, Cursor: f.cursor, OldestFirst: f.oldestFirst, Limit: f.limit}
			now := time.Now()
			for _, w := range []struct {
				flag, value string
				to          *time.Time
			}{{"since", f.since, &q.Since}, {"until", f.until, &q.Until}} {
				if w.value == "" {
					continue
				}
				t, err := parseWhen(w.value, now)
				if err != nil {
					return usageError("--%s: %v", w.flag, err)
				}
				*w.to = t
			}
			return withNode(cmd, f.data, func(n *node) error {
				if f.app != "" {
					found, err := n.auth.FindApp(cmd.Context(), f.app)
					if err != nil {
						return ruleError(err)
					}
					q.AppID = found.ID
				}
				page, err := n.auth.Audit(cmd.Context(), q)
				var bad *access.InvalidError
				if errors.As(err, &bad) {
					return usageError("--%s %s", bad.Field, bad.Detail)
				}
				if err != nil {
					return ruleError(err)
				}
				return printAudit(cmd, page, f.asJSON)
			})
		},
	}
	f.data.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.app, "app", "", "only the entries of this app (id or name)")
	fl.StringVar(&f.action, "action", "", "only the entries of this action, such as token.mint or key.revoke")
	fl.StringVar(&f.actor, "actor", "", "only the entries of this actor, such as cli or api_key:<key id>")
	fl.StringVar(&f.since, "since", "", "only the entries at or after this RFC 3339 time, or this span before now (7d, 36h)")
	fl.StringVar(&f.until, "until", "", "only the entries before this RFC 3339 time, or this span before now")
	fl.StringVar(&f.cursor, "cursor", "", "continue after the page that printed this cursor")
	fl.BoolVar(&f.oldestFirst, "oldest-first", false, "list the oldest entries first")
	fl.IntVar(&f.limit, "limit", authority.DefaultAuditPage, fmt.Sprintf("entries per page, at most %d", authority.MaxAuditPage))
	fl.BoolVar(&f.asJSON, "json", false, "print JSON")
	return cmd
}

// printAudit prints page: a table, with the next cursor on stderr, or JSON.
func printAudit(cmd *cobra.Command, page authority.AuditPage, asJSON bool) error {
	out := auditPageView{Entries: make([]auditView, 0, len(page.Entries)), NextCursor: page.Next}
	for _, e := range page.Entries {
		v := auditView{Seq: e.Seq, Time: e.Time.UTC(), Actor: e.Actor, Action: e.Action, App: e.AppID, Target: e.Target}
		if len(e.Detail) > 0 {
			v.Detail = e.Detail
			if !json.Valid(e.Detail) {
				v.Detail, _ = json.Marshal(string(e.Detail))
			}
		}
		out.Entries = append(out.Entries, v)
	}
	if asJSON {
		return printJSON(cmd.OutOrStdout(), out)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tAPP\tTARGET\tDETAIL")
	for _, v := range out.Entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Seq, v.Time.Format(time.RFC3339), dash(v.Actor), v.Action, dash(v.App), dash(v.Target), dash(string(v.Detail)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.Next != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "more entries: --cursor %s\n", page.Next)
	}
	return nil
}
