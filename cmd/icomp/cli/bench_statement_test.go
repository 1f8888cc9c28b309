package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBenchStatement: bench statement on a small size builds the
// workspace, reads the rep's statement in every format and the team view,
// and prints one line per request kind with the count, median, p99, max
// and size. It checks the report's shape, never the times.
func TestBenchStatement(t *testing.T) {
	t.Parallel()
	r := mustIcomp(t, "bench", "statement", "--deals", "40", "--teammates", "2", "--requests", "2")
	if !strings.Contains(r.out, "data         bench-ae-01: 40 credited deals in 2027-Q1; 2 teammates of 100 deals") {
		t.Errorf("no data line:\n%s", r.out)
	}
	if !regexp.MustCompile(`(?m)^statement    reports\.BuildStatement in process \(\d+ credit rows\): 2 requests, median \S+, p99 \S+, max \S+$`).MatchString(r.out) {
		t.Errorf("no in-process statement line:\n%s", r.out)
	}
	for _, want := range []string{
		`html         GET /statements/bench-ae-01/2027-Q1: `,
		`json         GET /api/statements/bench-ae-01/2027-Q1: `,
		`pdf          GET /statements/bench-ae-01/2027-Q1/pdf: `,
		`team html    GET /team\?period=2027-Q1: `,
		`team json    GET /api/team/2027-Q1: `,
	} {
		re := regexp.MustCompile(`(?m)^` + want + `2 requests, median \S+, p99 \S+, max \S+; [1-9]\d* bytes; cpu \S+$`)
		if !re.MatchString(r.out) {
			t.Errorf("no line matching %s:\n%s", re, r.out)
		}
	}
}

// TestBenchStatementDir: with --dir and --requests 0 the workspace is
// built there and kept, and a non-empty directory is refused.
func TestBenchStatementDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "ws")
	r := mustIcomp(t, "bench", "statement", "--deals", "10", "--teammates", "0", "--requests", "0", "--dir", dir)
	if strings.Contains(r.out, "GET ") {
		t.Errorf("--requests 0 made requests:\n%s", r.out)
	}
	for _, name := range []string{"icomp.db", "people.csv", "transactions.csv", filepath.Join("plans", "account-executive", "plan.yaml")} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("kept workspace: %v", err)
		}
	}
	r = icomp(t, "bench", "statement", "--deals", "10", "--requests", "0", "--dir", dir)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "is not empty") {
		t.Errorf("second bench into the same directory: %s", r)
	}
}
