package engine

// WithoutClawbackReuse returns in set to compute the clawbacks of deals
// paid in the period by recomputing the period, as for earlier periods,
// rather than by reading the period's own lines (reuseDone).
func WithoutClawbackReuse(in Input) Input {
	in.noReuse = true
	return in
}
