package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/load"
	"github.com/stagedoor/stagedoor/internal/secret"
)

// Workload of BenchmarkCatalogScale and BenchmarkVerifyUnderRevocations.
const (
	// scaleApps is how many apps the large catalog holds.
	scaleApps = 10_000
	// idleWindow is how long a server's CPU time is watched while it
	// serves nothing.
	idleWindow = 20 * time.Second
	// settle is how long a server runs before its idle CPU is watched.
	settle = 3 * time.Second
	// verifyClients and verifyTokens: verify is driven by 8 keep-alive
	// clients, round-robin over 32 tokens.
	verifyClients = 8
	verifyTokens  = 32
	// liveTokens is how many tokens the revocation benchmark verifies,
	// round-robin, while unrelated users are revoked revokeRate times a
	// second.
	liveTokens = 2048
	revokeRate = 10
	// revocationRounds is how many times the quiet and the revoking
	// phases alternate, each round starting with the other one.
	revocationRounds = 4
	// cliRevocations is how many keys the command line revokes while the
	// server with scaleApps runs.
	cliRevocations = 5
)

// build is a stagedoor program to measure.
type build struct{ name, bin string }

// benchBuilds returns this build and, when STAGEDOOR_BENCH_BASELINE names
// a stagedoor binary (another version, say main's), that one too, so both
// are measured in the same run.
func benchBuilds(b *testing.B) []build {
	b.Setenv("STAGEDOOR_MASTER_KEY", "")
	b.Setenv("STAGEDOOR_DATABASE", "")
	builds := []build{{"this", os.Args[0]}}
	if bin := os.Getenv("STAGEDOOR_BENCH_BASELINE"); bin != "" {
		builds = append(builds, build{"baseline", bin})
	}
	return builds
}

// scaleRun is what BenchmarkCatalogScale measured of one build.
type scaleRun struct {
	// idle1 and idleN are the CPU used while idle, in cores, with one app
	// and with scaleApps.
	idle1, idleN float64
	// verify1 and verifyN are the verify throughputs, in requests per
	// second, with one app and with scaleApps, summed over the rounds;
	// cpu1 and cpuN the server's CPU time per verify, summed likewise.
	verify1, verifyN float64
	cpu1, cpuN       time.Duration
	// cliP50 and cliMax are the delays from `key revoke` on the command
	// line to the server refusing the key, with scaleApps.
	cliP50, cliMax time.Duration
}

// BenchmarkCatalogScale measures, for this build and the baseline if one
// is named (see benchBuilds), the CPU an idle `stagedoor serve` uses over
// idleWindow, from its user and system time in /proc, and its verify
// throughput, with the one app a fresh data directory holds and with
// scaleApps apps, each with an API key, the two alternating over
// verifyRounds; and then how long a key revoked by the build's command
// line, on the same data directory, takes to be refused by the server.
// Run it once:
//
//	STAGEDOOR_BENCH_BASELINE=/path/to/stagedoor go test -run '^$' -bench CatalogScale -benchtime 1x ./cmd/stagedoor/
func BenchmarkCatalogScale(b *testing.B) {
	builds := benchBuilds(b)
	for b.Loop() {
		var table strings.Builder
		table.WriteString("| build | idle CPU, 1 app | idle CPU, 10k apps | verify req/s, 1 app | verify req/s, 10k apps | 10k / 1 | CPU µs/verify, 1 app | CPU µs/verify, 10k apps | 1 / 10k CPU | CLI revoke p50 | CLI revoke max |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, bd := range builds {
			r := measureCatalogScale(b, bd.bin)
			ratio := r.verifyN / r.verify1
			fmt.Fprintf(&table, "| %s | %.2f%% | %.2f%% | %.0f | %.0f | %.2f× | %.0f | %.0f | %.2f× | %v | %v |\n", bd.name, 100*r.idle1, 100*r.idleN,
				r.verify1/verifyRounds, r.verifyN/verifyRounds, ratio, micros(r.cpu1/verifyRounds), micros(r.cpuN/verifyRounds), float64(r.cpu1)/float64(r.cpuN),
				r.cliP50.Round(time.Millisecond), r.cliMax.Round(time.Millisecond))
			b.ReportMetric(100*r.idleN, bd.name+"-idle-%core")
			b.ReportMetric(ratio, bd.name+"-verify-10k/1")
		}
		b.Log("\n" + table.String())
	}
}

// scaleDir is a data directory of the scale benchmark: the key its first
// start printed, tokens of that key, and the keys added with addApps.
type scaleDir struct {
	dir      string
	key, sec string
	tokens   []string
	added    []apiCredential
}

// newScaleDir makes a data directory with the program bin holding apps
// apps, and tokens to verify.
func newScaleDir(b *testing.B, bin string, apps int) scaleDir {
	d := scaleDir{dir: b.TempDir()}
	p := startServeBinary(b, bin, d.dir)
	d.key, d.sec = bannerCredentials(b, p)
	d.tokens = mintViewers(b, p, d.key, d.sec, verifyTokens, "user")
	stop(b, p)
	d.added = addApps(b, d.dir, apps-1)
	return d
}

// verifyRounds is how many times verify is measured with one app and with
// scaleApps, alternately, each round starting with the other one.
const verifyRounds = 3

func measureCatalogScale(b *testing.B, bin string) scaleRun {
	one, many := newScaleDir(b, bin, 1), newScaleDir(b, bin, scaleApps)
	var r scaleRun
	for _, m := range []struct {
		d    scaleDir
		idle *float64
	}{{one, &r.idle1}, {many, &r.idleN}} {
		p := startServeBinary(b, bin, m.d.dir)
		*m.idle = idleCPU(b, p)
		stop(b, p)
	}
	for round := range verifyRounds {
		order := []struct {
			d   scaleDir
			sum *float64
			cpu *time.Duration
		}{{one, &r.verify1, &r.cpu1}, {many, &r.verifyN, &r.cpuN}}
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, m := range order {
			p := startServeBinary(b, bin, m.d.dir)
			time.Sleep(settle)
			v := measureVerify(b, p, m.d.tokens)
			*m.sum += v.ReqPerS
			*m.cpu += v.cpuPerReq
			stop(b, p)
		}
	}
	p := startServeBinary(b, bin, many.dir)
	r.cliP50, r.cliMax = cliRevocationDelays(b, bin, many.dir, p, many.added[:cliRevocations])
	stop(b, p)
	return r
}

// cliRevocationDelays revokes each key with `key revoke` of the program
// bin on the data directory dir, in a process of its own, and returns the
// median and the longest delay from that process's exit to the first
// refusal of the key by the server p, polled back to back.
func cliRevocationDelays(b *testing.B, bin, dir string, p *process, keys []apiCredential) (p50, longest time.Duration) {
	var delays []time.Duration
	for _, k := range keys {
		if status, _ := p.get(b, "/v1/revocations", k.key, k.secret); status != http.StatusOK {
			b.Fatalf("key %s before its revocation: %d", k.key, status)
		}
		cmd := exec.Command(bin, "key", "revoke", k.key, "--data", dir)
		cmd.Env = append(os.Environ(), "STAGEDOOR_TEST_AS_COMMAND=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("key revoke: %v\n%s", err, out)
		}
		revoked := time.Now()
		for {
			status, _ := p.get(b, "/v1/revocations", k.key, k.secret)
			if status == http.StatusUnauthorized {
				break
			}
			if time.Since(revoked) > 10*time.Second {
				b.Fatalf("key %s revoked by the command line still works after 10 s: %d", k.key, status)
			}
		}
		delays = append(delays, time.Since(revoked))
	}
	slices.Sort(delays)
	return delays[len(delays)/2], delays[len(delays)-1]
}

// BenchmarkVerifyUnderRevocations measures, for this build and the
// baseline if one is named, verify throughput round-robin over liveTokens
// tokens of as many users, alternately with no revocations and while
// unrelated users are revoked revokeRate times a second. Run it once:
//
//	STAGEDOOR_BENCH_BASELINE=/path/to/stagedoor go test -run '^$' -bench VerifyUnderRevocations -benchtime 1x ./cmd/stagedoor/
func BenchmarkVerifyUnderRevocations(b *testing.B) {
	builds := benchBuilds(b)
	for b.Loop() {
		var table strings.Builder
		table.WriteString("| build | round | quiet req/s | revoking req/s | revoking / quiet | quiet CPU µs/req | revoking CPU µs/req | quiet / revoking CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, bd := range builds {
			p := startServeBinary(b, bd.bin, b.TempDir())
			key, sec := bannerCredentials(b, p)
			tokens := mintViewers(b, p, key, sec, liveTokens, "user")
			var quietSum, revokingSum float64
			var quietCPU, revokingCPU time.Duration
			for round := range revocationRounds {
				var quiet, revoking loadRun
				measureRevoking := func() loadRun {
					return revokingWhile(b, p, key, sec, round, func() loadRun { return measureVerify(b, p, tokens) })
				}
				if round%2 == 0 {
					quiet, revoking = measureVerify(b, p, tokens), measureRevoking()
				} else {
					revoking, quiet = measureRevoking(), measureVerify(b, p, tokens)
				}
				quietSum += quiet.ReqPerS
				revokingSum += revoking.ReqPerS
				quietCPU += quiet.cpuPerReq
				revokingCPU += revoking.cpuPerReq
				fmt.Fprintf(&table, "| %s | %d | %.0f | %.0f | %.2f× | %.0f | %.0f | %.2f× |\n", bd.name, round+1, quiet.ReqPerS, revoking.ReqPerS, revoking.ReqPerS/quiet.ReqPerS,
					micros(quiet.cpuPerReq), micros(revoking.cpuPerReq), float64(quiet.cpuPerReq)/float64(revoking.cpuPerReq))
			}
			b.ReportMetric(revokingSum/quietSum, bd.name+"-revoking/quiet")
			b.ReportMetric(float64(quietCPU)/float64(revokingCPU), bd.name+"-quiet/revoking-cpu")
			stop(b, p)
		}
		b.Log("\n" + table.String())
	}
}

// micros returns d in microseconds.
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// revokingWhile runs measure while revoking, revokeRate times a second,
// users that hold none of the tokens measured.
func revokingWhile(b *testing.B, p *process, key, sec string, round int, measure func() loadRun) loadRun {
	done := make(chan struct{})
	failed := make(chan string, 1)
	go func() {
		defer close(failed)
		tick := time.NewTicker(time.Second / revokeRate)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			body := fmt.Sprintf(`{"user_id":"unrelated-%d-%d"}`, round, i)
			if status, answer := p.post(b, "/v1/revocations", key, sec, body); status != http.StatusCreated {
				failed <- fmt.Sprintf("revoke: %d %v", status, answer)
				return
			}
		}
	}()
	r := measure()
	close(done)
	if msg, ok := <-failed; ok {
		b.Fatal(msg)
	}
	return r
}

// bannerCredentials returns the API key a first start printed.
func bannerCredentials(b testing.TB, p *process) (key, sec string) {
	m := bannerKey.FindStringSubmatch(p.stdout)
	if m == nil {
		b.Fatalf("first start printed no API key:\n%s", p.stdout)
	}
	return m[1], m[2]
}

// mintViewers mints n viewer tokens of room "demo", for users prefix-0,
// prefix-1...
func mintViewers(b *testing.B, p *process, key, sec string, n int, prefix string) []string {
	tokens := make([]string, n)
	for i := range tokens {
		status, tok := p.post(b, "/v1/tokens", key, sec, fmt.Sprintf(`{"user_id":"%s-%d","role":"viewer","rooms":["demo"]}`, prefix, i))
		if status != http.StatusCreated {
			b.Fatalf("mint: %d %v", status, tok)
		}
		tokens[i] = tok["access_token"].(string)
	}
	return tokens
}

// loadRun is a measurement of load on a process: throughput and latency,
// and the process's CPU time per request, which other load on the machine
// affects less than throughput.
type loadRun struct {
	load.Result
	cpuPerReq time.Duration
}

// measureVerify drives POST /v1/verify with verifyClients clients taking
// the tokens in turn, for benchDuration after benchWarmup.
func measureVerify(b *testing.B, p *process, tokens []string) loadRun {
	return measureLoad(b, p, verifyClients, verifyRequest(tokens, "consume"))
}

// verifyRequest makes the requests of verifyClients clients asking whether
// the tokens, taken in turn, give permission in room "demo".
func verifyRequest(tokens []string, permission string) func(target string, w, i int) (*http.Request, error) {
	body := `{"room":"demo","permission":"` + permission + `"}`
	return func(target string, w, i int) (*http.Request, error) {
		req, err := http.NewRequest("POST", target+"/v1/verify", strings.NewReader(body))
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+tokens[(i*verifyClients+w)%len(tokens)])
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
}

// measureLoad drives p with clients keep-alive clients sending the
// requests build makes, for benchDuration after benchWarmup, and fails b
// on any answer other than 2xx.
func measureLoad(b *testing.B, p *process, clients int, build func(target string, w, i int) (*http.Request, error)) loadRun {
	o := load.Options{Targets: []string{p.url}, Concurrency: clients, Duration: benchWarmup, Request: build}
	if _, err := load.Run(b.Context(), o); err != nil {
		b.Fatal(err)
	}
	o.Duration = benchDuration
	before := cpuTime(b, p.cmd.Process.Pid)
	r, err := load.Run(b.Context(), o)
	if err != nil {
		b.Fatal(err)
	}
	used := cpuTime(b, p.cmd.Process.Pid) - before
	if r.Errors > 0 {
		b.Fatalf("%s: %d of %d requests failed", p.url, r.Errors, r.Requests)
	}
	return loadRun{Result: r, cpuPerReq: used / time.Duration(r.Requests)}
}

// idleCPU lets p settle, then returns the CPU it uses over idleWindow,
// in cores.
func idleCPU(b *testing.B, p *process) float64 {
	time.Sleep(settle)
	before := cpuTime(b, p.cmd.Process.Pid)
	time.Sleep(idleWindow)
	return float64(cpuTime(b, p.cmd.Process.Pid)-before) / float64(idleWindow)
}

// cpuTime returns the user and system time the process pid has used, from
// /proc/pid/stat, where they count in ticks of 1/100 s.
func cpuTime(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(data)
	// The fields after the command name, in parentheses, start with the
	// state, field 3; utime and stime are fields 14 and 15.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			b.Fatalf("/proc/%d/stat: %v", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// stop ends p with SIGTERM and waits for it.
func stop(b testing.TB, p *process) {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	p.cmd.Wait()
}

// apiCredential is an API key and its secret.
type apiCredential struct{ key, secret string }

// addApps adds n apps, each with a production API key, to the SQLite
// database of the data directory dir while no server runs, in one
// transaction, and returns the keys. The rows are those `app create` and
// `key create` store: the secret sealed under the directory's master key,
// bound to the key ("api_key:" and its id). Builds of other versions read
// them too.
func addApps(b testing.TB, dir string, n int) []apiCredential {
	mk, _, err := secret.LoadOrCreateKeyFile(filepath.Join(dir, "master.key"))
	if err != nil {
		b.Fatal(err)
	}
	box, err := secret.NewBox(mk)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "stagedoor.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(b.Context(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	now := time.Now().UnixMilli()
	keys := make([]apiCredential, n)
	for i := range n {
		// Ids shaped like those the authority gives.
		app, key := fmt.Sprintf("app_scale%07d", i), fmt.Sprintf("sdk_scale%011d", i)
		raw := make([]byte, 32)
		rand.Read(raw)
		sec := base64.RawURLEncoding.EncodeToString(raw)
		keys[i] = apiCredential{key, sec}
		sealed, err := box.Seal([]byte(sec), "api_key:"+key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO apps (id, name, session_policy, created_at) VALUES ($1, $2, 'continuous', $3)`, app, "scale-"+app, now); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO api_keys (id, app_id, kind, secret_ciphertext, created_at) VALUES ($1, $2, 'production', $3, $4)`, key, app, sealed, now); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return keys
}
