package calc

import (
	"context"
	"errors"
	"sort"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// withCancelledDeals adds to txns the deals that their cancellations
// cancel and that txns lack (deals older than the span a batch reads), so
// that the engine can tell a deal cancelled outside the clawback window
// from an unknown one. A deal that does not exist is left out: the engine
// then reports the cancellation. Plans without a clawback read nothing more.
func withCancelledDeals(ctx context.Context, r storage.TransactionReader, plan *plans.CompPlan, txns []facts.Transaction) ([]facts.Transaction, error) {
	if plan.Clawback == nil {
		return txns, nil
	}
	have := make(map[string]bool, len(txns))
	for _, t := range txns {
		have[t.ID] = true
	}
	var missing []string
	for _, t := range txns {
		if id := t.Attrs[plans.CancelsAttr]; id != "" && !have[id] {
			have[id] = true
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	for _, id := range missing {
		t, err := r.TransactionGet(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		txns = append(txns, t)
	}
	return txns, nil
}
