package pgtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// Cluster is a PostgreSQL cluster of a test's own, in a temporary
// directory on a free loopback port, run as the postgres user, which the
// test can stop and start.
type Cluster struct {
	bin, dir, port string
}

// ErrNoServer reports that this machine cannot run a cluster of its own:
// no PostgreSQL server binaries, no postgres user, or not root (which
// runuser needs to run the server as that user).
var ErrNoServer = errors.New("pgtest: cannot start a PostgreSQL cluster here")

// NewCluster initialises and starts a cluster. Close stops and removes it.
func NewCluster() (*Cluster, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return nil, fmt.Errorf("%w: no server binaries under /usr/lib/postgresql/*/bin", ErrNoServer)
	}
	slices.Sort(bins)
	if _, err := exec.LookPath("runuser"); err != nil {
		return nil, fmt.Errorf("%w: runuser is missing", ErrNoServer)
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: not root", ErrNoServer)
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoServer, err)
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// A test's temporary directory is not reachable by another user.
	dir, err := os.MkdirTemp("", "stagedoor-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: filepath.Dir(bins[len(bins)-1]), dir: dir, port: port}
	if err := c.init(uid, gid); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) init(uid, gid int) error {
	if err := os.MkdirAll(filepath.Join(c.dir, "sock"), 0o700); err != nil {
		return err
	}
	for _, p := range []string{c.dir, filepath.Join(c.dir, "sock")} {
		if err := os.Chown(p, uid, gid); err != nil {
			return err
		}
	}
	out, err := c.runAsPostgres("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "--no-sync", "--no-instructions").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

// StartCluster starts a cluster for t, stopped and removed when t ends. It
// skips t when this machine cannot run one.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := NewCluster()
	if errors.Is(err, ErrNoServer) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// URL is the cluster's postgres database.
func (c *Cluster) URL() string {
	return "postgres://postgres@127.0.0.1:" + c.port + "/postgres?sslmode=disable"
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() error {
	opts := fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1", c.port, filepath.Join(c.dir, "sock"))
	return c.pgctl("start", "-l", filepath.Join(c.dir, "log"), "-o", opts)
}

// Stop shuts the server down the fast way: open sessions are ended.
func (c *Cluster) Stop() error {
	return c.pgctl("stop", "-m", "fast")
}

// Close stops the server at once and removes the cluster.
func (c *Cluster) Close() {
	c.pgctl("stop", "-m", "immediate")
	os.RemoveAll(c.dir)
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) runAsPostgres(tool string, args ...string) *exec.Cmd {
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, tool)}, args...)...)
}

func (c *Cluster) pgctl(args ...string) error {
	args = append([]string{"-D", c.data(), "-w", "-t", "30"}, args...)
	out, err := c.runAsPostgres("pg_ctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %v: %v\n%s", args, err, out)
	}
	return nil
}

// freePort returns a loopback port nothing listens on.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// Main runs a package's tests, on a cluster of their own when EnvVar names
// no database: it starts one, points EnvVar at it for the run, and removes
// it afterwards. Where no cluster can be started the PostgreSQL tests skip
// and say why. Call it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	if os.Getenv(EnvVar) != "" {
		return m.Run()
	}
	c, err := NewCluster()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %s is not set and no cluster could be started (%v); the PostgreSQL tests skip\n", EnvVar, err)
		return m.Run()
	}
	defer c.Close()
	os.Setenv(EnvVar, c.URL())
	return m.Run()
}
