package storagetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/icomp/icomp/storage"
)

// testDisputes: a dispute is stored with its opening event, transitions
// append events in order, a repeated event number fails (two racing
// transitions cannot both win) and rolls back, lists filter by person,
// period and the newest event's state, and the database refuses to
// change or delete either table.
func testDisputes(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	if _, err := st.DisputeGet(ctx, 1); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("DisputeGet on an empty store: %v, want ErrNotFound", err)
	}
	if ds, err := st.DisputeList(ctx, storage.DisputeListParams{}); err != nil || len(ds) != 0 {
		t.Fatalf("DisputeList on an empty store: %v, %v", ds, err)
	}
	var line, deal, other int64
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		if line, err = tx.DisputeInsert(ctx, storage.Dispute{Person: "p1", Period: "2027-Q1", Plan: "ae", Subject: "commission",
			Text: "T003's split is missing", OpenedBy: "p1", OpenedAt: "2027-04-02T09:00:00Z"}); err != nil {
			return err
		}
		if deal, err = tx.DisputeInsert(ctx, storage.Dispute{Person: "p1", Period: "2027-Q1", Txn: "T-17",
			Text: "not credited", OpenedBy: "p1", OpenedAt: "2027-04-03T09:00:00Z"}); err != nil {
			return err
		}
		other, err = tx.DisputeInsert(ctx, storage.Dispute{Person: "p2", Period: "2027-Q2", Txn: "T-18",
			Text: "mine", OpenedBy: "p2", OpenedAt: "2027-07-01T09:00:00Z"})
		return err
	})
	if line >= deal || deal >= other {
		t.Fatalf("ids %d, %d, %d: want increasing", line, deal, other)
	}
	inTx(t, ctx, st, func(tx storage.Tx) error {
		if err := tx.DisputeEventInsert(ctx, storage.DisputeEvent{DisputeID: line, Seq: 2, State: storage.DisputeInReview, By: "admin", At: "2027-04-04T09:00:00Z"}); err != nil {
			return err
		}
		return tx.DisputeEventInsert(ctx, storage.DisputeEvent{DisputeID: line, Seq: 3, State: storage.DisputeResolved,
			Resolution: storage.ResolutionAdjusted, Note: "split added", AdjustmentID: 7, By: "admin", At: "2027-04-05T09:00:00Z"})
	})
	// A second event 3 (a racing resolution) fails, and its transaction
	// writes nothing.
	err := st.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.DisputeEventInsert(ctx, storage.DisputeEvent{DisputeID: deal, Seq: 2, State: storage.DisputeResolved, Resolution: storage.ResolutionRejected, By: "x", At: "y"}); err != nil {
			return err
		}
		return tx.DisputeEventInsert(ctx, storage.DisputeEvent{DisputeID: line, Seq: 3, State: storage.DisputeResolved, Resolution: storage.ResolutionRejected, By: "x", At: "y"})
	})
	if err == nil {
		t.Fatal("a repeated event number was stored")
	}

	d, err := st.DisputeGet(ctx, line)
	must(t, err)
	var hist []string
	for _, e := range d.Events {
		hist = append(hist, fmt.Sprintf("%d %s %s %s %d %s %s", e.Seq, e.State, e.Resolution, e.Note, e.AdjustmentID, e.By, e.At))
	}
	want := []string{
		"1 open  T003's split is missing 0 p1 2027-04-02T09:00:00Z",
		"2 in_review   0 admin 2027-04-04T09:00:00Z",
		"3 resolved adjusted split added 7 admin 2027-04-05T09:00:00Z",
	}
	if strings.Join(hist, "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(hist, "\n"), strings.Join(want, "\n"))
	}
	if d.Person != "p1" || d.Period != "2027-Q1" || d.Plan != "ae" || d.Subject != "commission" || d.Txn != "" || d.State() != storage.DisputeResolved {
		t.Errorf("dispute %+v", d)
	}

	ids := func(p storage.DisputeListParams) string {
		t.Helper()
		ds, err := st.DisputeList(ctx, p)
		must(t, err)
		var out []string
		for _, d := range ds {
			out = append(out, fmt.Sprint(d.ID))
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		p    storage.DisputeListParams
		want string
	}{
		{storage.DisputeListParams{}, fmt.Sprintf("%d,%d,%d", line, deal, other)},
		{storage.DisputeListParams{Person: "p1"}, fmt.Sprintf("%d,%d", line, deal)},
		{storage.DisputeListParams{Period: "2027-Q2"}, fmt.Sprint(other)},
		{storage.DisputeListParams{State: storage.DisputeOpen}, fmt.Sprintf("%d,%d", deal, other)},
		{storage.DisputeListParams{State: storage.DisputeResolved}, fmt.Sprint(line)},
		{storage.DisputeListParams{Person: "p1", State: storage.DisputeOpen}, fmt.Sprint(deal)},
		{storage.DisputeListParams{Person: "p3"}, ""},
	} {
		if got := ids(tc.p); got != tc.want {
			t.Errorf("DisputeList(%+v) = %s, want %s", tc.p, got, tc.want)
		}
	}

	if b.opts.RawExec == nil {
		return
	}
	for _, q := range []string{
		`UPDATE dispute SET text = 'changed'`,
		`DELETE FROM dispute WHERE txn = 'T-18'`,
		`UPDATE dispute_event SET state = 'open'`,
		`DELETE FROM dispute_event`,
	} {
		if err := b.opts.RawExec(ctx, st, q); err == nil {
			t.Errorf("%s: succeeded, want the database to refuse it", q)
		}
	}
	if got := ids(storage.DisputeListParams{State: storage.DisputeResolved}); got != fmt.Sprint(line) {
		t.Errorf("after refused statements, resolved = %s", got)
	}
}
