package disputes_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/disputes"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// disputedPlan is a quarterly comp plan, so that adjustments of 2027-Q1
// have a plan to pay them.
const disputedPlan = `kind: comp_plan
name: ae
version: "1"
effective: {from: 2027-01-01}
currency: EUR
period: quarterly
credit:
  - name: owner
measures:
  - name: bookings
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
`

func openStore(t *testing.T) storage.Store {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "icomp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.InTx(t.Context(), func(tx storage.Tx) error {
		_, err := tx.PersonUpsertBatch(t.Context(), []storage.PersonRecord{{
			Person: facts.Person{ID: "ae-1", Name: "Ana", Role: "AE", Currency: "EUR"}, EffectiveFrom: period.MustDate("2027-01-01")}})
		if err != nil {
			return err
		}
		if err := tx.SettingSet(t.Context(), storage.SettingFiscalYearStart, "1"); err != nil {
			return err
		}
		// A quarterly plan computes the disputed periods.
		f, diags := plans.Load("ae.yaml", []byte(disputedPlan))
		if len(diags) > 0 {
			return fmt.Errorf("plan: %v", diags)
		}
		_, err = tx.PlanVersionInsert(t.Context(), storage.PlanVersion{Hash: f.Comp.Hash, Kind: plans.KindCompPlan, Name: f.Comp.Name, Version: f.Comp.Version, File: "ae.yaml", Source: disputedPlan})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// insert stores a deal dispute of ae-1 opened at openedAt, with more
// events (states) after the opening one.
func insert(t *testing.T, st storage.Store, openedAt string, states ...string) int64 {
	t.Helper()
	var id int64
	err := st.InTx(t.Context(), func(tx storage.Tx) error {
		var err error
		if id, err = tx.DisputeInsert(t.Context(), storage.Dispute{Person: "ae-1", Period: "2027-Q1", Txn: "T1", Text: "t", OpenedBy: "ae-1", OpenedAt: openedAt}); err != nil {
			return err
		}
		for i, s := range states {
			if err := tx.DisputeEventInsert(t.Context(), storage.DisputeEvent{DisputeID: id, Seq: i + 2, State: s, By: "admin", At: openedAt}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestAging: ages count whole days from the UTC day a dispute was opened
// to the as-of day; the bucket edges are 7|8 and 30|31; resolved disputes
// and disputes opened after the as-of day are left out.
func TestAging(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	asOf := period.MustDate("2027-05-01")
	cases := []struct {
		openedAt string
		states   []string
		bucket   int // -1: not listed
		age      int
	}{
		{"2027-05-01T23:59:59Z", nil, 0, 0},
		{"2027-04-24T23:00:00+00:00", []string{storage.DisputeInReview}, 0, 7},
		{"2027-04-23T00:00:00Z", nil, 1, 8},
		{"2027-04-01T12:00:00Z", nil, 1, 30},
		{"2027-03-31T12:00:00Z", []string{storage.DisputeInReview}, 2, 31},
		{"2026-03-27T12:00:00Z", nil, 2, 400},
		{"2027-01-01T00:00:00Z", []string{storage.DisputeInReview, storage.DisputeResolved}, -1, 0},
		{"2027-05-02T00:00:00Z", nil, -1, 0},
		// 2027-04-24 23:30 in New York is 2027-04-25 in UTC: 6 days.
		{"2027-04-24T23:30:00-04:00", nil, 0, 6},
	}
	want := [3][]string{}
	for _, c := range cases {
		id := insert(t, st, c.openedAt, c.states...)
		if c.bucket >= 0 {
			want[c.bucket] = append(want[c.bucket], fmt.Sprintf("%d:%d", id, c.age))
		}
	}
	rep, err := disputes.Aging(t.Context(), st, asOf)
	if err != nil {
		t.Fatal(err)
	}
	// Oldest first within a bucket.
	want[0] = []string{want[0][1], want[0][2], want[0][0]}
	want[1] = []string{want[1][1], want[1][0]}
	want[2] = []string{want[2][1], want[2][0]}
	for i, b := range rep.Buckets {
		var got []string
		for _, d := range b.Disputes {
			got = append(got, fmt.Sprintf("%d:%d", d.ID, d.AgeDays))
		}
		if strings.Join(got, " ") != strings.Join(want[i], " ") {
			t.Errorf("bucket %s = %v, want %v", b.Label, got, want[i])
		}
	}
}

// failingEvents is a store whose transactions cannot append dispute
// events, as when a racing transition took the event number first.
type failingEvents struct{ storage.Store }

type failingTx struct{ storage.Tx }

func (f failingEvents) InTx(ctx context.Context, fn func(tx storage.Tx) error) error {
	return f.Store.InTx(ctx, func(tx storage.Tx) error { return fn(failingTx{tx}) })
}

func (failingTx) DisputeEventInsert(context.Context, storage.DisputeEvent) error {
	return errors.New("UNIQUE constraint failed: dispute_event.dispute_id, dispute_event.seq")
}

// TestResolve: the state machine and the adjustment a resolution posts,
// linked both ways, in one transaction.
func TestResolve(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	const at = "2027-04-10T09:00:00Z"

	// An open dispute may be rejected without a review.
	open := insert(t, st, at)
	res, err := disputes.Resolve(ctx, st, disputes.ResolveRequest{ID: open, Reject: true, Note: "credited in full", By: "admin", At: at})
	if err != nil || res.Adjustment != nil || res.Dispute.State() != storage.DisputeResolved || res.Dispute.Last().Resolution != storage.ResolutionRejected {
		t.Fatalf("reject an open dispute: %+v, %v", res, err)
	}

	// An adjusted resolution: the adjustment names the dispute, the event
	// records the adjustment, the currency is the person's (a deal
	// dispute has no line), and the period needs a re-run.
	id := insert(t, st, at, storage.DisputeInReview)
	res, err = disputes.Resolve(ctx, st, disputes.ResolveRequest{ID: id, Amount: "-12.50", EarningCode: "ADJ", Note: "over-credited", By: "admin", At: at})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Adjustment
	if a == nil || a.ID == 0 || a.Currency != "EUR" || a.Amount.String() != "-12.5" || a.Period != "2027-Q1" ||
		a.Reason != fmt.Sprintf("dispute %d: over-credited", id) || a.Source != fmt.Sprintf("dispute/%d", id) || res.PostsInto != "2027-Q1" {
		t.Fatalf("adjustment %+v, posts into %s", a, res.PostsInto)
	}
	if e := res.Dispute.Last(); e.AdjustmentID != a.ID || e.Resolution != storage.ResolutionAdjusted || e.Seq != 3 || e.By != "admin" {
		t.Fatalf("resolved event %+v", e)
	}
	v, err := disputes.Show(ctx, st, id)
	if err != nil || v.Adjustment == nil || v.Adjustment.ID != a.ID {
		t.Fatalf("show: %+v, %v", v, err)
	}

	for _, tc := range []struct {
		name string
		do   func() error
		kind error
		msg  string
	}{
		{"resolve resolved", func() error {
			_, err := disputes.Resolve(ctx, st, disputes.ResolveRequest{ID: id, Reject: true, Note: "n", By: "b", At: at})
			return err
		}, disputes.ErrConflict, "is already resolved (adjusted) by admin"},
		{"review resolved", func() error {
			_, err := disputes.Review(ctx, st, open, "", "b", at)
			return err
		}, disputes.ErrConflict, "only an open dispute goes into review"},
		{"unknown", func() error {
			_, err := disputes.Show(ctx, st, 999)
			return err
		}, storage.ErrNotFound, "no dispute 999"},
		{"precision", func() error {
			_, err := disputes.Resolve(ctx, st, disputes.ResolveRequest{ID: insert(t, st, at), Amount: "1.001", Currency: "JPY", EarningCode: "ADJ", Note: "n", By: "b", At: at})
			return err
		}, disputes.ErrInvalid, "1.001 has more decimals than JPY's 0"},
		{"no note", func() error {
			_, err := disputes.Resolve(ctx, st, disputes.ResolveRequest{ID: open, Reject: true, By: "b", At: at})
			return err
		}, disputes.ErrInvalid, "note: required"},
		{"bad state filter", func() error {
			_, err := disputes.List(ctx, st, storage.DisputeListParams{State: "closed"})
			return err
		}, disputes.ErrInvalid, `"closed" is not one of`},
	} {
		err := tc.do()
		if !errors.Is(err, tc.kind) || err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %v containing %q", tc.name, err, tc.kind, tc.msg)
		}
	}

	// When the event cannot be appended, the adjustment is not recorded
	// either.
	before, err := st.AdjustmentList(ctx, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	racing := insert(t, st, at)
	if _, err := disputes.Resolve(ctx, failingEvents{st}, disputes.ResolveRequest{ID: racing, Amount: "5", EarningCode: "ADJ", Note: "n", By: "b", At: at}); err == nil {
		t.Fatal("resolve with a failing event insert succeeded")
	}
	after, err := st.AdjustmentList(ctx, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("a failed resolution left an adjustment: %d before, %d after", len(before), len(after))
	}
	if d, _ := st.DisputeGet(ctx, racing); d.State() != storage.DisputeOpen {
		t.Fatalf("a failed resolution changed the dispute: %+v", d)
	}
}
