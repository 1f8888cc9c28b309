// Package ledger holds icomp's ledger types and the pure rules over them:
// lines and their logical keys, folding a chain of lines into the line in
// force, diffing freshly computed lines against posted ones (reversals plus
// new lines, never an update), the period digest, deal-level credits, and
// the seal chain that makes tampering evident. It does no I/O.
//
// A line's identity is its logical key (ledger, plan, earned period,
// person, subject) and what it says: amount, currency, earning code and
// basis. Its trace (Detail) and why it was posted (Reason) sit beside the
// identity: a re-run whose trace text changed but whose numbers did not
// posts nothing.
//
//	posted := ledger.Fold(linesOfTheScope)
//	toAppend := ledger.Diff(posted, computed, ledger.Posting{RunID: 7, PostedPeriod: "2027-Q2"})
package ledger
