package engine

import (
	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/period"
)

// Recorder, set on Input.Record, keeps for one person which credits each
// measure took in and which credits each per-credit component priced, with
// the value each added: what `icomp explain` lists under a line. A nil
// Recorder records nothing and costs nothing.
type Recorder struct {
	// Person is whose credits are recorded.
	Person string
	// Measures maps a measure's name to the credits it took in, in the
	// order they were made (by transaction, then rule).
	Measures map[string][]RecordedCredit
	// Components maps a per-credit component's name to the credits whose
	// where rule passed, each with the amount the component priced it at.
	Components map[string][]RecordedCredit
}

// RecordedCredit is one credit a measure or per-credit component used.
type RecordedCredit struct {
	Txn string `json:"txn"`
	// TxnHash is the content hash of the transaction version credited.
	TxnHash string          `json:"txn_hash,omitempty"`
	Rule    string          `json:"rule"`
	Date    string          `json:"date"`
	Type    string          `json:"type,omitempty"`
	Share   decimal.Decimal `json:"share"`
	// Amount is the credit's amount in the plan's currency; Value what the
	// measure added for it (Amount, 1 for a count, or the value rule) or
	// what the component priced it at.
	Amount decimal.Decimal `json:"amount"`
	Value  decimal.Decimal `json:"value"`
}

// record notes that credit cr, dated date, added v to the measure (or,
// with components set, the per-credit component) named name.
func (c *calc) record(pe *payee, components bool, name string, cr *credit, date period.Date, v decimal.Decimal) {
	r := c.in.Record
	if r == nil || pe.p.ID != r.Person {
		return
	}
	t := c.txns[cr.txn].t
	rc := RecordedCredit{Txn: t.ID, TxnHash: t.Hash, Rule: c.plan.Credits[cr.rule].Name, Date: date.String(), Type: t.Type,
		Share: cr.share, Amount: cr.amount, Value: v}
	into := &r.Measures
	if components {
		into = &r.Components
	}
	if *into == nil {
		*into = map[string][]RecordedCredit{}
	}
	(*into)[name] = append((*into)[name], rc)
}
