package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// pgCluster is a PostgreSQL cluster of the test's own, run as the postgres
// user, which the test can stop and start.
type pgCluster struct {
	bin, dir, port string
}

// startCluster initialises and starts a PostgreSQL cluster in a temporary
// directory on a free loopback port, stopped and removed when t ends. It
// skips t when the PostgreSQL binaries or runuser are missing, or when the
// test does not run as root (which runuser needs).
func startCluster(t *testing.T) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
	}
	slices.Sort(bins)
	if _, err := exec.LookPath("runuser"); err != nil {
		t.Skip("runuser is missing: it runs PostgreSQL as the postgres user")
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: runuser cannot run PostgreSQL as the postgres user")
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("no postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	// t.TempDir is not reachable by another user: make one that is.
	dir, err := os.MkdirTemp("", "stagedoor-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &pgCluster{bin: filepath.Dir(bins[len(bins)-1]), dir: dir, port: freePort(t)}
	t.Cleanup(func() {
		c.pgctl(t, "stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if err := os.MkdirAll(filepath.Join(dir, "sock"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "sock")} {
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.runAsPostgres("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "--no-sync", "--no-instructions").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start(t)
	return c
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// url is the cluster's postgres database.
func (c *pgCluster) url() string {
	return "postgres://postgres@127.0.0.1:" + c.port + "/postgres?sslmode=disable"
}

func (c *pgCluster) runAsPostgres(tool string, args ...string) *exec.Cmd {
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, tool)}, args...)...)
}

func (c *pgCluster) pgctl(t *testing.T, args ...string) error {
	t.Helper()
	args = append([]string{"-D", c.data(), "-w", "-t", "30"}, args...)
	out, err := c.runAsPostgres("pg_ctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %v: %v\n%s", args, err, out)
	}
	return nil
}

// start starts the server and waits until it accepts connections.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1", c.port, filepath.Join(c.dir, "sock"))
	if err := c.pgctl(t, "start", "-l", filepath.Join(c.dir, "log"), "-o", opts); err != nil {
		t.Fatal(err)
	}
}

// stop shuts the server down the fast way: open sessions are ended.
func (c *pgCluster) stop(t *testing.T) {
	t.Helper()
	if err := c.pgctl(t, "stop", "-m", "fast"); err != nil {
		t.Fatal(err)
	}
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	_, port, err := net.SplitHostPort(closedPort(t))
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// waitFor polls ok every 20 ms until it reports true or d passes.
func waitFor(ctx context.Context, d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
