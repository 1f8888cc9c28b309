package engine

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

// CurveTrace shows how a curve component found its amount: the input X,
// the segment it fell in (From and To, or the nearest point outside the
// curve), the interpolated Y, and Amount = Y × Times.
type CurveTrace struct {
	Of    string          `json:"of"`
	X     decimal.Decimal `json:"x"`
	Where string          `json:"where"` // "below", "at", "between", "above"
	From  *CurvePoint     `json:"from,omitempty"`
	To    *CurvePoint     `json:"to,omitempty"`
	Y     decimal.Decimal `json:"y"`
	Times decimal.Decimal `json:"times"`
	// Amount is kept to rules.DivisionPlaces decimal places (the one
	// division of the interpolation), then rounded with the line.
	Amount decimal.Decimal `json:"amount"`
}

// CurvePoint is one point of a curve in a trace.
type CurvePoint struct {
	X decimal.Decimal `json:"x"`
	Y decimal.Decimal `json:"y"`
}

func (c *calc) curve(p *facts.Person, comp *plans.Component, env *rules.ComponentEnv, tr *Trace) error {
	cv := comp.Curve
	subject := fmt.Sprintf("person %s, component %s", p.ID, comp.Name)
	x, err := cv.Of.Program.Decimal(&c.m, env)
	if err != nil {
		return &RuleError{Pos: cv.Of.Pos, Subject: subject, Err: err}
	}
	times := one
	if cv.Times != nil {
		times, err = cv.Times.Program.Decimal(&c.m, env)
		if err != nil {
			return &RuleError{Pos: cv.Times.Pos, Subject: subject, Err: err}
		}
	}
	ct := Interpolate(cv, x, times)
	ct.Of = cv.Of.Source
	tr.Inputs = inputsOf(env)
	tr.Curve = &ct
	tr.Computed = ct.Amount
	return nil
}

// Interpolate looks x up on the curve and multiplies by times. Between two
// points (x0, y0) and (x1, y1):
//
//	amount = y0 × times + (x − x0) × (y1 − y0) × times ÷ (x1 − x0)
//
// with the division kept to rules.DivisionPlaces places, half away from
// zero: multiplying before dividing keeps it to that one division. Below
// the first point the curve gives the first y (Below flat) or 0 (Below
// zero); above the last, the last y (Above flat) or the last segment
// continued (Above extend). Y in the trace is the interpolated y, divided
// the same way.
func Interpolate(cv *plans.Curve, x, times decimal.Decimal) CurveTrace {
	pts := cv.Points
	ct := CurveTrace{X: x, Times: times}
	at := func(i int) *CurvePoint { return &CurvePoint{X: pts[i].X, Y: pts[i].Y} }
	line := func(i, j int) {
		dx := pts[j].X.Sub(pts[i].X)
		dy := pts[j].Y.Sub(pts[i].Y)
		off := x.Sub(pts[i].X)
		ct.From, ct.To = at(i), at(j)
		ct.Y = pts[i].Y.Add(off.Mul(dy).DivRound(dx, rules.DivisionPlaces))
		ct.Amount = pts[i].Y.Mul(times).Add(off.Mul(dy).Mul(times).DivRound(dx, rules.DivisionPlaces))
	}
	n := len(pts)
	switch {
	case x.LessThan(pts[0].X):
		ct.Where, ct.From = "below", at(0)
		if cv.Below == plans.CurveZero {
			ct.Y, ct.Amount = decimal.Zero, decimal.Zero
		} else {
			ct.Y, ct.Amount = pts[0].Y, pts[0].Y.Mul(times)
		}
	case x.GreaterThan(pts[n-1].X):
		ct.Where = "above"
		if cv.Above == plans.CurveExtend {
			line(n-2, n-1)
		} else {
			ct.From = at(n - 1)
			ct.Y, ct.Amount = pts[n-1].Y, pts[n-1].Y.Mul(times)
		}
	default:
		for i := range pts {
			if x.Equal(pts[i].X) {
				ct.Where, ct.From = "at", at(i)
				ct.Y, ct.Amount = pts[i].Y, pts[i].Y.Mul(times)
				return ct
			}
		}
		i := 0
		for i+1 < n && !x.LessThan(pts[i+1].X) {
			i++
		}
		ct.Where = "between"
		line(i, i+1)
	}
	return ct
}
