// Command maildx explains why an email was not delivered and what to do
// about it. Each subcommand lives in its own file; this file only wires them.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses (DESIGN.md "CLI").
const (
	exitOK      = 0
	exitPartial = 1 // some input could not be processed, or nothing was found
	exitUsage   = 2
)

// version is the module version from the build information ("(devel)" for
// a build from a checkout).
var version = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}()

// exitError carries an exit status; its message (if any) was already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError marks a command-line mistake (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// app holds what every subcommand needs; tests build one with buffers.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func main() {
	a := &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(a.run(os.Args[1:]))
}

// run executes the command line and returns the exit status.
func (a *app) run(args []string) int {
	root := a.rootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(a.stderr, "maildx:", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintln(a.stderr, "Run 'maildx --help' for usage.")
		return exitUsage
	}
	return exitPartial
}

// isCobraUsage reports flag and argument errors that cobra produces itself.
func isCobraUsage(err error) bool {
	var fe *flagErr
	return errors.As(err, &fe) || strings.HasPrefix(err.Error(), "unknown command")
}

// args wraps a cobra argument validator so that its complaint is a usage
// error (exit status 2).
func args(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := v(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// flagErr wraps cobra's flag parsing errors so run can map them to status 2.
type flagErr struct{ err error }

func (e *flagErr) Error() string { return e.err.Error() }
func (e *flagErr) Unwrap() error { return e.err }

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "maildx",
		Short: "Explain why an email was not delivered and what to do about it",
		Long: `maildx turns delivery errors – SMTP replies, enhanced status codes, provider
messages, client error codes, bounce emails, mail logs and ESP webhook
events – into a clear diagnosis: what happened, whose fault it is, hard or
soft, retry or suppress, and the steps to fix it, in English and German.
It checks the DNS and addresses behind the common errors, stores delivery
events with a suppression list, and serves it all as a web UI and JSON API.

Language: --lang, else MAILDX_LANG, else LANG, else English.
Exit status: 0 success, 1 some input failed or nothing was found, 2 usage error.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		CompletionOptions: cobra.CompletionOptions{
			HiddenDefaultCmd: true,
		},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &flagErr{err} })
	root.AddCommand(a.explainCmd(), a.parseCmd(), a.logsCmd(), a.lookupCmd(), a.codesCmd(), a.checkCmd(), a.serveCmd(), a.eventsCmd(), a.suppressionsCmd())
	return root
}
