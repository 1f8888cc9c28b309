package jobs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/storage"
)

// TestRunMissingTargetsFailsRun: when the AE plan's target plan has a
// quota for one AE only, the run fails before any batch posts, naming
// every AE without a quota and the measure, instead of paying them
// against a quota of 0.
func TestRunMissingTargetsFailsRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	people, txns := dataset()
	b.importPeople(t, people)
	b.importTxns(t, txns)
	src, err := os.ReadFile("../examples/account-executive/targets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Drop the role quota, keeping ae-2's own.
	i := strings.Index(string(src), "  - role: AE")
	j := strings.Index(string(src), "  - person: ae-2")
	if i < 0 || j < i {
		t.Fatal("example target plan changed shape")
	}
	dir := filepath.Join(b.dir, "plans")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "targets.yaml"), []byte(string(src[:i])+string(src[j:])), 0o644); err != nil {
		t.Fatal(err)
	}
	b.publish(t, "../examples/account-executive/plan.yaml", filepath.Join(dir, "targets.yaml"))

	run, err := b.run(t, jobs.StartParams{Period: testPeriod, BatchSize: 2})
	if err == nil || run.Status != storage.RunFailed {
		t.Fatalf("run with AEs missing a quota: %+v, %v; want failed", run, err)
	}
	for _, want := range []string{"plan ae-quarterly", "target plan ae-quotas-fy2027", "measure bookings: 9 person(s) without a target: ae-1, ae-10, ae-3"} {
		if !strings.Contains(run.Error, want) {
			t.Errorf("run error %q does not say %q", run.Error, want)
		}
	}
	if strings.Contains(run.Error, "ae-2") {
		t.Errorf("run error %q names ae-2, who has a quota", run.Error)
	}
	if n := len(b.lines(t, testPeriod)); n != 0 {
		t.Errorf("the refused run posted %d lines", n)
	}
	t.Logf("run error: %s", run.Error)
}
