// Package servetest runs `stagedoor serve` (or `stagedoor load floor`) as a
// child process for tests that speak to the real program over HTTP: it
// starts the command, waits for the log line saying where it serves, and
// keeps what the process printed before that (a first start's banner with
// its API key).
package servetest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// StartTimeout is how long Start waits for the server to listen.
const StartTimeout = 30 * time.Second

// Process is a running `stagedoor serve` or `load floor`.
type Process struct {
	// Cmd is the child process.
	Cmd *exec.Cmd
	// Addr is the address it serves on; URL is http://Addr.
	Addr, URL string
	// Startup is everything the process wrote to stdout and stderr, in
	// order, before it served: the banner of a first start and the logs.
	Startup string
}

var servingLine = regexp.MustCompile(`"msg":"serving","addr":"([^"]+)"`)

// Start runs cmd, a `stagedoor serve` or `load floor` command line, and
// returns once it logs that it serves. The command's stdout and stderr are one
// stream, so the banner a first start prints always comes before that
// line. Stop the process with Stop.
func Start(cmd *exec.Cmd) (*Process, error) {
	if cmd.Stdout != nil || cmd.Stderr != nil {
		return nil, errors.New("servetest: the command's output must be left to Start")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, err
	}
	p := &Process{Cmd: cmd}
	served := make(chan error, 1)
	go func() {
		defer r.Close()
		var out strings.Builder
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if m := servingLine.FindStringSubmatch(line); m != nil {
				p.Addr, p.URL, p.Startup = m[1], "http://"+m[1], out.String()
				served <- nil
				io.Copy(io.Discard, br)
				return
			}
			out.WriteString(line)
			if err != nil {
				served <- fmt.Errorf("servetest: %s exited before serving: %v\n%s", cmd.Path, err, out.String())
				return
			}
		}
	}()
	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	select {
	case err = <-served:
	case <-timer.C:
		err = fmt.Errorf("servetest: %s did not serve within %s", cmd.Path, StartTimeout)
	}
	if err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// Stop kills the process, if it still runs, and waits for it to exit.
func (p *Process) Stop() {
	p.Cmd.Process.Kill()
	p.Cmd.Wait()
}

// Build compiles the stagedoor command into dir and returns the path of
// the binary. It runs the go command of the test's environment from the
// current directory, which must be inside the module.
func Build(dir string) (string, error) {
	bin := dir + "/stagedoor"
	out, err := exec.Command("go", "build", "-o", bin, "github.com/stagedoor/stagedoor/cmd/stagedoor").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("servetest: go build: %v\n%s", err, out)
	}
	return bin, nil
}
