// Package facts holds the inputs of a calculation: people, their
// attributes, and sales transactions. It is a leaf: plans, engine and
// storage all speak these types.
package facts

import (
	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/period"
)

// Person is a payee as of the period being computed.
type Person struct {
	ID        string
	Name      string
	Role      string
	Territory string
	Manager   string
	Currency  string
	Attrs     map[string]string
	// HireDate and TerminationDate bound the person's employment (zero:
	// unbounded). The engine credits only deals dated inside it and
	// prorates targets and fixed amounts to it (see docs/plans.md §20).
	HireDate        period.Date
	TerminationDate period.Date
	// AssignedFrom and AssignedUntil bound the person's assignment to the
	// plan being computed, when it began or ended during the fiscal year
	// to date (zero: unbounded): a plan change mid-period. They bound the
	// employment the same way.
	AssignedFrom, AssignedUntil period.Date
}

// Split gives Person a Share (a fraction; a transaction's shares sum to 1)
// of a transaction.
type Split struct {
	Person string
	Share  decimal.Decimal
}

// Transaction is one sales event: a booking, a refund (negative amount), a
// qualified meeting.
type Transaction struct {
	ID        string
	Date      period.Date
	Type      string
	Owner     string
	Territory string
	Product   string
	Amount    decimal.Decimal
	Currency  string
	Splits    []Split
	Attrs     map[string]string
	// Hash is the content hash of this version of the transaction, set by
	// storage; credits record it.
	Hash string
}

// PriorPayout is what a person already earned from a component in
// earlier periods of the same fiscal year; cumulative components net it.
type PriorPayout struct {
	Person    string
	Component string
	Amount    decimal.Decimal
}

// Score is a person's score on an MBO objective for a period: 1 means the
// objective was met in full, 0.8 that 80% of it was (docs/plans.md §20).
type Score struct {
	Person    string
	Objective string
	Score     decimal.Decimal
}
