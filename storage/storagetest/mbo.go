package storagetest

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/storage"
)

// testMBOScores: scores are versioned per person, period and objective (an
// identical score is unchanged, a new one a change, exact whatever its
// scale), listed latest-first by period and person, and append-only.
func testMBOScores(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	score := func(person, period, objective, s string) storage.MBOScore {
		return storage.MBOScore{Score: facts.Score{Person: person, Objective: objective, Score: decimal.RequireFromString(s)}, Period: period, Source: "mbo.csv:2"}
	}
	upsert := func(rows ...storage.MBOScore) storage.ImportCounts {
		var c storage.ImportCounts
		inTx(t, ctx, st, func(tx storage.Tx) error {
			var err error
			c, err = tx.MBOScoreUpsertBatch(ctx, rows)
			return err
		})
		return c
	}
	wantCounts(t, "first import", upsert(score("p1", "2027-Q1", "csat", "0.9"), score("p1", "2027-Q1", "pipeline", "1.25"),
		score("p2", "2027-Q1", "csat", "1"), score("p1", "2027-Q2", "csat", "0.5")), storage.ImportCounts{Inserted: 4})
	wantCounts(t, "same scores, another scale", upsert(score("p1", "2027-Q1", "csat", "0.90"), score("p2", "2027-Q1", "csat", "1.000")), storage.ImportCounts{Unchanged: 2})
	wantCounts(t, "a changed score", upsert(score("p1", "2027-Q1", "csat", "0.95")), storage.ImportCounts{Changed: 1})

	list := func(p storage.MBOScoreListParams) []string {
		got, err := st.MBOScoreList(ctx, p)
		must(t, err)
		var out []string
		for _, s := range got {
			out = append(out, s.Person+" "+s.Period+" "+s.Objective+" "+s.Score.Score.String())
		}
		return out
	}
	wantList(t, list(storage.MBOScoreListParams{Period: "2027-Q1"}), "p1 2027-Q1 csat 0.95", "p1 2027-Q1 pipeline 1.25", "p2 2027-Q1 csat 1")
	wantList(t, list(storage.MBOScoreListParams{Period: "2027-Q1", People: []string{"p2"}}), "p2 2027-Q1 csat 1")
	wantList(t, list(storage.MBOScoreListParams{Period: "2027-Q3"}))
	if b.opts.RawExec != nil {
		for _, sql := range []string{`UPDATE mbo_score SET score = 2`, `DELETE FROM mbo_score`} {
			if err := b.opts.RawExec(context.Background(), st, sql); err == nil {
				t.Errorf("%s: the database allowed it; MBO scores are append-only", sql)
			}
		}
	}
}

func wantList(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("list = %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("list = %q, want %q", got, want)
		}
	}
}
