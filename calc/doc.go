// Package calc loads what one computation needs from storage — a plan
// version, its target plan, the payees of a period and their
// transactions and prior payouts — runs the engine, and turns the result
// into unposted ledger lines. Period runs, what-if and explain share it;
// it knows nothing of River.
package calc
