package jobs_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/icomp/icomp/jobs"
)

// batchArgs returns the batch jobs River holds for run id.
func (b *testBundle) batchArgs(t *testing.T, runID int64) []jobs.BatchArgs {
	t.Helper()
	rows, err := b.st.DB.QueryContext(t.Context(), `SELECT json(args) FROM river_job WHERE kind = ?`, jobs.BatchArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []jobs.BatchArgs
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var a jobs.BatchArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		if a.RunID == runID {
			out = append(out, a)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunNothingPosted: the first run of a period tells every batch that
// nothing is posted for it (so it reads no posted lines); a re-run tells
// none of the batches whose people have lines, and still posts exactly
// the difference (TestRunChangedTransaction compares it with a fresh run).
// Settlement batches name the plans whose earned lines they read.
func TestRunNothingPosted(t *testing.T) {
	t.Parallel()
	b := setupWithData(t)
	first := b.mustRun(t, jobs.StartParams{Period: testPeriod, BatchSize: 7})
	batches := b.batchArgs(t, first.ID)
	if len(batches) != first.Batches {
		t.Fatalf("first run: %d batch jobs, want %d", len(batches), first.Batches)
	}
	settle := 0
	for _, a := range batches {
		if !a.NothingPosted {
			t.Errorf("first run: batch %d (plan %q, settle %v) reads posted lines, want NothingPosted", a.Index, a.PlanName, a.Settle)
		}
		if a.Settle {
			settle++
		}
	}
	if settle == 0 {
		t.Fatal("first run: no settlement batch")
	}

	scope, err := b.st.LedgerScope(t.Context(), testPeriod)
	if err != nil {
		t.Fatal(err)
	}
	plans := slices.Sorted(maps.Keys(scope))
	second := b.mustRun(t, jobs.StartParams{Period: testPeriod, BatchSize: 7})
	if second.Lines != 0 || second.Digest != first.Digest {
		t.Fatalf("re-run posted %d lines (digest %s), want 0 (%s)", second.Lines, second.Digest, first.Digest)
	}
	again := b.batchArgs(t, second.ID)
	if len(again) != second.Batches {
		t.Fatalf("re-run: %d batch jobs, want %d", len(again), second.Batches)
	}
	for _, a := range again {
		posted := a.Settle // the first run settled every person it paid
		for _, id := range scope[a.PlanName] {
			for _, p := range a.People {
				posted = posted || id == p
			}
		}
		if a.Settle && strings.Join(a.EarnedPlans, ",") != strings.Join(plans, ",") {
			t.Errorf("re-run: settlement batch %d reads the earned lines of plans %v, want %v", a.Index, a.EarnedPlans, plans)
		}
		if a.NothingPosted == posted {
			t.Errorf("re-run: batch %d (plan %q, settle %v, people %v): NothingPosted %v, want %v", a.Index, a.PlanName, a.Settle, a.People, a.NothingPosted, !posted)
		}
	}
}
