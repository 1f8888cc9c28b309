package plans

import (
	"fmt"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans/rules"
)

// ComponentCurve is a component that pays a linear interpolation between
// points: an attainment-based payout curve, or an interpolated rate.
const ComponentCurve = "curve"

// What a curve gives outside its points.
const (
	// CurveFlat keeps the y of the nearest point (the default at both ends).
	CurveFlat = "flat"
	// CurveZero gives 0 below the first point: a threshold.
	CurveZero = "zero"
	// CurveExtend continues the last segment's slope above the last point.
	CurveExtend = "extend"
)

// curvePointsMax is the most points a curve may have; curvePointsMin the
// fewest (one point is a constant, which a formula says better).
const (
	curvePointsMax = 50
	curvePointsMin = 2
)

// CurvePoint is one point of a curve: at X the curve gives Y.
type CurvePoint struct {
	Pos  Pos
	X, Y decimal.Decimal
}

// Curve is a piecewise-linear function of a number rule. The component
// pays Y(Of) × Times, where Y is interpolated linearly between the two
// points around Of (see engine.Interpolate for the arithmetic).
type Curve struct {
	// Of is the rule whose value is looked up on the curve, such as
	// attainment.bookings.
	Of *Rule
	// Times multiplies the curve's y; nil means 1.
	Times *Rule
	// Points are in strictly increasing order of X.
	Points []CurvePoint
	// Below is CurveFlat or CurveZero; Above is CurveFlat or CurveExtend.
	Below, Above string
}

// componentCurve reads the keys of a curve component (of, points, times,
// below, above), and reports them on components of other types.
func (r *reader) componentCurve(cm *mapping, c *Component, p *CompPlan, names rules.Names) {
	isCurve := c.Type == ComponentCurve
	// An override's of is what it is paid on (rollup.go), read there.
	var of *Rule
	if c.Type != ComponentOverride {
		of = cm.rule("of", isCurve, rules.ComponentEnv{}, rules.KindDecimal, names)
	}
	times := cm.rule("times", false, rules.ComponentEnv{}, rules.KindDecimal, names)
	pointNodes := cm.list("points", isCurve)
	below := cm.enum("below", CurveFlat, CurveFlat, CurveZero)
	above := cm.enum("above", CurveFlat, CurveFlat, CurveExtend)
	if !isCurve {
		if c.Type == "" {
			return
		}
		for _, k := range []string{"of", "times", "points", "below", "above"} {
			if kn, ok := cm.keys[k]; ok && (k != "of" || c.Type != ComponentOverride) {
				r.errorf(kn, "%s: key %q applies only to %s components, not %s", cm.what, k, ComponentCurve, c.Type)
			}
		}
		return
	}
	for _, k := range []string{"measure", "key", "mode", "tiers"} {
		if kn, ok := cm.keys[k]; ok {
			r.errorf(kn, "%s: key %q applies only to %s components, not %s", cm.what, k, ComponentRateTable, c.Type)
		}
	}
	for _, k := range []string{"where", "amount"} {
		if kn, ok := cm.keys[k]; ok {
			r.errorf(kn, "%s: key %q does not apply to %s components: of gives the curve's input, points its shape and times what its y multiplies", cm.what, k, ComponentCurve)
		}
	}
	cv := &Curve{Of: of, Times: times, Below: below, Above: above}
	if pointNodes != nil && (len(pointNodes) < curvePointsMin || len(pointNodes) > curvePointsMax) {
		r.errorf(cm.values["points"], "%s.points: %d point(s); a curve has from %d to %d points", cm.what, len(pointNodes), curvePointsMin, curvePointsMax)
	}
	var prev *CurvePoint
	for i, pn := range pointNodes {
		pm := r.mapping(pn, fmt.Sprintf("%s point %d", cm.what, i+1))
		pt := CurvePoint{Pos: r.pos(pn)}
		var xOK, yOK bool
		pt.X, xOK = pm.decimal("x", true)
		pt.Y, yOK = pm.decimal("y", true)
		pm.done()
		if pn.Kind != yaml.MappingNode || !xOK || !yOK {
			prev = nil
			continue
		}
		if prev != nil {
			switch {
			case pt.X.Equal(prev.X):
				r.errorf(pn, "%s point %d: x %s is the same as point %d's; each x must be above the one before (a curve gives one y per x)", cm.what, i+1, pt.X, i)
			case pt.X.LessThan(prev.X):
				r.errorf(pn, "%s point %d: x %s is below point %d's x %s; list the points in increasing order of x", cm.what, i+1, pt.X, i, prev.X)
			}
		}
		cv.Points = append(cv.Points, pt)
		prev = &cv.Points[len(cv.Points)-1]
	}
	c.Curve = cv
	if c.Cumulative {
		r.cumulativeReadsYTD(cm, p, of, times)
	}
}

// cumulativeReadsYTD reports a rule of a cumulative component that reads
// a measure whose window is not ytd.
func (r *reader) cumulativeReadsYTD(cm *mapping, p *CompPlan, list ...*Rule) {
	for _, rule := range list {
		if rule == nil {
			continue
		}
		var keys []string
		for _, v := range []string{"measure", "target", "attainment"} {
			keys = append(keys, rule.Program.Keys(v)...)
		}
		for _, k := range keys {
			if ms, ok := p.MeasureByName(k); ok && ms.Window != period.WindowYTD {
				r.errAt(rule.Pos.Line, rule.Pos.Column, "%s: a cumulative component nets year-to-date earnings, but this rule reads measure %q, which has window %s; give it window: ytd", cm.what, k, ms.Window)
				break
			}
		}
	}
}
