package main

import (
	"net"
	"strings"
	"testing"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServeUnreachableDatabase starts serve against a PostgreSQL address
// where nothing listens: it fails at once, naming the database it could not
// reach without its password.
func TestServeUnreachableDatabase(t *testing.T) {
	addr := closedPort(t)
	t.Setenv("STAGEDOOR_DATABASE", "")
	r := cli(t, "", "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(),
		"--database", "postgres://stagedoor:s3cret@"+addr+"/stagedoor?sslmode=disable")
	wantFailure(t, r, 1, "cannot reach PostgreSQL at postgres://stagedoor:xxxxx@"+addr+"/stagedoor")
	if !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("stderr %q does not say why", r.stderr)
	}
	if strings.Contains(r.stderr, "s3cret") {
		t.Errorf("stderr shows the password: %q", r.stderr)
	}
}
