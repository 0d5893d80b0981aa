package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The audit retention takes a span and a number of entries, from the flags
// or, when a flag is not given, from the environment.
func TestServeAuditRetentionRefusesBadValues(t *testing.T) {
	dataDir(t)
	wantFailure(t, cli(t, "", "serve", "--audit-retention", "90"), 2, `"90" is not a span such as 90d, 36h or 90m`)
	wantFailure(t, cli(t, "", "serve", "--audit-retention", "-1h"), 2, `"-1h" is negative`)
	wantFailure(t, cli(t, "", "serve", "--audit-retention", "99999999999d"), 2, `"99999999999d" is not a span`)
	wantFailure(t, cli(t, "", "serve", "--audit-max-entries", "-1"), 2, "--audit-max-entries must not be negative")
	t.Setenv("STAGEDOOR_AUDIT_RETENTION", "forever")
	wantFailure(t, cli(t, "", "serve"), 2, `STAGEDOOR_AUDIT_RETENTION: "forever" is not a span such as 90d, 36h or 0`)
	t.Setenv("STAGEDOOR_AUDIT_RETENTION", "")
	t.Setenv("STAGEDOOR_AUDIT_MAX_ENTRIES", "lots")
	wantFailure(t, cli(t, "", "serve"), 2, `STAGEDOOR_AUDIT_MAX_ENTRIES: "lots" is not an integer`)
	t.Setenv("STAGEDOOR_AUDIT_MAX_ENTRIES", "-5")
	wantFailure(t, cli(t, "", "serve"), 2, "--audit-max-entries must not be negative")
}

// serve --help shows the default retention in days.
func TestServeAuditRetentionDefault(t *testing.T) {
	out := wantSuccess(t, cli(t, "", "serve", "--help"))
	if !strings.Contains(out, "--audit-retention span") || !strings.Contains(out, "(default 90d)") {
		t.Errorf("serve --help does not show the default retention of 90d:\n%s", out)
	}
}

// STAGEDOOR_AUDIT_MAX_ENTRIES reaches the server, which deletes the oldest
// entries beyond it in the background while it runs.
func TestServeAuditMaxEntriesFromEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := dataDir(t)
	t.Setenv("STAGEDOOR_AUDIT_MAX_ENTRIES", "2")
	p := startServe(t, dir)
	m := bannerKey.FindStringSubmatch(p.stdout)
	if m == nil {
		t.Fatalf("first start printed no API key:\n%s", p.stdout)
	}
	for _, user := range []string{"ann", "bob", "cid"} {
		if status, body := p.post(t, "/v1/tokens", m[1], m[2], fmt.Sprintf(`{"user_id":%q,"role":"viewer"}`, user)); status != http.StatusCreated {
			t.Fatalf("mint for %s: %d %v", user, status, body)
		}
	}
	var targets []string
	waitFor(t.Context(), 10*time.Second, func() bool {
		page := decodeJSON[auditPageView](t, wantSuccess(t, admin(t, dir, "audit", "--json", "--oldest-first")))
		targets = targets[:0]
		for _, e := range page.Entries {
			targets = append(targets, e.Target)
		}
		return len(targets) <= 2
	})
	if !slices.Equal(targets, []string{"bob", "cid"}) {
		t.Fatalf("the audit log holds entries for %v, want the newest two mints, for bob and cid", targets)
	}
}
