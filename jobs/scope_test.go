package jobs_test

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/jobs"
)

// TestRunReversesPeopleWhoLeft: a person who is no longer a plan's payee
// (here: moved out of the AE role) has the lines of their earlier run
// reversed by the re-run, so the lines in force equal those of a fresh
// database given the new people.
func TestRunReversesPeopleWhoLeft(t *testing.T) {
	t.Parallel()
	b := setupWithData(t)
	b.mustRun(t, jobs.StartParams{Period: testPeriod})
	before := inForce(b.lines(t, testPeriod))
	had := 0
	for k := range before {
		if k.Person == "ae-1" && k.Plan == "ae-quarterly" {
			had++
		}
	}
	if had == 0 {
		t.Fatal("ae-1 has no ae-quarterly lines to begin with")
	}

	people, txns := dataset()
	moved := strings.Replace(people, ",AE,", ",Manager,", 1) // the first AE row is ae-1's
	if moved == people || !strings.Contains(people, "ae-1,") {
		t.Fatal("could not find ae-1's row to change")
	}
	b.importPeople(t, moved)
	b.mustRun(t, jobs.StartParams{Period: testPeriod})
	after := inForce(b.lines(t, testPeriod))
	for k := range after {
		if k.Person == "ae-1" && k.Plan == "ae-quarterly" {
			t.Fatalf("ae-1 left the AE role but still has %v in force", k)
		}
	}

	fresh := setup(t)
	fresh.importPeople(t, moved)
	fresh.importTxns(t, txns)
	fresh.publish(t, "../examples")
	fresh.mustRun(t, jobs.StartParams{Period: testPeriod})
	if want := inForce(fresh.lines(t, testPeriod)); !maps.Equal(after, want) {
		t.Fatalf("lines in force after the re-run differ from a fresh run: %d vs %d keys", len(after), len(want))
	}
}

// TestRunReversesPlansNoLongerInEffect: when no version of a plan
// computes the period any more (a new version pays monthly from the same
// date), a re-run of every plan reverses the lines the plan posted in
// it; a run limited to another plan leaves them alone.
func TestRunReversesPlansNoLongerInEffect(t *testing.T) {
	t.Parallel()
	b := setupWithData(t)
	b.mustRun(t, jobs.StartParams{Period: testPeriod})
	count := func() (n int) {
		for k := range inForce(b.lines(t, testPeriod)) {
			if k.Plan == "ae-quarterly" {
				n++
			}
		}
		return n
	}
	if count() == 0 {
		t.Fatal("no ae-quarterly lines to begin with")
	}
	src, err := os.ReadFile("../examples/account-executive/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// A version from the same date paying monthly: no version of the
	// plan computes the quarter any more. (A version that ended before
	// the quarter would leave it to the version from 2027-01-01.)
	ended := strings.Replace(strings.Replace(string(src), "period: quarterly", "period: monthly", 1), `version: "`, `version: "monthly-`, 1)
	if !strings.Contains(ended, "period: monthly") {
		t.Fatal("could not rewrite the plan's frequency")
	}
	dir := filepath.Join(b.dir, "ended")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"targets.yaml"} {
		data, err := os.ReadFile("../examples/account-executive/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(ended), 0o644); err != nil {
		t.Fatal(err)
	}
	b.publish(t, filepath.Join(dir, "plan.yaml"))

	b.mustRun(t, jobs.StartParams{Period: testPeriod, Plan: "se-overlay-quarterly"})
	if count() == 0 {
		t.Fatal("a run limited to another plan reversed ae-quarterly's lines")
	}
	b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if n := count(); n != 0 {
		t.Fatalf("ae-quarterly ended before %s but %d of its lines are still in force", testPeriod, n)
	}
}
