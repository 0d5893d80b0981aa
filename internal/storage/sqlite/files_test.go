package sqlite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// wantPrivate checks that the database and the -wal and -shm files beside
// it exist and are readable and writable by their owner only.
func wantPrivate(t *testing.T, path string) {
	t.Helper()
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(name), mode)
		}
	}
}

// TestDatabaseFilesArePrivate checks the modes of the real files: a new
// database, and one an older version created readable by all, which
// opening tightens.
func TestDatabaseFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stagedoor.db")
	s := open(t, path)
	if err := s.CreateApp(t.Context(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	wantPrivate(t, path)
	s.Close()

	// SQLite gives the -wal and -shm files it creates the database's mode.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	if _, err := s.GetApp(t.Context(), "app1"); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
	wantPrivate(t, path)
}
