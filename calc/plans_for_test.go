package calc_test

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// versionSource is a comp plan "ae" version v from date from, with a cap.
func versionSource(v, from, capText string) string {
	return `kind: comp_plan
name: ae
version: "` + v + `"
effective: {from: ` + from + `}
currency: USD
period: quarterly
credit:
  - name: owner
measures:
  - name: bookings
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
    cap: ` + capText + `
`
}

// TestPlansForSkipsOldVersionsThatNoLongerLoad: a stored version that a
// newer icomp refuses (here a negative cap) stops only the periods it
// computes; periods a newer version computes run. Regression test: every
// version was loaded for every period, so one old version blocked the
// plan for good.
func TestPlansForSkipsOldVersionsThatNoLongerLoad(t *testing.T) {
	t.Parallel()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "icomp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	publish := func(src string) string {
		sum := sha256.Sum256([]byte(src))
		h := hex.EncodeToString(sum[:])
		err := st.InTx(t.Context(), func(tx storage.Tx) error {
			_, err := tx.PlanVersionInsert(t.Context(), storage.PlanVersion{Hash: h, Kind: plans.KindCompPlan, Name: "ae", Version: "v", File: "ae.yaml", Source: src})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	publish(versionSource("1", "2027-01-01", "-100")) // stored before plan check refused it
	good := publish(versionSource("2", "2027-07-01", "1000"))
	cache := calc.NewPlanCache()
	if got, err := calc.PlansFor(t.Context(), st, cache, "2027-Q3", ""); err != nil || len(got) != 1 || got[0] != good {
		t.Fatalf("2027-Q3: %v, %v; want version 2 (%.12s)", got, err, good)
	}
	if _, err := calc.PlansFor(t.Context(), st, cache, "2027-Q1", ""); err == nil || !strings.Contains(err.Error(), "below 0") {
		t.Fatalf("2027-Q1, which only version 1 computes: %v, want its load error", err)
	}
}
