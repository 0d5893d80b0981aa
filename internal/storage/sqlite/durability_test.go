package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// childEnv names the database a re-executed test binary writes to before it
// is killed.
const childEnv = "STAGEDOOR_SQLITE_KILL_CHILD"

func TestCommittedWriteSurvivesKill(t *testing.T) {
	if path := os.Getenv(childEnv); path != "" {
		writeAndWait(path)
		return
	}
	path := filepath.Join(t.TempDir(), "stagedoor.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCommittedWriteSurvivesKill$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	cmd.Stderr = os.Stderr
	// The child waits on its stdin, which stays open until it is killed.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := false
	for lines := bufio.NewScanner(stdout); !committed && lines.Scan(); {
		committed = lines.Text() == "committed"
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !committed {
		t.Fatal("the child process did not commit")
	}

	s := open(t, path)
	defer s.Close()
	if _, err := s.GetApp(t.Context(), "app1"); err != nil {
		t.Fatalf("acknowledged write lost after kill: %v", err)
	}
}

// writeAndWait commits an app, says so on stdout and waits to be killed,
// reading stdin, which the parent holds open; it exits when stdin ends.
func writeAndWait(path string) {
	s, err := Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := s.CreateApp(context.Background(), storage.App{ID: "app1", Name: "Acme"}, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("committed")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(1)
}
