package ledger

import (
	"github.com/shopspring/decimal"
)

// The ledgers a line can belong to.
const (
	// Credit holds one summary line per person, plan and period: the
	// total credited, with the deal-level credits (Credit rows) beside it.
	CreditLedger = "credit"
	// Attainment holds one line per person and measure.
	AttainmentLedger = "attainment"
	// Payout holds what each person earned, per plan component.
	PayoutLedger = "payout"
	// Payable holds what settlement made payable, per person: earned
	// payouts across plans and adjustments. Payroll reads only this ledger.
	PayableLedger = "payable"
	// Balance holds, per person and period, the balances settlement
	// carries from one period to the next: what a person owes back of a
	// recoverable draw ("draw/POLICY/DRAW") and their carried deficit
	// ("deficit/CUR"), as at the end of the period. Its lines are not
	// money to pay: payroll never reads them.
	BalanceLedger = "balance"
)

// Subject prefixes of settlement's own payable and balance lines.
const (
	// DrawSubjectPrefix starts the subject of a draw's payable lines
	// ("draw/POLICY/DRAW" for the top-up, ".../recovery" for recoveries)
	// and of its balance line.
	DrawSubjectPrefix = "draw/"
	// DeficitSubjectPrefix starts the subject of a carried deficit's
	// lines: "deficit/CUR" (balance), ".../carried" and ".../recovered"
	// (payable).
	DeficitSubjectPrefix = "deficit/"
)

// Line kinds.
const (
	KindPost     = "post"
	KindReversal = "reversal"
)

// CreditsSubject is the subject of a credit summary line.
const CreditsSubject = "credits"

// AdjustmentSubjectPrefix starts the subject of a payable line made from
// an adjustment: "adjustment/ID".
const AdjustmentSubjectPrefix = "adjustment/"

// Line is one append-only ledger line.
type Line struct {
	Seq int64
	// Key is the idempotency key (see PostKey and Reverse).
	Key    string
	Ledger string
	Kind   string
	// Supersedes is the key of the line this line reverses or replaces.
	Supersedes string
	RunID      int64
	Plan       string
	PlanHash   string
	// Period is the period the line was earned in.
	Period string
	// PostedPeriod is the period the line was posted in: Period itself,
	// or the open period a prior-period adjustment landed in.
	PostedPeriod string
	Person       string
	Subject      string
	Currency     string
	EarningCode  string
	// Amount is the money (credit, payout, payable) or measure value.
	Amount decimal.Decimal
	// Basis is what the amount rests on beyond itself, as canonical text:
	// an attainment line's target and attainment, a credit summary's
	// count and hash of its credits. It is part of the line's identity.
	Basis string
	// Reason says why the line was posted when that is not the ordinary
	// run of its own period: a prior-period adjustment, a reversal of a
	// line no longer computed, an adjustment's reason.
	Reason string
	// Detail is the trace (canonical JSON), beside the identity.
	Detail string
}

// Key identifies what a ledger line is about: the same credit summary,
// measure, payout or payable line across runs.
type Key struct {
	Ledger, Plan, Period, Person, Subject string
}

// KeyOf returns l's logical key.
func KeyOf(l Line) Key {
	return Key{l.Ledger, l.Plan, l.Period, l.Person, l.Subject}
}

// SameContent reports whether a and b say the same thing: equal amounts
// (8.00 equals 8), currency, earning code and basis. Traces, reasons and
// plan hashes do not count.
func SameContent(a, b Line) bool {
	return a.Amount.Equal(b.Amount) && a.Currency == b.Currency && a.EarningCode == b.EarningCode && a.Basis == b.Basis
}

// IsPriorPeriod reports whether l was posted in a later period than it
// was earned in.
func (l Line) IsPriorPeriod() bool { return l.PostedPeriod != "" && l.PostedPeriod != l.Period }
