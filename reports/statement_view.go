package reports

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"github.com/shopspring/decimal"
)

// This file turns a Statement into what the HTML and PDF renderers draw:
// the attainment chart's geometry, the links of each payout line and the
// sections the renderers do not know by name. Both renderers read only
// this view, so they show the same things.

// ExplainHref is the link to the explanation of one payout line: the
// pattern the web server serves (docs/statements.md):
//
//	{base}/explain?person={person}&period={period}&plan={plan}&component={component}
//
// with each value query-escaped. base is HTMLOptions.LinkBase ("" for a
// link relative to the site's root).
func ExplainHref(base, person, periodLabel, plan, component string) string {
	return strings.TrimRight(base, "/") + "/explain?person=" + url.QueryEscape(person) + "&period=" + url.QueryEscape(periodLabel) +
		"&plan=" + url.QueryEscape(plan) + "&component=" + url.QueryEscape(component)
}

// LineAnchor is the id of a payout line's element in a statement's HTML,
// "line-{plan}..{component}": letters, digits, '_' and '-' as they are,
// any other byte as .XX (hex), so different names never share an id.
func LineAnchor(plan, component string) string {
	return "line-" + idPart(plan) + ".." + idPart(component)
}

// CreditsAnchor is the id of a plan's credited transactions in a
// statement's HTML.
func CreditsAnchor(plan string) string { return "credits-" + idPart(plan) }

// CreditAnchor is the id of a transaction's first row among a plan's
// credited transactions, "txn-{plan}..{txn}".
func CreditAnchor(plan, txn string) string { return "txn-" + idPart(plan) + ".." + idPart(txn) }

// lineTxns lists, in trace order without repeats, the transactions a
// payout line names that the plan credited: per-deal rate tables' deals and
// clawbacks' cancellations and the deals they cancel, and the deals hold
// and release lines hold or release.
func lineTxns(p StatementPayout, credited map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	add := func(txn string) {
		if txn != "" && credited[txn] && !seen[txn] {
			seen[txn] = true
			out = append(out, txn)
		}
	}
	if p.Trace.Deals != nil {
		for _, d := range p.Trace.Deals.Paid {
			add(d.Txn)
		}
	}
	for _, c := range p.Trace.Clawbacks {
		add(c.Cancellation)
		add(c.Cancels)
	}
	for _, h := range p.Trace.Holds {
		add(h.Deal)
	}
	return out
}

func idPart(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, ".%02x", c)
		}
	}
	return b.String()
}

// chart is the geometry of one plan's attainment chart: a bar per measure
// with a target, its height proportional to attainment. Coordinates are
// decimals computed from the attainment ratios and printed with two
// places; no float64 is involved.
type chart struct {
	Title string
	// Desc says in words what the bars show, for screen readers.
	Desc          string
	Width, Height decimal.Decimal
	// Top and Bottom are the plot's y range; Left its left edge.
	Top, Bottom, Left, Right decimal.Decimal
	// ScaleMax is the attainment ratio at the plot's top.
	ScaleMax decimal.Decimal
	// TargetY is the y of the 100% line.
	TargetY decimal.Decimal
	Bars    []chartBar
}

// chartBar is one measure's bar.
type chartBar struct {
	Measure string
	// Label is the attainment as a percentage ("114.83%"), or "n/a" when
	// the target is 0.
	Label string
	// Readers are the components that read the measure's attainment.
	Readers []string
	// HasValue is false when the target is 0: no bar is drawn.
	HasValue bool
	// Ratio is the attainment; X, Y, W, H the bar (H = 0 below 0%).
	Ratio      decimal.Decimal
	X, Y, W, H decimal.Decimal
	// LabelX is the bar's centre.
	LabelX decimal.Decimal
}

var (
	chartWidth  = decimal.NewFromInt(640)
	chartPlotH  = decimal.NewFromInt(160)
	chartTop    = decimal.NewFromInt(24)
	chartLeft   = decimal.NewFromInt(48)
	chartRight  = decimal.NewFromInt(16)
	chartBottom = decimal.NewFromInt(44) // room for the measure names
	maxBarWidth = decimal.NewFromInt(96)
	minScale    = decimal.RequireFromString("1.5")
	half        = decimal.RequireFromString("0.5")
	two         = decimal.NewFromInt(2)
)

// attainmentChart builds the chart of a plan's measures that have a
// target. It returns nil when none has.
func attainmentChart(ps PlanStatement) *chart {
	var measures []StatementMeasure
	for _, m := range ps.Measures {
		if m.Target != "" {
			measures = append(measures, m)
		}
	}
	if len(measures) == 0 {
		return nil
	}
	c := &chart{
		Title: fmt.Sprintf("Attainment against target, plan %s", ps.Plan),
		Width: chartWidth, Top: chartTop, Left: chartLeft,
		Right:  chartWidth.Sub(chartRight),
		Bottom: chartTop.Add(chartPlotH),
		Height: chartTop.Add(chartPlotH).Add(chartBottom),
	}
	// The scale runs to at least 150%, else to the highest attainment
	// rounded up to the next 50%.
	c.ScaleMax = minScale
	for _, m := range measures {
		if r, err := decimal.NewFromString(m.Attainment); err == nil && r.GreaterThan(c.ScaleMax) {
			c.ScaleMax = r.Div(half).Ceil().Mul(half)
		}
	}
	c.TargetY = c.Bottom.Sub(chartPlotH.Div(c.ScaleMax)).Round(2)
	slot := c.Right.Sub(c.Left).Div(decimal.NewFromInt(int64(len(measures))))
	w := decimal.Min(slot.Mul(decimal.RequireFromString("0.6")), maxBarWidth).Round(2)
	var desc []string
	for i, m := range measures {
		b := chartBar{Measure: m.Measure, Label: "n/a", Readers: readersOf(ps, m.Measure)}
		b.LabelX = c.Left.Add(slot.Mul(decimal.NewFromInt(int64(i)))).Add(slot.Div(two)).Round(2)
		b.X = b.LabelX.Sub(w.Div(two)).Round(2)
		b.W = w
		b.Y = c.Bottom
		if r, err := decimal.NewFromString(m.Attainment); err == nil {
			b.HasValue = true
			b.Ratio = r
			b.Label = percent(m.Attainment)
			if r.IsPositive() {
				b.H = r.Mul(chartPlotH).Div(c.ScaleMax).Round(2)
				b.Y = c.Bottom.Sub(b.H)
			}
			desc = append(desc, fmt.Sprintf("%s %s of target %s", m.Measure, b.Label, m.Target))
		} else {
			desc = append(desc, fmt.Sprintf("%s: no attainment (target is 0)", m.Measure))
		}
		c.Bars = append(c.Bars, b)
	}
	c.Desc = strings.Join(desc, "; ") + "."
	return c
}

// readersOf lists the plan's payout lines that read measure's attainment.
func readersOf(ps PlanStatement, measure string) []string {
	var out []string
	for _, p := range ps.Payouts {
		for _, in := range p.Trace.Inputs {
			if in.Name == "attainment."+measure {
				out = append(out, p.Component)
				break
			}
		}
	}
	return out
}

// section is a part of the statement the renderers do not know by name:
// a field added to Statement or MoneyMoved later (disputes, draws, holds)
// is shown as a table of its exported fields, so a new field of the model
// reaches every statement before anyone writes it a renderer of its own.
type section struct {
	Title   string
	Columns []string
	Rows    [][]string
}

// knownFields are the fields the renderers draw themselves.
var knownFields = map[string]bool{
	"person": true, "name": true, "period": true, "plans": true, "totals": true, "money": true,
	"earned": true, "adjustments": true, "settled": true, "prior_period": true, "payable": true, "previously_paid": true,
}

// extraSections lists the fields of v (a struct, or a pointer to one) and
// of its struct-typed fields one level down that knownFields lacks and
// that have a value.
func extraSections(v any) []section {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return nil
	}
	var out []section
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := jsonName(f)
		fv := rv.Field(i)
		if knownFields[name] {
			if name == "money" {
				out = append(out, extraSections(fv.Interface())...)
			}
			continue
		}
		if s, ok := sectionOf(name, fv); ok {
			out = append(out, s)
		}
	}
	return out
}

func jsonName(f reflect.StructField) string {
	tag := strings.Split(f.Tag.Get("json"), ",")[0]
	if tag == "" || tag == "-" {
		return f.Name
	}
	return tag
}

// title makes "prior_period" "Prior period".
func title(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var decimalType = reflect.TypeOf(decimal.Decimal{})

// sectionOf renders a slice of structs as rows, a struct as one row and a
// scalar as one cell; empty values give no section.
func sectionOf(name string, v reflect.Value) (section, bool) {
	s := section{Title: title(name)}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return s, false
		}
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.Slice:
		if v.Len() == 0 {
			return s, false
		}
		elem := v.Type().Elem()
		for elem.Kind() == reflect.Pointer {
			elem = elem.Elem()
		}
		if elem.Kind() != reflect.Struct || elem == decimalType {
			s.Columns = []string{title(name)}
			for i := 0; i < v.Len(); i++ {
				s.Rows = append(s.Rows, []string{cellText(v.Index(i), "")})
			}
			return s, true
		}
		s.Columns = columnsOf(elem)
		for i := 0; i < v.Len(); i++ {
			s.Rows = append(s.Rows, rowOf(reflect.Indirect(v.Index(i))))
		}
		return s, true
	case v.Kind() == reflect.Struct && v.Type() != decimalType:
		s.Columns = columnsOf(v.Type())
		s.Rows = [][]string{rowOf(v)}
		return s, true
	default:
		if v.IsZero() {
			return s, false
		}
		s.Columns = []string{title(name)}
		s.Rows = [][]string{{cellText(v, "")}}
		return s, true
	}
}

func columnsOf(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() {
			out = append(out, title(jsonName(f)))
		}
	}
	return out
}

// rowOf formats each exported field; decimals in a struct with a Currency
// field are shown at that currency's precision.
func rowOf(v reflect.Value) []string {
	currency := ""
	if c := v.FieldByName("Currency"); c.IsValid() && c.Kind() == reflect.String {
		currency = c.String()
	}
	var out []string
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).IsExported() {
			out = append(out, cellText(v.Field(i), currency))
		}
	}
	return out
}

func cellText(v reflect.Value, currency string) string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Type() == decimalType {
		d := v.Interface().(decimal.Decimal)
		if currency != "" {
			return moneyText(d, currency)
		}
		return d.String()
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = cellText(v.Index(i), currency)
		}
		return strings.Join(parts, "; ")
	case reflect.Struct:
		var parts []string
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				parts = append(parts, jsonName(f)+": "+cellText(v.Field(i), currency))
			}
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v.Interface())
}

// moneyRow is one row of the statement's money table.
type moneyRow struct {
	Label    string
	Amount   string
	Currency string
	Note     string
	// Total marks the payable and not-yet-paid rows.
	Total bool
}

// moneyRows is the money table: what the text statement's "Money for"
// block shows, with payable, previously paid and not yet paid together
// for each currency.
func moneyRows(m MoneyMoved) []moneyRow {
	var out []moneyRow
	row := func(label string, d decimal.Decimal, currency, note string, total bool) {
		out = append(out, moneyRow{Label: label, Amount: moneyText(d, currency), Currency: currency, Note: note, Total: total})
	}
	for _, t := range m.Earned {
		row("Earned", t.Amount, t.Currency, "", false)
	}
	for _, a := range m.Adjustments {
		row(fmt.Sprintf("Adjustment %d [%s]", a.ID, a.EarningCode), a.Amount, a.Currency, fmt.Sprintf("by %s at %s: %s", a.By, a.At, a.Reason), false)
	}
	for _, l := range m.Settled {
		// Settlement's own lines (draws, deficits) belong to no plan.
		note := l.Reason
		if l.Plan != "" {
			note = l.Plan + ": " + l.Reason
		}
		row("Payable "+l.Subject, l.Amount, l.Currency, note, false)
	}
	for _, l := range m.PriorPeriod {
		row("Prior period "+l.Earned, l.Amount, l.Currency, fmt.Sprintf("%s %s: %s", l.Plan, l.Subject, l.Reason), false)
	}
	paid := map[string]decimal.Decimal{}
	for _, t := range m.PreviouslyPaid {
		paid[t.Currency] = t.Amount
	}
	for _, t := range m.Payable {
		row("Payable", t.Amount, t.Currency, "", true)
		row("Previously paid", paid[t.Currency], t.Currency, "", false)
		row("Not yet paid", t.Amount.Sub(paid[t.Currency]), t.Currency, "", true)
	}
	return out
}

// statementTitle is "Ana Lopez (ae-1)", or the id alone.
func statementTitle(s *Statement) string {
	if s.Name != "" {
		return fmt.Sprintf("%s (%s)", s.Name, s.Person)
	}
	return s.Person
}
