// Package storage is icomp's repository seam: one interface, Store, with an
// embedded SQLite backend (the default, storage/sqlitestore) and a Postgres
// backend, both built on the shared SQL of storage/sqlstore.
//
// Methods are named NounVerb and take *Params structs where they take more
// than one value. Ledgers are append-only: there is no method that updates
// or deletes a posted line. Money is stored as exact decimal text (SQLite)
// or NUMERIC (Postgres), never as floating point.
package storage

import (
	"context"
	"errors"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrRunInProgress is returned when a period already has a run in progress.
var ErrRunInProgress = errors.New("a run of this period is in progress")

// ErrPeriodClosed is returned when a write would change a closed period.
var ErrPeriodClosed = errors.New("the period is closed")

// Store is the repository. Reads may be called on the Store or inside a Tx;
// writes happen only inside InTx, all or nothing.
type Store interface {
	Reader
	// InTx runs fn in one transaction, committed when fn returns nil and
	// rolled back otherwise.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// Backend names the backend: "sqlite" or "postgres".
	Backend() string
	Close() error
}

// DriverStore is a Store whose transactions also hand out the driver's own
// transaction, typed (*sql.Tx for SQLite, pgx.Tx for Postgres), so that
// River's ...Tx calls share them: a job's ledger writes and its completion
// commit together.
type DriverStore[TTx any] interface {
	Store
	// InDriverTx is InTx, with the driver's transaction beside the Tx.
	InDriverTx(ctx context.Context, fn func(tx Tx, driverTx TTx) error) error
}

// Reader is every read: the role interfaces below, which consumers take
// one by one, so that each says what it reads.
type Reader interface {
	PeopleReader
	TransactionReader
	PlanReader
	RunReader
	LedgerReader
	ExportReader
	PeriodReader
	ScoreReader
	FXReader
	DisputeReader
	UserReader
}

// FXReader reads exchange rates (docs/plans.md §18).
type FXReader interface {
	// FXRateList lists every stored rate, by from, to and month.
	FXRateList(ctx context.Context) ([]facts.FXRate, error)
}

// PeopleReader reads people.
type PeopleReader interface {
	PersonIDs(ctx context.Context) (map[string]bool, error)
	PersonListAsOf(ctx context.Context, p PersonListAsOfParams) ([]PersonRecord, error)
	// PersonHistory lists every person's versions in force on some day of
	// span (the newest import of each dated row), by id and date: the
	// effective-dated manager hierarchy that roll-ups climb.
	PersonHistory(ctx context.Context, span period.Range) ([]PersonRecord, error)
	// PersonVersionList lists the versions of people in force on some day
	// of Span (the one in force on its first day and every later one up to
	// its last), by person and effective date.
	PersonVersionList(ctx context.Context, p PersonVersionListParams) ([]PersonRecord, error)
	PersonCount(ctx context.Context) (int, error)
}

// TransactionReader reads transactions.
type TransactionReader interface {
	TransactionCount(ctx context.Context) (int, error)
	// TransactionCountByOwner counts the current transactions dated in
	// span, by owner.
	TransactionCountByOwner(ctx context.Context, span period.Range) (map[string]int, error)
	// TransactionListForPeople lists the current transactions dated in Span
	// that are owned by, split to, or in the territory of the given people.
	TransactionListForPeople(ctx context.Context, p TransactionListForPeopleParams) ([]facts.Transaction, error)
	TransactionGet(ctx context.Context, id string) (facts.Transaction, error)
	// TransactionUncredited counts the current transactions dated in span
	// that no credit line in force of periodLabel credits, and lists the
	// first sampleMax of their ids: one anti-join in the database, so
	// neither side is held in memory.
	TransactionUncredited(ctx context.Context, span period.Range, periodLabel string, sampleMax int) (count int, sample []string, err error)
}

// PlanReader reads published plan versions.
type PlanReader interface {
	PlanVersionGet(ctx context.Context, hash string) (PlanVersion, error)
	// PlanVersionLatest returns the newest published version of the named
	// plan of kind (a comp_plan or target_plan).
	PlanVersionLatest(ctx context.Context, kind, name string) (PlanVersion, error)
	PlanVersionListLatest(ctx context.Context, kind string) ([]PlanVersion, error)
	// PlanVersionHistory lists every publication of the named plan (of
	// any kind), oldest first.
	PlanVersionHistory(ctx context.Context, name string) ([]PlanVersion, error)
	// PlanVersionListByLabel lists the publications of the named plan of
	// kind under version label version, oldest first; none is an empty
	// list, not an error.
	PlanVersionListByLabel(ctx context.Context, kind, name, version string) ([]PlanVersion, error)
}

// RunReader reads runs and what they read.
type RunReader interface {
	RunGet(ctx context.Context, id int64) (Run, error)
	RunActive(ctx context.Context, periodLabel string) (Run, error)
	RunList(ctx context.Context) ([]Run, error)
	// ImportBatchLatest returns the id of the newest import (0 for none).
	ImportBatchLatest(ctx context.Context) (int64, error)
	ChangeReader
	ScopeReader
}

// LedgerReader reads ledger lines and what sits beside them: credits,
// traces and the seal chain.
type LedgerReader interface {
	// LedgerLineList lists ledger lines, in posting order (Seq).
	LedgerLineList(ctx context.Context, p LedgerLineListParams) ([]ledger.Line, error)
	// LedgerScope lists, per plan, the people with credit, attainment or
	// payout lines earned in a period, sorted: a re-run also visits people
	// who left a plan, to reverse their lines. (The payable and balance
	// ledgers are settlement's, scoped by these people, the adjustments
	// and the balances.)
	LedgerScope(ctx context.Context, periodLabel string) (map[string][]string, error)
	// LedgerHasLines reports whether any line of ledgers was earned in a
	// period.
	LedgerHasLines(ctx context.Context, periodLabel string, ledgers []string) (bool, error)
	// LedgerDigest returns ledger.Digest of the lines of a period (every
	// period when empty), from the digest sums stored as lines were posted
	// when they count every line, else from the lines.
	LedgerDigest(ctx context.Context, periodLabel string) (digest string, lines int, err error)
	// LedgerDigestFromLines computes LedgerDigest from the lines alone.
	LedgerDigestFromLines(ctx context.Context, periodLabel string) (digest string, lines int, err error)
	// LedgerRunIDs lists the distinct run ids of the posted lines.
	LedgerRunIDs(ctx context.Context) ([]int64, error)

	// CreditList lists the credits beside the credit summary lines with
	// the given keys, sorted by line key, transaction and rule.
	CreditList(ctx context.Context, lineKeys []string) ([]ledger.Credit, error)
	// CreditScan streams every stored credit to fn, grouped by line key
	// (in line key order; within a line, in no set order), without holding
	// them in memory.
	CreditScan(ctx context.Context, fn func(ledger.Credit) error) error
	// TraceListByRun lists the traces run runID stored beside unchanged
	// lines, by line key.
	TraceListByRun(ctx context.Context, runID int64) ([]ledger.Trace, error)
	// TraceCount counts every stored trace.
	TraceCount(ctx context.Context) (int, error)

	// AdjustmentList lists the adjustments of an earned period (every
	// period when empty), of the given people (all when nil), by id.
	AdjustmentList(ctx context.Context, periodLabel string, people []string) ([]Adjustment, error)

	// SealList lists the seal chain in order.
	SealList(ctx context.Context) ([]ledger.Seal, error)
}

// ExportReader reads payroll batches.
type ExportReader interface {
	// ExportList lists payroll batches in id order: of one period, or all
	// when periodLabel is empty.
	ExportList(ctx context.Context, periodLabel string) ([]Export, error)
	// ExportGet returns one payroll batch, with its file.
	ExportGet(ctx context.Context, id int64) (Export, error)
	// ExportedKeys returns the keys of payable lines already exported.
	ExportedKeys(ctx context.Context, periodLabel string) (map[string]bool, error)
	// ExportLineKeys returns the line keys of one batch, sorted.
	ExportLineKeys(ctx context.Context, id int64) ([]string, error)
}

// PeriodReader reads the company calendar and period statuses.
type PeriodReader interface {
	// SettingGet returns a workspace setting; ErrNotFound when unset.
	SettingGet(ctx context.Context, name string) (string, error)
	// PeriodGet returns the period's row; ErrNotFound when it was never
	// run or changed (it is then open).
	PeriodGet(ctx context.Context, label string) (PeriodRecord, error)
	// PeriodList lists every period row, by start date and label.
	PeriodList(ctx context.Context) ([]PeriodRecord, error)
}

// Tx is a transaction: every read, plus the writes.
type Tx interface {
	Reader
	UserWriter
	// PersonUpsertBatch stores people rows: an identical row is a no-op, a
	// changed row becomes a new version. Line numbers in rows are for errors.
	PersonUpsertBatch(ctx context.Context, rows []PersonRecord) (ImportCounts, error)
	// TransactionStage adds rows to this transaction's staging area; a
	// duplicate id returns a *DuplicateError naming both lines.
	TransactionStage(ctx context.Context, rows []StagedTransaction) error
	// TransactionMergeStaged moves the staged rows into the store: identical
	// rows are no-ops, changed rows new versions.
	TransactionMergeStaged(ctx context.Context) (ImportCounts, error)
	// TransactionStagedClears lists, before TransactionMergeStaged, the
	// staged rows that would clear a value their deal is stored with in
	// one of cols (of type, owner, territory, product, splits and attrs):
	// empty in the staged row, not in the stored deal. With attrs given
	// (the file's attribute names), also the rows whose deal is stored
	// with an attribute not among them (Column "attrs", Stored the stored
	// attributes as a JSON object). At most limit, by line.
	TransactionStagedClears(ctx context.Context, cols, attrs []string, limit int) ([]StagedClear, error)
	// TransactionStagedDates lists, before TransactionMergeStaged, the
	// distinct dates (YYYY-MM-DD) the merge would change: those of the
	// staged rows that are new or changed, of the versions the changed
	// ones replace, and the values of the named attributes (payment
	// dates) of both. Sorted.
	TransactionStagedDates(ctx context.Context, attrs []string) ([]string, error)

	// PlanVersionInsert publishes v, unless v is already the latest
	// version of its plan (then inserted is false). Publishing an older
	// version again makes it the latest again.
	PlanVersionInsert(ctx context.Context, v PlanVersion) (inserted bool, err error)

	// LockInputs serialises, until the transaction ends, the
	// transactions that start runs with those that change a run's inputs
	// (imports, adjustments, dispute resolutions): each takes it, then
	// looks for a run in progress, so that a change either commits before
	// a run starts (which then reads it) or sees the run and is refused.
	// Postgres takes a transaction-level advisory lock; SQLite's writers
	// are serialised already.
	LockInputs(ctx context.Context) error
	// LockUsers serialises, until the transaction ends, the transactions
	// that check the users before changing one (disabling an admin
	// counts the others first). Postgres takes a transaction-level
	// advisory lock; SQLite's writers are serialised already.
	LockUsers(ctx context.Context) error

	RunInsert(ctx context.Context, r Run) (int64, error)
	RunSetBatches(ctx context.Context, id int64, batches int) error
	// RunSetScope records that run id is incremental, recomputing scope.
	RunSetScope(ctx context.Context, id int64, scope RunScope) error
	// InputChangeRecord appends an entry of kind to the change sequence
	// per ref (one with an empty ref when none is given). It takes the
	// inputs lock first (LockInputs), so that a run starting reads every
	// entry committed before it and none is committed after it with a
	// lower seq.
	InputChangeRecord(ctx context.Context, kind string, refs ...string) error
	// RunBatchClaim records batch index of run id as posted; false means
	// an earlier transaction already did.
	RunBatchClaim(ctx context.Context, id int64, index int) (bool, error)
	// RunBatchDone counts one finished batch, which read txns transactions,
	// and returns how many batches are done of how many. It locks the run's
	// row until the transaction ends, and returns ErrNotFound when the run
	// is not running (it failed while the batch computed).
	RunBatchDone(ctx context.Context, id int64, txns int) (done, total int, err error)
	RunFinish(ctx context.Context, p RunFinishParams) error

	// LedgerLineInsert appends lines; a line whose Key exists already is
	// skipped (idempotency). It returns how many were appended.
	LedgerLineInsert(ctx context.Context, lines []ledger.Line) (int, error)

	ExportInsert(ctx context.Context, e Export, keys []string) (int64, error)
	// ExportLineAdd records more line keys as paid by batch id (only when
	// a database is upgraded: the lines that stand for what it paid).
	ExportLineAdd(ctx context.Context, id int64, keys []string) error

	// CreditInsert appends credits (beside lines appended in the same
	// transaction).
	CreditInsert(ctx context.Context, credits []ledger.Credit) error
	// TraceInsert stores newer traces beside unchanged lines.
	TraceInsert(ctx context.Context, traces []ledger.Trace) error
	// SettingSet stores a workspace setting.
	SettingSet(ctx context.Context, name, value string) error
	// PeriodUpsert inserts the period's row when missing, as open.
	PeriodUpsert(ctx context.Context, p PeriodRecord) error
	// PeriodUpdate writes the status fields of an existing row; a closed
	// row cannot change (ErrPeriodClosed).
	PeriodUpdate(ctx context.Context, p PeriodRecord) error
	// AdjustmentInsert records an adjustment and returns its id.
	AdjustmentInsert(ctx context.Context, a Adjustment) (int64, error)
	// SealInsert appends a link to the seal chain.
	SealInsert(ctx context.Context, s ledger.Seal) error
	// FXRateUpsert stores rates, one per pair and month: a new pair and
	// month is inserted, a stored one with another rate changed.
	FXRateUpsert(ctx context.Context, rates []facts.FXRate) (ImportCounts, error)
	// ImportBatchInsert records an import and returns its id.
	ImportBatchInsert(ctx context.Context, b ImportBatch) (int64, error)
	// MBOScoreUpsertBatch stores MBO scores: an identical score is a
	// no-op, a changed one a new version.
	MBOScoreUpsertBatch(ctx context.Context, rows []MBOScore) (ImportCounts, error)
	// DisputeInsert records a dispute (ID, Events ignored) with its first
	// event, opened, and returns its id.
	DisputeInsert(ctx context.Context, d Dispute) (int64, error)
	// DisputeEventInsert appends a transition; an event whose DisputeID
	// and Seq exist already fails.
	DisputeEventInsert(ctx context.Context, e DisputeEvent) error
}

// ScoreReader reads MBO scores (docs/plans.md §20).
type ScoreReader interface {
	// MBOScoreList lists the current score of each person and objective
	// in Period, of People (everyone when nil), by person and objective.
	MBOScoreList(ctx context.Context, p MBOScoreListParams) ([]MBOScore, error)
}

// MBOScore is a person's score on an MBO objective in a period (a period
// label of the company calendar): 1 means met in full.
type MBOScore struct {
	facts.Score
	Period string
	// Source is the file and line the score was imported from.
	Source string
}

// MBOScoreListParams selects MBO scores.
type MBOScoreListParams struct {
	Period string
	People []string
}

// ImportCounts says what an import did.
type ImportCounts struct {
	Inserted, Changed, Unchanged int
}

// Add adds o to c.
func (c *ImportCounts) Add(o ImportCounts) {
	c.Inserted += o.Inserted
	c.Changed += o.Changed
	c.Unchanged += o.Unchanged
}

// DuplicateError is a row whose id already appeared earlier in the same import.
type DuplicateError struct {
	ID              string
	Line, FirstLine int
}

func (e *DuplicateError) Error() string {
	return "duplicate id " + e.ID
}

// PersonRecord is one effective-dated version of a person.
type PersonRecord struct {
	facts.Person
	EffectiveFrom period.Date
	// HireDate and TerminationDate (zero while employed) are in the
	// embedded facts.Person, which the engine reads.
	// Plans lists the comp plans the person is assigned to; empty means the
	// plans' eligibility rules decide.
	Plans []string
	// Line is the source line, for errors; not stored.
	Line int
}

// ActiveIn reports whether the person is employed on any day of r.
func (p PersonRecord) ActiveIn(r period.Range) bool {
	if !p.HireDate.IsZero() && p.HireDate.After(r.End) {
		return false
	}
	if !p.TerminationDate.IsZero() && p.TerminationDate.Before(r.Start) {
		return false
	}
	return true
}

// AssignedTo reports whether plan applies to the person.
func (p PersonRecord) AssignedTo(plan string) bool {
	if len(p.Plans) == 0 {
		return true
	}
	for _, x := range p.Plans {
		if x == plan {
			return true
		}
	}
	return false
}

// PersonListAsOfParams selects people as of a day.
type PersonListAsOfParams struct {
	Date period.Date
	// IDs limits the list; nil means everyone.
	IDs []string
}

// PersonVersionListParams selects the versions of people in force during
// a span of days.
type PersonVersionListParams struct {
	Span period.Range
	// IDs limits the list; nil means everyone.
	IDs []string
}

// StagedTransaction is a transaction row being imported.
type StagedTransaction struct {
	facts.Transaction
	Line int
}

// TransactionListForPeopleParams selects transactions for a batch of people.
type TransactionListForPeopleParams struct {
	Span        period.Range
	People      []string
	Territories []string
}

// StagedClear is a staged transaction row that would clear the value its
// deal is stored with in Column.
type StagedClear struct {
	Line   int
	ID     string
	Column string
	// Stored is the stored value (splits as PERSON:SHARE;…, attrs as a
	// JSON object).
	Stored string
}

// PlanVersion is one published plan or target plan version.
type PlanVersion struct {
	Hash    string
	Kind    string
	Name    string
	Version string
	File    string
	Source  string
	Seq     int64
}

// Run statuses.
const (
	RunRunning = "running"
	RunDone    = "done"
	RunFailed  = "failed"
)

// Run is one period run.
type Run struct {
	ID          int64
	Period      string
	Status      string
	BatchSize   int
	Batches     int
	BatchesDone int
	// TxnsDone counts the transactions the finished batches read (a
	// transaction credited to people in two batches counts twice).
	TxnsDone int
	// Plans holds the comp plan version hashes the run computes.
	Plans []string
	// PlanFilter is the one plan name the run was limited to; empty when
	// it covers every plan in effect, and then it also reverses the lines
	// of plans no longer in effect.
	PlanFilter string
	Digest     string
	Error      string
	// Lines is how many ledger lines the run appended.
	Lines int
	// PostedPeriod is the period the run posts into: Period, or the first
	// open period after it when Period is closed (prior-period adjustments).
	PostedPeriod string
	// Inputs is the watermark of what the run read: the newest import
	// batch id and the plan hashes.
	Inputs                string
	StartedAt, FinishedAt string
	// Policies holds the settlement policy version hashes the run settles
	// with.
	Policies []string
	// InputSeq is the newest entry of the change sequence when the run
	// started (0 for runs before schema v14).
	InputSeq int64
	// Scope is what the run recomputes: for an incremental run, the
	// people (see Incremental); nil for a full run that records no reason
	// (runs before schema v14, runs being split).
	Scope *RunScope
}

// RunFinishParams closes a run.
type RunFinishParams struct {
	ID         int64
	Status     string
	Digest     string
	Error      string
	FinishedAt string
}

// LedgerLineListParams filters ledger lines; empty fields match all.
type LedgerLineListParams struct {
	Ledger string
	Plan   string
	// Plans, when not nil, keeps the lines of these plans only (with
	// Plan, of Plan if it is one of them). Naming the plans lets the
	// database seek each person's lines of each plan in a period instead
	// of walking the period's lines.
	Plans []string
	// Period is the earned period.
	Period string
	// PostedPeriod is the period lines were posted in.
	PostedPeriod string
	People       []string
	RunID        int64
	// WithTraces gives each line its newest trace (a later run may have
	// stored one beside it) in Detail.
	WithTraces bool
}

// Export is one payroll batch of a period: the file and its checksum.
type Export struct {
	ID      int64
	Period  string
	PayDate string
	// Digest is the SHA-256 of CSV.
	Digest string
	CSV    string
	// Lines is the number of data rows in CSV.
	Lines     int
	CreatedAt string
}
