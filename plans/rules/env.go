package rules

import "github.com/shopspring/decimal"

// A field tagged rules:"date" holds a date as YYYY-MM-DD text, which
// compares in date order; check.go refuses text written in a rule that is
// compared with it and is not such a date.

// Person is what a rule sees of a payee, as `person`.
type Person struct {
	ID        string            `expr:"id"`
	Name      string            `expr:"name"`
	Role      string            `expr:"role"`
	Territory string            `expr:"territory"`
	Manager   string            `expr:"manager"`
	Currency  string            `expr:"currency"`
	Attrs     map[string]string `expr:"attrs"`
	// Numbers, Dates and Flags hold the attributes the plan declares as
	// numbers, dates (YYYY-MM-DD) and booleans, parsed (see attrs.go).
	Numbers map[string]decimal.Decimal `expr:"#numbers"`
	Dates   map[string]string          `expr:"#dates"`
	Flags   map[string]bool            `expr:"#flags"`
}

// Txn is what a rule sees of a sales transaction, as `txn`.
type Txn struct {
	ID        string            `expr:"id"`
	Date      string            `expr:"date" rules:"date"` // YYYY-MM-DD, so strings compare in date order
	Type      string            `expr:"type"`
	Owner     string            `expr:"owner"`
	Territory string            `expr:"territory"`
	Product   string            `expr:"product"`
	Currency  string            `expr:"currency"`
	Amount    decimal.Decimal   `expr:"amount"`
	Attrs     map[string]string `expr:"attrs"`
	// HasSplits is true when the transaction lists split shares, so that
	// an owner rule can leave split deals to a splits rule.
	HasSplits bool `expr:"has_splits"`
	// Numbers, Dates and Flags are as for Person.
	Numbers map[string]decimal.Decimal `expr:"#numbers"`
	Dates   map[string]string          `expr:"#dates"`
	Flags   map[string]bool            `expr:"#flags"`
}

// Credit is what a rule sees of one credit, as `credit`.
type Credit struct {
	Amount decimal.Decimal `expr:"amount"`
	Rule   string          `expr:"rule"`
	// Share is the fraction of the transaction credited (1 for direct credit).
	Share decimal.Decimal `expr:"share"`
	// Level is, for a roll-up credit, how many managers up from the
	// transaction's owner the person is (1: the owner's manager); 0 for
	// direct credit.
	Level decimal.Decimal `expr:"level"`
}

// Period is what a rule sees of the period being paid, as `period`.
type Period struct {
	Label      string          `expr:"label"`
	FiscalYear decimal.Decimal `expr:"fiscal_year"`
	Index      decimal.Decimal `expr:"index"`
	Start      string          `expr:"start" rules:"date"`
	End        string          `expr:"end" rules:"date"`
}

// PersonEnv is the environment of eligibility rules.
type PersonEnv struct {
	Person Person `expr:"person"`
	Period Period `expr:"period"`
}

// TxnEnv is the environment of crediting rules (`when`, `amount`).
type TxnEnv struct {
	Txn Txn `expr:"txn"`
}

// CreditEnv is the environment of measure and per-credit rules.
type CreditEnv struct {
	Txn    Txn    `expr:"txn"`
	Credit Credit `expr:"credit"`
	Person Person `expr:"person"`
}

// ComponentEnv is the environment of component rules (formula, gate, cap)
// and plan steps. Each map is keyed by measure name.
type ComponentEnv struct {
	Person     Person                     `expr:"person"`
	Period     Period                     `expr:"period"`
	Measure    map[string]decimal.Decimal `expr:"measure"`
	Target     map[string]decimal.Decimal `expr:"target"`
	Attainment map[string]decimal.Decimal `expr:"attainment"`
	// Payout holds the amounts of the components computed before this one.
	Payout map[string]decimal.Decimal `expr:"payout"`
	// AnnualTarget is each measure's target for the whole fiscal year,
	// ramped and prorated like target (docs/plans.md §20).
	AnnualTarget map[string]decimal.Decimal `expr:"annual_target"`
	// Proration is the fraction of the period's days the person was
	// employed: 1 for the whole period (docs/plans.md §20).
	Proration decimal.Decimal `expr:"proration"`
}
