package storagetest

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
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

// testPersonVersionList: the versions in force on some day of a span are
// the one in force on its first day and every later one up to its last,
// each at its latest revision.
func testPersonVersionList(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	a1 := person("p1", "Ana", "1900-01-01")
	a2 := person("p1", "Ana", "2027-02-15")
	a2.Plans = []string{"manager-plan"}
	a3 := person("p1", "Ana", "2027-07-01")
	a3.Role = "Manager"
	bo := person("p2", "Bo", "2027-03-01")
	upsertPeople(t, ctx, st, a1, a2, a3, bo)
	a2.Name = "Ana Lopez" // a second revision of the 2027-02-15 version
	upsertPeople(t, ctx, st, a2)
	list := func(from, to string, ids []string) []string {
		got, err := st.PersonVersionList(ctx, storage.PersonVersionListParams{Span: period.Range{Start: day(from), End: day(to)}, IDs: ids})
		must(t, err)
		var out []string
		for _, r := range got {
			out = append(out, r.ID+" "+r.EffectiveFrom.String()+" "+r.Name)
		}
		return out
	}
	wantList(t, list("2027-01-01", "2027-03-31", nil), "p1 1900-01-01 Ana", "p1 2027-02-15 Ana Lopez", "p2 2027-03-01 Bo")
	wantList(t, list("2027-04-01", "2027-06-30", nil), "p1 2027-02-15 Ana Lopez", "p2 2027-03-01 Bo")
	wantList(t, list("2027-01-01", "2027-02-14", []string{"p1", "p2"}), "p1 1900-01-01 Ana")
	wantList(t, list("2027-06-30", "2027-07-01", []string{"p1"}), "p1 2027-02-15 Ana Lopez", "p1 2027-07-01 Ana")
}
