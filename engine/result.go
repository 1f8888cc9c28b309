package engine

import (
	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
)

// Input is everything one calculation needs.
type Input struct {
	Plan *plans.CompPlan
	// Targets is the plan's target plan; required when the plan names one.
	Targets *plans.TargetPlan
	Period  period.Period
	// People are the candidates; the plan's eligibility rule picks its payees.
	People []facts.Person
	// Transactions may span more than the period: those dated from the
	// start of the fiscal year to the period's end are used (for
	// quarter-to-date and year-to-date measures), the rest ignored.
	Transactions []facts.Transaction
	// Prior holds what earlier periods of the fiscal year already earned,
	// for cumulative components.
	Prior []facts.PriorPayout
	// Hierarchy is the effective-dated manager hierarchy that roll-up
	// credit rules climb and overrides find teams in; empty means the
	// managers and roles of People, as they are.
	Hierarchy []facts.Reporting
	// TeamPayouts are the payout lines of other plans that override
	// components read (the reports' earnings in the period).
	TeamPayouts []facts.TeamPayout
	// Scores are the period's MBO scores, for mbo components: one per
	// person and objective.
	Scores []facts.Score
	// FX holds the exchange rates that convert transactions in other
	// currencies into the plan's (fx.go).
	FX facts.FXRates
	// Stop, when closed, stops the calculation (a batch out of time):
	// Compute then returns a *StoppedError saying what it was doing. Nil
	// never stops.
	Stop <-chan struct{}
	// Record, when set, notes for one person which credits each measure
	// and per-credit component used (explain.go); nil records nothing.
	Record *Recorder
	// Versions are the plan's published versions, newest publication
	// first and Plan among them, when it has more than one: a clawback or
	// release of a deal paid in an earlier period recomputes that period
	// with the version a run of it computes (plans.VersionFor), matching
	// components by name. Nil: Plan computes every period.
	Versions []*plans.CompPlan
	// VersionTargets are the target plans, by name, that Versions read
	// and Plan does not: an earlier period is recomputed with its
	// version's target plan.
	VersionTargets map[string]*plans.TargetPlan
	// nested is set when the calculation recomputes an earlier period for
	// a clawback (clawback.go).
	nested *nestedRun
	// noReuse makes clawbacks recompute the period being computed rather
	// than read its lines (reuseDone), for the test that both agree.
	noReuse bool
}

// Result is a calculation's output, each slice sorted.
type Result struct {
	// Credits are the credits of transactions dated in the period, sorted
	// by person, transaction and rule.
	Credits []Credit
	// Measures are sorted by person, then in plan order.
	Measures []MeasureValue
	// Attainment holds one row per person and measure with a target.
	Attainment []Attainment
	// Payouts holds one line per person and component (then step), in
	// plan order per person.
	Payouts []Payout
}

// Credit is one (transaction, person, rule) credit.
type Credit struct {
	Person string
	TxnID  string
	Rule   string
	Date   period.Date
	Type   string
	// Share is the fraction of the transaction credited.
	Share  decimal.Decimal
	Amount decimal.Decimal
	// Level is, for a roll-up credit, how many managers up from the
	// transaction's owner the person was on its date (1: the owner's
	// manager); 0 for direct credit.
	Level int
	// FX is the conversion of the transaction into the plan's currency,
	// when it is in another; nil otherwise.
	FX *Conversion
}

// MeasureValue is a measure's value for a person over its window.
type MeasureValue struct {
	Person  string
	Measure string
	Window  period.Window
	Range   period.Range
	Value   decimal.Decimal
	// Credits is how many credits the measure took in.
	Credits int
}

// Attainment is a measure against its target: Ratio = Value ÷ Target,
// kept to rules.DivisionPlaces decimal places.
type Attainment struct {
	Person  string
	Measure string
	Value   decimal.Decimal
	Target  decimal.Decimal
	Ratio   decimal.Decimal
	// Adjusted shows how Target was ramped or prorated per target period
	// (nil when it was not; docs/plans.md §20).
	Adjusted []plans.TargetPeriodDetail
}

// Payout is one payout line: what a person earns from one component (or
// plan step) in the period, rounded to the currency's minor unit.
type Payout struct {
	Person      string
	Component   string
	EarningCode string
	Currency    string
	Amount      decimal.Decimal
	Trace       Trace
}

// Trace says how a payout line was computed, in enough detail to redo it
// by hand.
type Trace struct {
	Component string `json:"component"`
	Type      string `json:"type"`
	// Rule is the source of the component's main rule (formula or per-credit amount).
	Rule string `json:"rule,omitempty"`
	// Inputs are the measures, targets and attainment the component read.
	Inputs []TraceInput `json:"inputs,omitempty"`
	Gate   *GateTrace   `json:"gate,omitempty"`
	// Credits summarises a per-credit component.
	Credits *CreditsTrace `json:"credits,omitempty"`
	// Tiers lists the rate table rows that paid.
	Tiers    []TierTrace      `json:"tiers,omitempty"`
	Computed decimal.Decimal  `json:"computed"`
	Cap      *decimal.Decimal `json:"cap,omitempty"`
	Capped   bool             `json:"capped,omitempty"`
	Rounded  decimal.Decimal  `json:"rounded"`
	// Rate and Team are an override's rate and the reports' payout lines
	// it was paid on.
	Rate *decimal.Decimal `json:"rate,omitempty"`
	Team []TeamTrace      `json:"team,omitempty"`
	// Prior is what earlier periods earned, netted by cumulative components.
	Prior *decimal.Decimal `json:"prior,omitempty"`
	// Clawbacks lists the cancellations a clawback line takes back.
	Clawbacks []ClawbackTrace `json:"clawbacks,omitempty"`
	// Holds lists the deals a hold line holds back or a release line
	// releases (hold.go).
	Holds []HoldTrace `json:"holds,omitempty"`
	// Window is the deal dates a SPIFF window lets through ("2027-12-18..2027-12-31").
	Window string `json:"window,omitempty"`
	// Deals lists, for a per-deal rate table, each deal paid in the period
	// with the tier parts it straddles (see perdeal.go).
	Deals *DealsTrace `json:"deals,omitempty"`
	// Curve shows how a curve component interpolated (see curve.go).
	Curve *CurveTrace `json:"curve,omitempty"`
	// Once shows a once component that earlier periods already paid.
	Once *OnceTrace `json:"once,omitempty"`
	// Targets shows how the targets the component read were ramped or
	// prorated; Proration the employed fraction of the period, when a
	// rule read it (docs/plans.md §20).
	Targets   []TargetTrace   `json:"targets,omitempty"`
	Proration *ProrationTrace `json:"proration,omitempty"`
	// MBO shows an mbo component's objectives and weighted score.
	MBO    *MBOTrace       `json:"mbo,omitempty"`
	Result decimal.Decimal `json:"result"`
}

// TraceInput is one named value a component read.
type TraceInput struct {
	Name  string          `json:"name"`
	Value decimal.Decimal `json:"value"`
}

// GateTrace is a component's gate and whether it opened.
type GateTrace struct {
	Rule   string `json:"rule"`
	Passed bool   `json:"passed"`
}

// CreditsTrace summarises the credits a per-credit component priced.
type CreditsTrace struct {
	Count int             `json:"count"`
	Basis decimal.Decimal `json:"basis"`
}

// TierTrace is one rate table row applied: Amount = Basis × Rate.
type TierTrace struct {
	Tier int `json:"tier"`
	// From and To are the tier's bounds in the basis's units (attainment
	// bounds multiplied by the target); To is empty for the top tier.
	From   decimal.Decimal  `json:"from"`
	To     *decimal.Decimal `json:"to,omitempty"`
	Rate   decimal.Decimal  `json:"rate"`
	Basis  decimal.Decimal  `json:"basis"`
	Amount decimal.Decimal  `json:"amount"`
}

// TotalFor returns the sum of a person's payout lines.
func (r *Result) TotalFor(person string) decimal.Decimal {
	sum := decimal.Zero
	for _, p := range r.Payouts {
		if p.Person == person {
			sum = sum.Add(p.Amount)
		}
	}
	return sum
}
