// Command stagedoor is the access authority for real-time audio/video rooms:
// it serves the HTTP API, mints and inspects tokens offline, and manages
// apps, API keys, roles and signing keys.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitError carries a process exit status other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad flags or arguments: exit status 2.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// run executes the command line and returns the exit status: 0 on success,
// 2 on usage errors, 1 otherwise (or the status an exitError carries).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "stagedoor:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "stagedoor:", err)
	return 1
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "stagedoor",
		Short:         "Access authority for real-time audio/video rooms",
		Long:          "stagedoor mints and checks the access tokens that let people host, broadcast, watch, speak, moderate or drop in as guests in live rooms.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	root.AddCommand(newServeCmd(), newTokenCmd(), newKeyCmd(), newAppCmd(), newRoleCmd(), newSigningKeyCmd(), newAuditCmd(), newAdminCmd(), newLoadCmd(), newLiveKitCmd())
	return root
}
