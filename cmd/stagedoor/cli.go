package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// ruleError marks a refusal by the access rules or the authority: exit
// status 1 with the error's message.
func ruleError(err error) error { return &exitError{code: 1, err: err} }

// quietFailure is exit status 1 with nothing more on stderr, for commands
// whose output already says what went wrong.
var quietFailure = &exitError{code: 1, err: errors.New("")}

// exactArgs accepts exactly n positional arguments named names, refusing
// anything else as a usage error.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != len(names) {
			if len(names) == 0 {
				return usageError("unexpected argument %q", args[0])
			}
			return usageError("want %d argument(s): %v, got %d", len(names), names, len(args))
		}
		return nil
	}
}

// maxArgs accepts at most n positional arguments, refusing more as a usage
// error.
func maxArgs(n int) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > n {
			return usageError("want at most %d argument(s), got %d", n, len(args))
		}
		return nil
	}
}

// requireFlags reports a usage error naming the first of names that was not
// given on the command line.
func requireFlags(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		if !cmd.Flags().Changed(n) {
			return usageError("--%s is required", n)
		}
	}
	return nil
}

// printJSON writes v to w as indented JSON followed by a newline.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// dash returns s, or "-" when s is empty, for table cells.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
