package disputes_test

import (
	"context"
	"errors"
	"testing"

	"github.com/icomp/icomp/disputes"
	"github.com/icomp/icomp/storage"
)

// TestRecordInTransaction: what the caller records (the web server's
// audit row) commits with the review or resolution, or neither does: a
// failing record leaves the dispute as it was and posts no adjustment.
func TestRecordInTransaction(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	id := insert(t, st, "2027-04-02T00:00:00Z")
	refuse := errors.New("the audit log is full")

	_, err := disputes.ReviewRecorded(t.Context(), st, id, "looking", "admin", "2027-04-03T00:00:00Z",
		func(context.Context, storage.Tx, storage.Dispute) error { return refuse })
	if !errors.Is(err, refuse) {
		t.Fatalf("review with a failing record: %v", err)
	}
	req := disputes.ResolveRequest{ID: id, Amount: "10", EarningCode: "ADJ", Note: "n", By: "admin", At: "2027-04-03T00:00:00Z",
		Record: func(_ context.Context, _ storage.Tx, res disputes.Resolution) error {
			if res.Adjustment == nil || res.Adjustment.ID == 0 || res.Dispute.State() != storage.DisputeResolved || res.PostsInto != "2027-Q1" {
				t.Errorf("record sees %+v", res)
			}
			return refuse
		}}
	if _, err := disputes.Resolve(t.Context(), st, req); !errors.Is(err, refuse) {
		t.Fatalf("resolve with a failing record: %v", err)
	}
	d, err := st.DisputeGet(t.Context(), id)
	if err != nil || d.State() != storage.DisputeOpen || len(d.Events) != 1 {
		t.Errorf("after failed records the dispute is %+v (%v), want it open with its opening event only", d, err)
	}
	if as, err := st.AdjustmentList(t.Context(), "2027-Q1", []string{"ae-1"}); err != nil || len(as) != 0 {
		t.Errorf("adjustments %+v (%v), want none", as, err)
	}

	// A record that succeeds commits with the resolution.
	var recorded disputes.Resolution
	req.Record = func(_ context.Context, _ storage.Tx, res disputes.Resolution) error { recorded = res; return nil }
	res, err := disputes.Resolve(t.Context(), st, req)
	if err != nil || res.Adjustment == nil || recorded.Adjustment == nil || recorded.Adjustment.ID != res.Adjustment.ID {
		t.Fatalf("resolve: %+v, recorded %+v (%v)", res, recorded, err)
	}
}
