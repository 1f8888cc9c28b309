// Package engine is icomp's pure calculation: given a compiled plan, its
// target plan, a period, people, transactions and what earlier periods
// already paid, it computes credits, measures, attainment and payout lines,
// each payout line with a trace of how it was computed.
//
// The engine does no I/O, reads no clock and uses no randomness: the same
// Input gives the same Result, whatever the order of its people and
// transactions; and when the input has several problems, the same error.
// A person's results depend only on their own facts, so computing people
// in batches gives each the same lines as computing everyone at once. Rounding happens at named points only, in engine/money:
// split credits are allocated to the currency's minor unit, and each payout
// line is rounded half away from zero to the minor unit once, after its cap.
//
//	res, err := engine.Compute(engine.Input{
//		Plan: plan, Targets: targets, Period: p,
//		People: people, Transactions: txns,
//	})
package engine
