package calc

import (
	"encoding/json"
	"strings"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
)

// MeasureDetail is the detail of an attainment line (one per measure).
type MeasureDetail struct {
	Window  string `json:"window"`
	From    string `json:"from"`
	To      string `json:"to"`
	Credits int    `json:"credits"`
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("invariant: ledger detail does not marshal: " + err.Error())
	}
	return string(b)
}

// AttainmentBasis is the Basis of an attainment line: its target and
// attainment (empty without a target).
func AttainmentBasis(a engine.Attainment) string {
	if a.Target.Sign() <= 0 {
		return "target=" + a.Target.String()
	}
	return "target=" + a.Target.String() + " attainment=" + a.Ratio.String()
}

// ParseAttainmentBasis reads an attainment line's basis as AttainmentBasis
// writes it ("target=T attainment=A").
func ParseAttainmentBasis(basis string) (target, attainment string) {
	for _, f := range strings.Fields(basis) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "target":
			target = v
		case "attainment":
			attainment = v
		}
	}
	return target, attainment
}

// Output is a computation turned into unposted ledger lines (no keys yet)
// and the deal-level credits beside each person's credit summary line.
type Output struct {
	Lines []ledger.Line
	// Credits holds each person's credits, sorted (ledger.SortCredits),
	// with no line key yet.
	Credits map[string][]ledger.Credit
}

// Lines turns an engine result into unposted lines: per person one credit
// summary line (with its credits beside it), one attainment line per
// measure and one payout line per component. txnHash gives the content
// hash of each transaction version read.
func Lines(plan *plans.CompPlan, period string, res *engine.Result, txnHash map[string]string) Output {
	base := ledger.Line{Plan: plan.Name, PlanHash: plan.Hash, Period: period}
	out := Output{Lines: make([]ledger.Line, 0, len(res.Measures)+len(res.Payouts)+16), Credits: map[string][]ledger.Credit{}}
	var people []string
	for _, c := range res.Credits {
		if _, ok := out.Credits[c.Person]; !ok {
			people = append(people, c.Person)
		}
		out.Credits[c.Person] = append(out.Credits[c.Person], ledger.Credit{Txn: c.TxnID, TxnHash: txnHash[c.TxnID], Rule: c.Rule,
			Date: c.Date.String(), Type: c.Type, Share: c.Share, Amount: c.Amount})
	}
	fxDetails := creditsDetails(res)
	for _, person := range people {
		cs := out.Credits[person]
		ledger.SortCredits(cs)
		l := base
		l.Ledger, l.Person, l.Subject = ledger.CreditLedger, person, ledger.CreditsSubject
		for _, c := range cs {
			l.Amount = l.Amount.Add(c.Amount)
		}
		l.Basis = ledger.CreditsBasis(cs)
		l.Detail = fxDetails[person]
		out.Lines = append(out.Lines, l)
	}
	att := map[[2]string]engine.Attainment{}
	for _, a := range res.Attainment {
		att[[2]string{a.Person, a.Measure}] = a
	}
	for _, m := range res.Measures {
		l := base
		l.Ledger, l.Person, l.Subject, l.Amount = ledger.AttainmentLedger, m.Person, m.Measure, m.Value
		if a, ok := att[[2]string{m.Person, m.Measure}]; ok {
			l.Basis = AttainmentBasis(a)
		}
		l.Detail = mustJSON(MeasureDetail{Window: string(m.Window), From: m.Range.Start.String(), To: m.Range.End.String(), Credits: m.Credits})
		out.Lines = append(out.Lines, l)
	}
	for _, p := range res.Payouts {
		l := base
		l.Ledger, l.Person, l.Subject, l.Amount = ledger.PayoutLedger, p.Person, p.Component, p.Amount
		l.Currency, l.EarningCode = p.Currency, p.EarningCode
		l.Detail = mustJSON(p.Trace)
		out.Lines = append(out.Lines, l)
	}
	return out
}

// AttachCredits gives the credits of each posted credit summary line in
// posted that line's key, and returns them all: what to store beside the
// lines. Credits of people whose summary did not change are not stored
// again.
func (o Output) AttachCredits(posted []ledger.Line) []ledger.Credit {
	var out []ledger.Credit
	for _, l := range posted {
		if l.Ledger != ledger.CreditLedger || l.Kind != ledger.KindPost {
			continue
		}
		for _, c := range o.Credits[l.Person] {
			c.LineKey = l.Key
			out = append(out, c)
		}
	}
	return out
}
