package storage

import (
	"context"

	"github.com/icomp/icomp/engine/facts"
)

// Kinds of InputChange (docs/lifecycle.md, "Incremental re-runs").
const (
	// ChangeTransaction: one transaction (Ref its id) is new or changed.
	ChangeTransaction = "txn"
	// ChangeTransactions: more transactions changed than are listed one by
	// one (ChangeBulk of them): every transaction is to be read as changed.
	ChangeTransactions = "txns"
	// ChangePerson: one person's record (Ref the id) is new or changed.
	ChangePerson = "person"
	// ChangePeople: more people changed than are listed one by one.
	ChangePeople = "people"
	// ChangeAdjustment: an adjustment for a person (Ref) was recorded.
	ChangeAdjustment = "adjustment"
	// ChangeScore: a person's (Ref) MBO score is new or changed.
	ChangeScore = "score"
	// ChangeFX: exchange rates changed.
	ChangeFX = "fx"
	// ChangePlan: a plan (Ref its name) of any kind was published.
	ChangePlan = "plan"
	// ChangeRun: a run (Ref its id) finished having posted lines.
	ChangeRun = "run"
)

// ChangeBulk is how many ids one import lists one by one in the change
// sequence; beyond it the import records that the whole kind changed
// (ChangeTransactions, ChangePeople), which a re-run reads as a change to
// everyone.
const ChangeBulk = 10_000

// InputChange is one entry of the change sequence of a run's inputs.
type InputChange struct {
	Seq  int64
	Kind string
	Ref  string
}

// ChangeReader reads the change sequence.
type ChangeReader interface {
	// InputChangeSeq returns the newest entry's seq.
	InputChangeSeq(ctx context.Context) (int64, error)
	// InputChangesSince lists the entries after seq after, oldest first,
	// at most limit of them; more says there were more.
	InputChangesSince(ctx context.Context, after int64, limit int) (changes []InputChange, more bool, err error)
}

// RunScope is what a run recomputed: for an incremental run, the people
// the changes since its base run reach, and why; for a full run, why it
// was full.
type RunScope struct {
	// Full says the run recomputed everyone (Note says why).
	Full bool `json:"full,omitempty"`
	// Base is the run whose inputs the changes follow.
	Base int64 `json:"base,omitempty"`
	// Note says which changes, in words, for the run report.
	Note string `json:"note"`
	// People are the people recomputed, sorted.
	People []string `json:"people"`
}

// PersonLink is one (person, manager, territory) that some stored
// revision of a person's record gives.
type PersonLink struct {
	ID, Manager, Territory string
}

// ScopeReader reads what an incremental run needs to find the people a
// change reaches.
type ScopeReader interface {
	// TransactionVersions lists every stored version, current and
	// superseded, of the transactions ids.
	TransactionVersions(ctx context.Context, ids []string) ([]facts.Transaction, error)
	// TransactionsCancelling lists the current transactions whose cancels
	// attribute names one of ids.
	TransactionsCancelling(ctx context.Context, ids []string) ([]facts.Transaction, error)
	// PersonLinks lists the distinct (person, manager, territory) of every
	// revision of every person's record ever imported.
	PersonLinks(ctx context.Context) ([]PersonLink, error)
	// RunPeople lists, sorted, the people run runID posted lines for.
	RunPeople(ctx context.Context, runID int64) ([]string, error)
	// RunLedgers lists, sorted, the ledgers run runID posted lines into.
	RunLedgers(ctx context.Context, runID int64) ([]string, error)
}

// Incremental reports whether the run recomputes only its Scope's people.
func (r Run) Incremental() bool { return r.Scope != nil && !r.Scope.Full }
