package sqlite

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// However many readers wait at once, the store opens at most maxConns
// connections for them, and one that watches for other processes'
// commits, and so at most that many handles on the database file, and no
// more stay open once the readers are done.
func TestPoolIsCapped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stagedoor.db")
	s := open(t, path)
	defer s.Close()
	const readers, watcher = 4 * maxConns, 1
	release := make(chan struct{})
	done := make(chan error, readers)
	for range readers {
		go func() {
			rows, err := s.db.QueryContext(t.Context(), `SELECT id FROM apps`)
			if err != nil {
				done <- err
				return
			}
			<-release
			done <- rows.Close()
		}()
	}
	waitFor(t, "readers holding or waiting for a connection", func() bool {
		st := s.db.Stats()
		return st.InUse == maxConns+watcher && st.WaitCount == readers-maxConns
	})
	if st := s.db.Stats(); st.OpenConnections > maxConns+watcher {
		t.Errorf("%d connections open for %d readers, want at most %d and the watcher's", st.OpenConnections, readers, maxConns)
	}
	if n := fileHandles(t, path); n > maxConns+watcher {
		t.Errorf("%d handles on the database file, want at most %d", n, maxConns+watcher)
	}
	close(release)
	for range readers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if st := s.db.Stats(); st.OpenConnections > maxConns+watcher || st.InUse != watcher {
		t.Errorf("after the readers: %d connections open, %d in use", st.OpenConnections, st.InUse)
	}
	if n := fileHandles(t, path); n > maxConns+watcher {
		t.Errorf("after the readers: %d handles on the database file, want at most %d", n, maxConns+watcher)
	}
}

// fileHandles counts this process's open file descriptors on path, on
// systems that list them in /proc.
func fileHandles(t *testing.T, path string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot list file descriptors: %v", err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

// waitFor waits until cond, a condition on database/sql's pool statistics,
// holds. database/sql tells no one when a request starts waiting for a
// connection, so the statistics are read again every millisecond.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out", what)
		}
	}
}
