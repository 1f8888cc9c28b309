package jobs_test

import (
	"maps"
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
