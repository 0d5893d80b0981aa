package main

import (
	crand "crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/load"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/postgres"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
)

// The sizes of the audit log BenchmarkAuditLog measures at, in entries,
// and the number of entries it then keeps the log to.
var auditBenchSizes = []int{0, 100_000, 1_000_000}

const auditBenchKeep = 20_000

// auditBenchQueries are the `stagedoor audit` runs timed at each size:
// each shows one page.
var auditBenchQueries = []struct {
	name string
	args func(a *auditBench) []string
}{
	{"newest page", func(*auditBench) []string { return nil }},
	{"--app", func(*auditBench) []string { return []string{"--app", "default"} }},
	{"--app --action", func(*auditBench) []string { return []string{"--app", "default", "--action", "token.mint"} }},
	{"--actor", func(a *auditBench) []string { return []string{"--actor", "api_key:" + a.key} }},
	{"--action key.create", func(*auditBench) []string { return []string{"--action", "key.create"} }},
	{"--oldest-first", func(*auditBench) []string { return []string{"--oldest-first"} }},
}

// auditBench is one backend under BenchmarkAuditLog.
type auditBench struct {
	name string
	// dir is the data directory; database the PostgreSQL DSN, or empty
	// for the embedded SQLite in dir.
	dir, database string
	key, sec      string
	appID         string
	// seeded counts the entries seed appended.
	seeded int
}

// create starts a server once on the backend, so that it makes its app
// and API key, and learns them.
func (a *auditBench) create(b *testing.B) {
	b.Helper()
	p := startServe(b, a.dir)
	a.key, a.sec = bannerCredentials(b, p)
	stop(b, p)
	s := a.open(b)
	apps, err := s.ListApps(b.Context())
	s.Close()
	if err != nil || len(apps) != 1 {
		b.Fatalf("apps %v: %v", apps, err)
	}
	a.appID = apps[0].ID
}

// open opens the backend's store in this process.
func (a *auditBench) open(b *testing.B) storage.Storage {
	b.Helper()
	var s storage.Storage
	var err error
	if a.database == "" {
		s, err = sqlite.Open(b.Context(), filepath.Join(a.dir, "stagedoor.db"))
	} else {
		s, err = postgres.Open(b.Context(), a.database)
	}
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// scalar runs query, which returns one integer, on the backend's
// database from this process. Both backends read $1, $2...
func (a *auditBench) scalar(b *testing.B, query string, args ...any) (n int64) {
	b.Helper()
	var err error
	if a.database == "" {
		var db *sql.DB
		if db, err = sql.Open("sqlite", filepath.Join(a.dir, "stagedoor.db")); err == nil {
			defer db.Close()
			err = db.QueryRowContext(b.Context(), query, args...).Scan(&n)
		}
	} else {
		var conn *pgx.Conn
		if conn, err = pgx.Connect(b.Context(), a.database); err == nil {
			defer conn.Close(b.Context())
			err = conn.QueryRow(b.Context(), query, args...).Scan(&n)
		}
	}
	if err != nil {
		b.Fatalf("%s: %v", query, err)
	}
	return n
}

// size returns the number of audit entries, how many are older than the
// default retention, and the bytes the database takes: the SQLite files,
// or the audit table and its indexes.
func (a *auditBench) size(b *testing.B) (entries, old, bytes int64) {
	b.Helper()
	entries = a.scalar(b, `SELECT count(*) FROM audit_log`)
	cutoff := time.Now().Add(-authority.DefaultAuditRetention)
	if a.database != "" {
		return entries, a.scalar(b, `SELECT count(*) FROM audit_log WHERE occurred_at < $1`, cutoff), a.scalar(b, `SELECT pg_total_relation_size('audit_log')`)
	}
	old = a.scalar(b, `SELECT count(*) FROM audit_log WHERE occurred_at < $1`, cutoff.UnixMilli())
	return entries, old, databaseBytes(b, a.dir)
}

// seed appends n mint entries straight to the store, 10,000 to a
// transaction, as the server's audit writer does in its batches. They are
// dated a millisecond apart from 100 days ago on, past the default
// retention. It then flushes them to disk, and on PostgreSQL runs
// ANALYZE, as autovacuum does within a minute of such growth, so that the
// planner knows the table's size.
func (a *auditBench) seed(b *testing.B, n int) {
	b.Helper()
	s := a.open(b)
	defer s.Close()
	start := time.Now().Add(-100 * 24 * time.Hour)
	batch := make([]storage.AuditEntry, 0, 10_000)
	for i := range n {
		seq := a.seeded + i
		jti := make([]byte, 12)
		crand.Read(jti)
		detail := fmt.Sprintf(`{"aud":"rtc","exp":%d,"jti":%q,"role":"host"}`, start.Unix()+600, base64.RawURLEncoding.EncodeToString(jti))
		batch = append(batch, storage.AuditEntry{Time: start.Add(time.Duration(seq) * time.Millisecond), Actor: "api_key:" + a.key,
			Action: "token.mint", AppID: a.appID, Target: fmt.Sprintf("user-%d", seq%5000), Detail: []byte(detail)})
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.AppendAuditBatch(b.Context(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	a.seeded += n
	// The seeding's writes reach the disk before anything is measured,
	// so that no fsync of a measured server queues behind their
	// writeback.
	syscall.Sync()
	if a.database == "" {
		return
	}
	conn, err := pgx.Connect(b.Context(), a.database)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(b.Context())
	if _, err := conn.Exec(b.Context(), `ANALYZE audit_log`); err != nil {
		b.Fatal(err)
	}
}

// mint drives POST /v1/tokens on p with the load of BenchmarkNodes.
func (a *auditBench) mint(b *testing.B, p *process) load.Result {
	b.Helper()
	return measureLoad(b, p, benchClients, a.mintRequest).Result
}

// mintRequest is a request for a host token bound to two rooms with a
// participant and a name, under the backend's API key.
func (a *auditBench) mintRequest(target string, _, _ int) (*http.Request, error) {
	req, err := http.NewRequest("POST", target+"/v1/tokens", strings.NewReader(`{"user_id":"alice","role":"host","rooms":["demo","stage"],"participant_id":"alice-1","name":"Alice"}`))
	if err == nil {
		req.SetBasicAuth(a.key, a.sec)
		req.Header.Set("Content-Type", "application/json")
	}
	return req, err
}

// audit returns the best of three wall times of `stagedoor audit` with
// args, a process each, and the lines it printed.
func (a *auditBench) audit(b *testing.B, args []string) (time.Duration, int) {
	b.Helper()
	best, lines := time.Duration(0), 0
	for range 3 {
		cmd := exec.Command(os.Args[0], append([]string{"audit", "--data", a.dir}, args...)...)
		cmd.Env = append(os.Environ(), "STAGEDOOR_TEST_AS_COMMAND=1")
		start := time.Now()
		out, err := cmd.Output()
		took := time.Since(start)
		if err != nil {
			b.Fatalf("audit %v: %v", args, err)
		}
		if best == 0 || took < best {
			best = took
		}
		lines = strings.Count(string(out), "\n")
	}
	return best, lines
}

// BenchmarkAuditLog measures what the size of the audit log costs and how
// the retention bounds it, on the embedded SQLite and, when
// STAGEDOOR_TEST_POSTGRES is set, on PostgreSQL. For each backend, with
// the retention off: POST /v1/tokens throughput on a `stagedoor serve`
// process after 0, 100k and 1M minted tokens (entries appended straight to
// the store, as the server's audit writer does, dated over 99 days ago),
// the database's size, and the time `stagedoor audit` takes to print one
// page, each as a ratio to the empty log of the same run. Then with the
// default retention (90 days), which deletes the 1M old entries in the
// background while mints go on, and with --audit-max-entries, which keeps
// the log at that many entries. Run it once:
//
//	go test -run '^$' -bench AuditLog -benchtime 1x -timeout 60m ./cmd/stagedoor/
func BenchmarkAuditLog(b *testing.B) {
	mk := make([]byte, 32)
	crand.Read(mk)
	b.Setenv("STAGEDOOR_MASTER_KEY", base64.StdEncoding.EncodeToString(mk))
	backends := []*auditBench{{name: "sqlite"}}
	if os.Getenv("STAGEDOOR_TEST_POSTGRES") != "" {
		backends = append(backends, &auditBench{name: "postgres", database: testDatabase(b)})
	}
	for b.Loop() {
		var out strings.Builder
		for _, a := range backends {
			a.dir, a.seeded = b.TempDir(), 0
			b.Setenv("STAGEDOOR_DATABASE", a.database)
			b.Setenv("STAGEDOOR_AUDIT_RETENTION", "0")
			b.Setenv("STAGEDOOR_AUDIT_MAX_ENTRIES", "")
			a.create(b)

			fmt.Fprintf(&out, "\n%s, retention off:\n\n| minted before | entries | database MB | tokens req/s | tokens p99 µs | tokens × empty |", a.name)
			for _, q := range auditBenchQueries {
				fmt.Fprintf(&out, " audit %s ms |", q.name)
			}
			out.WriteString("\n|---:|---:|---:|---:|---:|---:|" + strings.Repeat("---:|", len(auditBenchQueries)) + "\n")
			var base load.Result
			for _, size := range auditBenchSizes {
				a.seed(b, size-a.seeded)
				p := startServe(b, a.dir)
				r := a.mint(b, p)
				stop(b, p)
				if size == 0 {
					base = r
				}
				entries, _, bytes := a.size(b)
				fmt.Fprintf(&out, "| %d | %d | %.1f | %.0f | %d | %.2f |", size, entries, float64(bytes)/1e6, r.ReqPerS, r.P99us, r.ReqPerS/base.ReqPerS)
				b.ReportMetric(r.ReqPerS, fmt.Sprintf("%s-%d-tokens-req/s", a.name, size))
				for _, q := range auditBenchQueries {
					took, lines := a.audit(b, q.args(a))
					if lines < 2 {
						b.Fatalf("audit %s printed %d lines", q.name, lines)
					}
					fmt.Fprintf(&out, " %.0f |", float64(took.Microseconds())/1000)
				}
				out.WriteString("\n")
			}

			// The default retention deletes the seeded entries, all over
			// 99 days old, in the background while mints go on; then
			// --audit-max-entries keeps the log at that number.
			b.Setenv("STAGEDOOR_AUDIT_RETENTION", "")
			fmt.Fprintf(&out, "\n%s, retention on: each round mints for %v\n\n| round | retention | tokens req/s | tokens p99 µs | tokens × empty | entries after | past 90 days | database MB |\n|---:|---|---:|---:|---:|---:|---:|---:|\n", a.name, benchWarmup+benchDuration)
			round := 0
			for _, keep := range []string{"", fmt.Sprint(auditBenchKeep)} {
				b.Setenv("STAGEDOOR_AUDIT_MAX_ENTRIES", keep)
				// Without a cap, rounds go on until nothing past 90 days
				// is left, for at most 40.
				setting, rounds := "90d", 40
				if keep != "" {
					setting, rounds = "90d, max "+keep, 4
				}
				p := startServe(b, a.dir)
				for range rounds {
					round++
					r := a.mint(b, p)
					entries, old, bytes := a.size(b)
					fmt.Fprintf(&out, "| %d | %s | %.0f | %d | %.2f | %d | %d | %.1f |\n", round, setting, r.ReqPerS, r.P99us, r.ReqPerS/base.ReqPerS, entries, old, float64(bytes)/1e6)
					if keep == "" && old == 0 {
						break
					}
				}
				stop(b, p)
			}
		}
		// The tables are longer than the ten lines a benchmark's log keeps.
		os.Stdout.WriteString(out.String())
	}
}

// mintCurveRounds is how many times BenchmarkMintCurve measures each
// size, the sizes taken in turn, each round in the other order.
const mintCurveRounds = 3

// BenchmarkMintCurve measures POST /v1/tokens of `stagedoor serve` on the
// embedded SQLite after 0, 100k and 1M minted tokens (their audit entries
// appended straight to the store, as BenchmarkAuditLog does), with the
// retention off, so that the log keeps them all. The three servers run
// side by side and are measured in turn, with the load of BenchmarkNodes,
// three rounds; it prints throughput and CPU time per mint, both as ratios
// to the empty log, the resident memory after the rounds and the
// database's size. Run it once:
//
//	go test -run '^$' -bench MintCurve -benchtime 1x -timeout 30m ./cmd/stagedoor/
func BenchmarkMintCurve(b *testing.B) {
	b.Setenv("STAGEDOOR_DATABASE", "")
	b.Setenv("STAGEDOOR_AUDIT_RETENTION", "0")
	b.Setenv("STAGEDOOR_AUDIT_MAX_ENTRIES", "")
	for b.Loop() {
		nodes := make([]*auditBench, len(auditBenchSizes))
		procs := make([]*process, len(auditBenchSizes))
		runs := make([]loadRun, len(auditBenchSizes))
		for i, size := range auditBenchSizes {
			a := &auditBench{name: fmt.Sprint(size), dir: b.TempDir()}
			a.create(b)
			a.seed(b, size)
			nodes[i], procs[i] = a, startServe(b, a.dir)
		}
		for round := range mintCurveRounds {
			for k := range nodes {
				i := inTurn(round, k, len(nodes))
				r := measureLoad(b, procs[i], benchClients, nodes[i].mintRequest)
				runs[i].ReqPerS += r.ReqPerS
				runs[i].cpuPerReq += r.cpuPerReq
				b.Logf("round %d: %d minted before: %.0f req/s (p99 %d µs), %.0f µs CPU/mint", round+1, auditBenchSizes[i], r.ReqPerS, r.P99us, micros(r.cpuPerReq))
			}
		}
		var table strings.Builder
		table.WriteString("| minted before | tokens req/s | × empty | CPU µs/mint | empty / this CPU | RSS MB | database MB |\n|---:|---:|---:|---:|---:|---:|---:|\n")
		for i, a := range nodes {
			rss, _ := residentMemory(b, procs[i].cmd.Process.Pid)
			fmt.Fprintf(&table, "| %d | %.0f | %.2f× | %.0f | %.2f× | %.1f | %.1f |\n", auditBenchSizes[i], runs[i].ReqPerS/mintCurveRounds, runs[i].ReqPerS/runs[0].ReqPerS,
				micros(runs[i].cpuPerReq/mintCurveRounds), float64(runs[0].cpuPerReq)/float64(runs[i].cpuPerReq), float64(rss)/1e6, float64(databaseBytes(b, a.dir))/1e6)
			b.ReportMetric(runs[i].ReqPerS/runs[0].ReqPerS, fmt.Sprintf("tokens-%d/0", auditBenchSizes[i]))
			stop(b, procs[i])
		}
		b.Log("\n" + table.String())
	}
}
