package jobs

import (
	"encoding/json"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// CreditDetail is the detail of a credit ledger line.
type CreditDetail struct {
	Txn   string `json:"txn"`
	Rule  string `json:"rule"`
	Date  string `json:"date"`
	Type  string `json:"type,omitempty"`
	Share string `json:"share"`
}

// MeasureDetail is the detail of an attainment ledger line (one per measure).
type MeasureDetail struct {
	Window     string `json:"window"`
	From       string `json:"from"`
	To         string `json:"to"`
	Credits    int    `json:"credits"`
	Target     string `json:"target,omitempty"`
	Attainment string `json:"attainment,omitempty"`
}

// PayoutDetail is the detail of a payout ledger line.
type PayoutDetail struct {
	EarningCode string       `json:"earning_code"`
	Currency    string       `json:"currency"`
	Trace       engine.Trace `json:"trace"`
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("invariant: ledger detail does not marshal: " + err.Error())
	}
	return string(b)
}

// Lines turns an engine result into unposted ledger lines (no keys yet).
func Lines(plan *plans.CompPlan, period string, res *engine.Result) []storage.LedgerLine {
	base := storage.LedgerLine{Plan: plan.Name, PlanHash: plan.Hash, Period: period}
	out := make([]storage.LedgerLine, 0, len(res.Credits)+len(res.Measures)+len(res.Payouts))
	for _, c := range res.Credits {
		l := base
		l.Ledger, l.Person, l.Subject, l.Amount = storage.LedgerCredit, c.Person, c.TxnID+"/"+c.Rule, c.Amount
		l.Detail = mustJSON(CreditDetail{Txn: c.TxnID, Rule: c.Rule, Date: c.Date.String(), Type: c.Type, Share: c.Share.String()})
		out = append(out, l)
	}
	att := map[[2]string]engine.Attainment{}
	for _, a := range res.Attainment {
		att[[2]string{a.Person, a.Measure}] = a
	}
	for _, m := range res.Measures {
		l := base
		l.Ledger, l.Person, l.Subject, l.Amount = storage.LedgerAttainment, m.Person, m.Measure, m.Value
		d := MeasureDetail{Window: string(m.Window), From: m.Range.Start.String(), To: m.Range.End.String(), Credits: m.Credits}
		if a, ok := att[[2]string{m.Person, m.Measure}]; ok {
			d.Target = a.Target.String()
			if a.Target.Sign() > 0 {
				d.Attainment = a.Ratio.String()
			}
		}
		l.Detail = mustJSON(d)
		out = append(out, l)
	}
	for _, p := range res.Payouts {
		l := base
		l.Ledger, l.Person, l.Subject, l.Amount = storage.LedgerPayout, p.Person, p.Component, p.Amount
		l.Detail = mustJSON(PayoutDetail{EarningCode: p.EarningCode, Currency: p.Currency, Trace: p.Trace})
		out = append(out, l)
	}
	return out
}
