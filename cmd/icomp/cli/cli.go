// Package cli holds icomp's cobra commands. Each command's logic returns an
// error; Main maps errors to exit codes: 0 ok, 1 check or test failures,
// 2 usage or I/O errors.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
)

// errFailed reports that checks or tests failed; the details were printed.
var errFailed = errors.New("failed")

type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// env is what every command writes to and reads from.
type env struct {
	stdin  io.Reader
	out    io.Writer
	errOut io.Writer
}

// Main runs icomp with args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, out: stdout, errOut: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errFailed):
		return ExitFailed
	default:
		fmt.Fprintf(stderr, "icomp: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return ExitUsage
		}
		return ExitUsage
	}
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "icomp",
		Short:         "Rules-driven incentive compensation: exact, explained, reproducible payouts",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	db := root.PersistentFlags().String("db", "", "database: a SQLite file (default "+defaultDB+") or a postgres:// URL; also ICOMP_DATABASE_URL")
	root.AddCommand(newPlanCmd(e, db), newImportCmd(e, db), newRunCmd(e, db), newStatementCmd(e, db),
		newExportCmd(e, db), newLedgerCmd(e, db), newDemoCmd(e, db), newBenchCmd(e, db),
		newWorkerCmd(e, db), newMigrateCmd(e, db), newPeriodCmd(e, db), newAdjustCmd(e, db), newRunsCmd(e, db), newVersionCmd(e))
	root.AddCommand(newDisputeCmd(e, db))
	root.AddCommand(newExplainCmd(e, db))
	root.AddCommand(newWhatIfCmd(e, db))
	root.AddCommand(newServeCmd(e, db))
	root.AddCommand(newUsersCmd(e, db))
	return root
}

// group returns a command that only holds subcommands: run bare or with an
// unknown subcommand, it is a usage error (exit 2), not help and exit 0.
func group(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := []string{}
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			return usageError{fmt.Errorf("%s needs a subcommand: %s (see icomp %s --help)", use, strings.Join(names, ", "), use)}
		},
	}
}
