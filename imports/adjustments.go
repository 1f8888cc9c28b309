package imports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
)

// AdjustmentColumns are the adjustments import's columns.
var AdjustmentColumns = []string{"person", "period", "amount", "currency", "earning_code", "reason"}

// AdjustmentRecorder says who imports and when.
type AdjustmentRecorder struct {
	By, At string
}

// AdjustmentResult is what an adjustments import did.
type AdjustmentResult struct {
	// Recorded are the new adjustments, with their ids.
	Recorded []storage.Adjustment
	// Already are the rows that repeat an adjustment already recorded.
	Already []AlreadyRecorded
}

// AlreadyRecorded is a row of an adjustments file that was not recorded
// because an adjustment with the same person, period, amount, currency,
// earning code and reason already is.
type AlreadyRecorded struct {
	// Line is the row's line in the file.
	Line int
	// Same is the recorded adjustment it repeats.
	Same storage.Adjustment
}

// adjustmentKey identifies an adjustment's content: what a repeated row
// repeats.
func adjustmentKey(a *storage.Adjustment) [6]string {
	return [6]string{a.Person, a.Period, a.Amount.String(), a.Currency, a.EarningCode, a.Reason}
}

// Adjustments imports manual adjustments, all or nothing: every row is
// checked (a known person, a canonical period of the company calendar
// that is not closed, an exact amount at the currency's precision, an
// earning code and a reason) before any is recorded. Importing the same
// file again changes nothing: a row with the same person, period,
// amount, currency, earning code and reason as an adjustment already
// recorded (from any file, or icomp adjust) is not recorded again and is
// listed in Already; n such rows match n recorded adjustments, so a file
// may hold the same adjustment twice on purpose.
func Adjustments(ctx context.Context, st storage.Store, r io.Reader, o Options, who AdjustmentRecorder) (AdjustmentResult, error) {
	probs := &problems{file: o.File}
	rr, err := newRowReader(o.File, o.Format, r, AdjustmentColumns, AdjustmentColumns, probs)
	if err != nil {
		return AdjustmentResult{}, err
	}
	ids, err := st.PersonIDs(ctx)
	if err != nil {
		return AdjustmentResult{}, err
	}
	cache := calc.NewPlanCache()
	periodProblems := map[string]*FieldProblem{}
	convertProblems := map[[3]string]*FieldProblem{}
	var rows []storage.Adjustment
	var lines []int
	for {
		rec, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return AdjustmentResult{}, err
		}
		if rowShapeProblems(rec, probs) {
			continue
		}
		a := storage.Adjustment{Person: rec.get("person"), Period: rec.get("period"), Currency: rec.get("currency"),
			EarningCode: rec.get("earning_code"), Reason: strings.TrimSpace(rec.get("reason")), CreatedBy: who.By, CreatedAt: who.At,
			Source: o.File + ":" + strconv.Itoa(rec.line)}
		msg := CheckAdjustment(ctx, st, nil, ids, &a, rec.get("amount"))
		if msg == nil {
			// Whether a plan computes the period, once per period.
			got, seen := periodProblems[a.Period]
			if !seen {
				got = checkPlansCompute(ctx, st, cache, a.Period)
				periodProblems[a.Period] = got
			}
			msg = got
		}
		if msg == nil && a.Currency != "" {
			// Whether it converts into the person's currency, once per
			// person, period and currency.
			k := [3]string{a.Person, a.Period, a.Currency}
			got, seen := convertProblems[k]
			if !seen {
				p, err := periods.Parse(ctx, st, a.Period)
				if err != nil {
					return AdjustmentResult{}, err
				}
				got = checkConvertible(ctx, st, &a, p)
				convertProblems[k] = got
			}
			msg = got
		}
		if msg != nil {
			probs.add(rec.line, msg.Field, "%s", msg.Reason)
			continue
		}
		rows = append(rows, a)
		lines = append(lines, rec.line)
	}
	if err := probs.err(); err != nil {
		return AdjustmentResult{}, err
	}
	var res AdjustmentResult
	err = st.InTx(ctx, func(tx storage.Tx) error {
		res = AdjustmentResult{}
		if err := periods.GuardInputs(ctx, tx, "importing"); err != nil {
			return err
		}
		// The adjustments already recorded in the file's periods, by
		// content, oldest first.
		recorded := map[[6]string][]storage.Adjustment{}
		seen := map[string]bool{}
		for i := range rows {
			if seen[rows[i].Period] {
				continue
			}
			seen[rows[i].Period] = true
			as, err := tx.AdjustmentList(ctx, rows[i].Period, nil)
			if err != nil {
				return err
			}
			for _, a := range as {
				k := adjustmentKey(&a)
				recorded[k] = append(recorded[k], a)
			}
		}
		for i := range rows {
			k := adjustmentKey(&rows[i])
			if same := recorded[k]; len(same) > 0 {
				res.Already = append(res.Already, AlreadyRecorded{Line: lines[i], Same: same[0]})
				recorded[k] = same[1:]
				continue
			}
			id, err := tx.AdjustmentInsert(ctx, rows[i])
			if err != nil {
				return err
			}
			rows[i].ID = id
			res.Recorded = append(res.Recorded, rows[i])
		}
		return nil
	})
	return res, err
}

// checkPlansCompute is the problem with an adjustment of period label
// that no published comp plan computes, or nil.
func checkPlansCompute(ctx context.Context, r storage.PlanReader, plans *calc.PlanCache, label string) *FieldProblem {
	if _, err := calc.PlansFor(ctx, r, plans, label, ""); errors.Is(err, calc.ErrNoPlans) {
		return &FieldProblem{"period", fmt.Sprintf("no published comp plan computes %s, so no run of it could pay the adjustment; give a period a plan computes", label)}
	} else if err != nil {
		return &FieldProblem{"period", err.Error()}
	}
	return nil
}

// checkConvertible is the problem with an adjustment of period p in
// another currency than its person's when no rate converts it for p's
// last month (settlement pays it converted, and without the rate the run
// of p would fail for everyone), or nil.
func checkConvertible(ctx context.Context, r AdjustmentReader, a *storage.Adjustment, p period.Period) *FieldProblem {
	people, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: p.End, IDs: []string{a.Person}})
	if err != nil {
		return &FieldProblem{"currency", err.Error()}
	}
	if len(people) == 0 || people[0].Currency == "" || people[0].Currency == a.Currency {
		return nil
	}
	to := people[0].Currency
	fx, err := calc.LoadFX(ctx, r)
	if err != nil {
		return &FieldProblem{"currency", err.Error()}
	}
	if _, month, ok := fx.Lookup(a.Currency, to, p.End); !ok {
		return &FieldProblem{"currency", fmt.Sprintf("%s is paid in %s, and no %s→%s rate for %s converts the adjustment, so the run of %s would fail: import one (icomp import fx) or give the adjustment in %s", a.Person, to, a.Currency, to, month, a.Period, to)}
	}
	return nil
}

// FieldProblem is a problem with one field of an adjustment.
type FieldProblem struct{ Field, Reason string }

// AdjustmentReader is what CheckAdjustment reads: the calendar's periods
// and the published plans.
type AdjustmentReader interface {
	storage.PeriodReader
	storage.PlanReader
	storage.PeopleReader
	storage.FXReader
}

// CheckAdjustment validates a, reading its amount from text; ids are the
// known people, and plans caches the published plans. It returns the
// first problem, or nil. A period no published comp plan computes is a
// problem: no run of it could make the adjustment payable (with plans
// nil, the caller knows a run computed the period, and that is not
// checked).
func CheckAdjustment(ctx context.Context, r AdjustmentReader, plans *calc.PlanCache, ids map[string]bool, a *storage.Adjustment, amount string) *FieldProblem {
	if a.Person == "" {
		return &FieldProblem{"person", "required"}
	}
	if !ids[a.Person] {
		return &FieldProblem{"person", fmt.Sprintf("no person %q; import people first", a.Person)}
	}
	p, err := periods.Parse(ctx, r, a.Period)
	if err != nil {
		return &FieldProblem{"period", err.Error()}
	}
	if p.Label != a.Period {
		return &FieldProblem{"period", fmt.Sprintf("write the period as %s", p.Label)}
	}
	if plans != nil {
		if p := checkPlansCompute(ctx, r, plans, a.Period); p != nil {
			return p
		}
	}
	prec, ok := money.Precision(a.Currency)
	if !ok {
		return &FieldProblem{"currency", fmt.Sprintf("%q is not an ISO 4217 currency code such as USD", a.Currency)}
	}

	d, err := decimal.NewFromString(amount)
	if err != nil || strings.ContainsAny(amount, "eE") {
		return &FieldProblem{"amount", fmt.Sprintf("%q is not a decimal amount such as -125.50", amount)}
	}
	if d.IsZero() {
		return &FieldProblem{"amount", "an adjustment of 0 changes nothing"}
	}
	if -d.Exponent() > int32(prec) {
		return &FieldProblem{"amount", fmt.Sprintf("%s has more decimals than %s's %d", amount, a.Currency, prec)}
	}
	a.Amount = d
	if a.EarningCode == "" {
		return &FieldProblem{"earning_code", "required: the payroll earning code the amount is paid under"}
	}
	a.Reason = strings.TrimSpace(a.Reason)
	if a.Reason == "" {
		return &FieldProblem{"reason", "required: say why, for the person's statement and the audit"}
	}
	if plans != nil {
		return checkConvertible(ctx, r, a, p)
	}
	return nil
}
