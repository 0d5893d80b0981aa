package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// revocationSizes are the numbers of active revocations
// BenchmarkVerifyRevocationCurve measures verify at; the first is the
// baseline of the ratios.
var revocationSizes = []int{1_000, 10_000, 100_000}

// revocationCurveRounds is how many times each size is measured, the
// sizes taken in turn, each round in the other order.
const revocationCurveRounds = 3

// curveNode is one server of BenchmarkVerifyRevocationCurve.
type curveNode struct {
	revocations int
	dir         string
	p           *process
	tokens      []string
	// req and cpu sum the rounds' throughput and CPU time per verify.
	req float64
	cpu time.Duration
}

// BenchmarkVerifyRevocationCurve measures POST /v1/verify of `stagedoor
// serve` on the embedded SQLite holding 1k, 10k and 100k active
// revocations of other users and tokens (stored while no server runs, in
// one transaction), with the load of BenchmarkAgainstFloor: 8 keep-alive
// clients round-robin over 32 tokens. The servers run side by side and
// are measured in turn, three rounds; it prints throughput, CPU time per
// verify, both as ratios to the smallest size, the resident memory after
// the rounds and the database's size. Run it once:
//
//	go test -run '^$' -bench VerifyRevocationCurve -benchtime 1x ./cmd/stagedoor/
func BenchmarkVerifyRevocationCurve(b *testing.B) {
	b.Setenv("STAGEDOOR_DATABASE", "")
	for b.Loop() {
		nodes := make([]*curveNode, len(revocationSizes))
		for i, n := range revocationSizes {
			c := &curveNode{revocations: n, dir: b.TempDir()}
			p := startServe(b, c.dir)
			key, sec := bannerCredentials(b, p)
			c.tokens = mintViewers(b, p, key, sec, verifyTokens, "user")
			stop(b, p)
			addRevocations(b, c.dir, n)
			c.p = startServe(b, c.dir)
			nodes[i] = c
		}
		for round := range revocationCurveRounds {
			for i := range nodes {
				c := nodes[inTurn(round, i, len(nodes))]
				r := measureVerify(b, c.p, c.tokens)
				c.req += r.ReqPerS
				c.cpu += r.cpuPerReq
				b.Logf("round %d: %d revocations: %.0f req/s, %.0f µs CPU/verify", round+1, c.revocations, r.ReqPerS, micros(r.cpuPerReq))
			}
		}
		var table strings.Builder
		table.WriteString("| active revocations | verify req/s | × 1k | CPU µs/verify | 1k / this CPU | RSS MB | peak RSS MB | database MB |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		base := nodes[0]
		for _, c := range nodes {
			rss, peak := residentMemory(b, c.p.cmd.Process.Pid)
			fmt.Fprintf(&table, "| %d | %.0f | %.2f× | %.0f | %.2f× | %.1f | %.1f | %.1f |\n", c.revocations,
				c.req/revocationCurveRounds, c.req/base.req, micros(c.cpu/revocationCurveRounds), float64(base.cpu)/float64(c.cpu),
				float64(rss)/1e6, float64(peak)/1e6, float64(databaseBytes(b, c.dir))/1e6)
			b.ReportMetric(c.req/base.req, fmt.Sprintf("verify-%d/%d", c.revocations, base.revocations))
			stop(b, c.p)
		}
		b.Log("\n" + table.String())
	}
}

// inTurn is the index of the i-th of n measured in round: in order in the
// even rounds, in reverse in the odd ones.
func inTurn(round, i, n int) int {
	if round%2 == 1 {
		return n - 1 - i
	}
	return i
}

// addRevocations stores n revocations, alternately of a user and of a
// token ID, none matching a token the benchmarks mint, in the SQLite
// database of the data directory dir while no server runs, in one
// transaction, as POST /v1/revocations stores them. They expire in a day.
func addRevocations(b testing.TB, dir string, n int) {
	db, err := sql.Open("sqlite", filepath.Join(dir, "stagedoor.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var app string
	if err := db.QueryRowContext(b.Context(), `SELECT id FROM apps`).Scan(&app); err != nil {
		b.Fatal(err)
	}
	tx, err := db.BeginTx(b.Context(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	insert, err := tx.PrepareContext(b.Context(), `INSERT INTO revocations (app_id, kind, value, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	jti := make([]byte, 12)
	for i := range n {
		kind, value := storage.RevocationUserID, fmt.Sprintf("revoked-%d", i)
		if i%2 == 1 {
			rand.Read(jti)
			kind, value = storage.RevocationTokenID, base64.RawURLEncoding.EncodeToString(jti)
		}
		if _, err := insert.ExecContext(b.Context(), app, string(kind), value, now.UnixMilli(), now.Add(24*time.Hour).UnixMilli()); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// residentMemory returns the resident set of the process pid and its
// peak, in bytes, from /proc/pid/status.
func residentMemory(b testing.TB, pid int) (rss, peak int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		name, value, _ := strings.Cut(line, ":")
		var into *int64
		switch name {
		case "VmRSS":
			into = &rss
		case "VmHWM":
			into = &peak
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			b.Fatalf("/proc/%d/status: %s", pid, line)
		}
		*into = kb * 1024
	}
	return rss, peak
}

// databaseBytes returns the size of the SQLite files of the data
// directory dir: the database and its write-ahead log.
func databaseBytes(b testing.TB, dir string) int64 {
	var n int64
	path := filepath.Join(dir, "stagedoor.db")
	for _, f := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}
