package facts

import (
	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/period"
)

// Reporting is one effective-dated version of a person's place in the
// manager hierarchy: from From (inclusive) until the person's next
// version, Person reports to Manager ("" for no one) and holds Role. A
// zero From means since always.
type Reporting struct {
	Person  string
	Manager string
	Role    string
	From    period.Date
}

// TeamPayout is what a person earned from one component of a plan in the
// period being computed: the basis of their managers' overrides.
type TeamPayout struct {
	Person    string
	Plan      string
	Component string
	Amount    decimal.Decimal
}
