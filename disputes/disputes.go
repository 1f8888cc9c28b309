// Package disputes is the dispute workflow (docs/disputes.md): a rep
// disputes a statement line or a missing deal, someone reviews it, and it
// is resolved by rejecting it or by an adjustment that the same
// transaction records. Every transition is an appended event, never an
// update. The functions here are what the CLI and the web server call;
// none reads the clock: the caller passes who and when.
package disputes

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
)

// ErrInvalid marks a request that is wrong as asked (unknown line or deal,
// a bad amount, a missing field): the caller should fix it.
var ErrInvalid = errors.New("invalid dispute request")

// ErrConflict marks a request the dispute's state does not allow
// (resolving a resolved dispute), or a run in progress.
var ErrConflict = errors.New("dispute state conflict")

// problem is an error whose text is its message and which matches one of
// ErrInvalid, ErrConflict or storage.ErrNotFound with errors.Is.
type problem struct {
	kind error
	msg  string
}

func (p *problem) Error() string { return p.msg }
func (p *problem) Unwrap() error { return p.kind }

func invalid(format string, a ...any) error {
	return &problem{ErrInvalid, fmt.Sprintf(format, a...)}
}

func conflict(format string, a ...any) error {
	return &problem{ErrConflict, fmt.Sprintf(format, a...)}
}

// OpenRequest opens a dispute: on a statement line (Plan and Subject; an
// adjustment's payable line has an empty Plan and the Subject
// adjustment/N) or on a missing deal (Txn), never both.
type OpenRequest struct {
	Person, Period string
	Plan, Subject  string
	Txn            string
	Text           string
	By, At         string
}

// Open records a new dispute in state open and returns it.
func Open(ctx context.Context, st storage.Store, req OpenRequest) (storage.Dispute, error) {
	req.Text = strings.TrimSpace(req.Text)
	switch {
	case req.Person == "":
		return storage.Dispute{}, invalid("person: required")
	case req.Period == "":
		return storage.Dispute{}, invalid("period: required")
	case req.Text == "":
		return storage.Dispute{}, invalid("text: required: say what is wrong")
	case req.By == "" || req.At == "":
		return storage.Dispute{}, invalid("who and when are required, for the record")
	case (req.Plan != "" || req.Subject != "") == (req.Txn != ""):
		return storage.Dispute{}, invalid("name either a statement line (plan and component) or a deal (transaction id), not both nor neither")
	case req.Txn == "" && (req.Subject == "" || req.Plan == "" && !strings.HasPrefix(req.Subject, ledger.AdjustmentSubjectPrefix)):
		return storage.Dispute{}, invalid("line: write it as PLAN/COMPONENT, e.g. golden-ae/commission (an adjustment's line: /adjustment/N)")
	}
	ids, err := st.PersonIDs(ctx)
	if err != nil {
		return storage.Dispute{}, err
	}
	if !ids[req.Person] {
		return storage.Dispute{}, invalid("person: no person %q", req.Person)
	}
	p, err := periods.Parse(ctx, st, req.Period)
	if err != nil {
		return storage.Dispute{}, invalid("period: %v", err)
	}
	if p.Label != req.Period {
		return storage.Dispute{}, invalid("period: write the period as %s", p.Label)
	}
	if req.Txn != "" {
		if _, err := st.TransactionGet(ctx, req.Txn); errors.Is(err, storage.ErrNotFound) {
			return storage.Dispute{}, invalid("deal: no transaction %q; check the id (a deal that was never imported cannot be credited: ask for it to be imported)", req.Txn)
		} else if err != nil {
			return storage.Dispute{}, err
		}
	} else if _, err := findLine(ctx, st, req.Person, req.Period, req.Plan, req.Subject); err != nil {
		return storage.Dispute{}, err
	}
	d := storage.Dispute{Person: req.Person, Period: req.Period, Plan: req.Plan, Subject: req.Subject, Txn: req.Txn,
		Text: req.Text, OpenedBy: req.By, OpenedAt: req.At}
	err = st.InTx(ctx, func(tx storage.Tx) error {
		// One unresolved dispute per line or deal: a second (a double
		// click) could be resolved with a second adjustment.
		same, err := tx.DisputeList(ctx, storage.DisputeListParams{Person: d.Person, Period: d.Period})
		if err != nil {
			return err
		}
		for _, o := range same {
			if o.State() != storage.DisputeResolved && o.Plan == d.Plan && o.Subject == d.Subject && o.Txn == d.Txn {
				return conflict("dispute %d about this is still %s; add to it (icomp dispute show %d) instead of opening another", o.ID, o.State(), o.ID)
			}
		}
		id, err := tx.DisputeInsert(ctx, d)
		if err != nil {
			return err
		}
		d, err = tx.DisputeGet(ctx, id)
		return err
	})
	return d, err
}

// disputedLedgers are the ledgers whose lines a statement shows as lines
// one can dispute.
var disputedLedgers = []string{ledger.PayoutLedger, ledger.PayableLedger}

// findLine returns the newest line posted with the logical key (person,
// period, plan, subject) in the payout or payable ledger, or an error
// that lists the lines there are.
func findLine(ctx context.Context, r storage.LedgerReader, person, periodLabel, plan, subject string) (ledger.Line, error) {
	seen := map[string]bool{}
	for _, l := range disputedLedgers {
		lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: l, Period: periodLabel, People: []string{person}})
		if err != nil {
			return ledger.Line{}, err
		}
		for i := len(lines) - 1; i >= 0; i-- {
			if lines[i].Plan == plan && lines[i].Subject == subject {
				return lines[i], nil
			}
		}
		for _, x := range lines {
			if x.Ledger == ledger.PayoutLedger || x.Plan == "" {
				seen[x.Plan+"/"+x.Subject] = true
			}
		}
	}
	if len(seen) == 0 {
		return ledger.Line{}, invalid("line: %s has no statement lines in %s: has the period been run?", person, periodLabel)
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	sort.Strings(names)
	return ledger.Line{}, invalid("line: %s has no line %s/%s in %s; the lines are: %s", person, plan, subject, periodLabel, strings.Join(names, ", "))
}

// List lists disputes by id; State, when set, must be a known state.
func List(ctx context.Context, r storage.DisputeReader, p storage.DisputeListParams) ([]storage.Dispute, error) {
	switch p.State {
	case "", storage.DisputeOpen, storage.DisputeInReview, storage.DisputeResolved:
	default:
		return nil, invalid("state: %q is not one of open, in_review, resolved", p.State)
	}
	return r.DisputeList(ctx, p)
}

// Reader is what Show reads.
type Reader interface {
	storage.DisputeReader
	storage.LedgerReader
}

// View is a dispute with the adjustment its resolution posted.
type View struct {
	storage.Dispute
	// Adjustment is the adjustment an adjusted resolution posted; nil
	// otherwise.
	Adjustment *storage.Adjustment
}

// Show returns one dispute with its history and adjustment;
// storage.ErrNotFound when there is no such dispute.
func Show(ctx context.Context, r Reader, id int64) (View, error) {
	d, err := get(ctx, r, id)
	if err != nil {
		return View{}, err
	}
	v := View{Dispute: d}
	adj, err := adjustmentsOf(ctx, r, []storage.Dispute{d})
	v.Adjustment = adj[d.ID]
	return v, err
}

// adjustmentsOf returns the adjustment of each adjusted dispute, by id.
func adjustmentsOf(ctx context.Context, r storage.LedgerReader, ds []storage.Dispute) (map[int64]*storage.Adjustment, error) {
	out := map[int64]*storage.Adjustment{}
	cache := map[[2]string][]storage.Adjustment{}
	for _, d := range ds {
		id := d.Last().AdjustmentID
		if id == 0 {
			continue
		}
		k := [2]string{d.Period, d.Person}
		as, ok := cache[k]
		if !ok {
			var err error
			if as, err = r.AdjustmentList(ctx, d.Period, []string{d.Person}); err != nil {
				return nil, err
			}
			cache[k] = as
		}
		for i := range as {
			if as[i].ID == id {
				out[d.ID] = &as[i]
			}
		}
	}
	return out, nil
}

func get(ctx context.Context, r storage.DisputeReader, id int64) (storage.Dispute, error) {
	d, err := r.DisputeGet(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return d, &problem{storage.ErrNotFound, fmt.Sprintf("no dispute %d", id)}
	}
	return d, err
}

// Review moves an open dispute to in_review.
func Review(ctx context.Context, st storage.Store, id int64, note, by, at string) (storage.Dispute, error) {
	return ReviewRecorded(ctx, st, id, note, by, at, nil)
}

// ReviewRecorded is Review with record, when not nil, called inside the
// review's transaction with the reviewed dispute (the web server appends
// its audit row there), so the review and its record commit together or
// not at all.
func ReviewRecorded(ctx context.Context, st storage.Store, id int64, note, by, at string, record func(context.Context, storage.Tx, storage.Dispute) error) (storage.Dispute, error) {
	if by == "" || at == "" {
		return storage.Dispute{}, invalid("who and when are required, for the record")
	}
	var d storage.Dispute
	err := st.InTx(ctx, func(tx storage.Tx) error {
		var err error
		if d, err = get(ctx, tx, id); err != nil {
			return err
		}
		if s := d.State(); s != storage.DisputeOpen {
			return conflict("dispute %d is %s, not open: only an open dispute goes into review", id, describe(d))
		}
		if err := tx.DisputeEventInsert(ctx, storage.DisputeEvent{DisputeID: id, Seq: len(d.Events) + 1, State: storage.DisputeInReview,
			Note: strings.TrimSpace(note), By: by, At: at}); err != nil {
			return err
		}
		if d, err = tx.DisputeGet(ctx, id); err != nil || record == nil {
			return err
		}
		return record(ctx, tx, d)
	})
	return d, err
}

// describe says what state a dispute is in, and who put it there.
func describe(d storage.Dispute) string {
	e := d.Last()
	s := strings.ReplaceAll(e.State, "_", " ")
	if e.Resolution != "" {
		s += " (" + e.Resolution + ")"
	}
	if e.By != "" {
		s += fmt.Sprintf(" by %s at %s", e.By, e.At)
	}
	return s
}

// ResolveRequest resolves a dispute: Reject, or adjust by Amount (decimal
// text at the currency's precision) under EarningCode.
type ResolveRequest struct {
	ID     int64
	Reject bool
	// Amount is the adjustment, e.g. "125.50" (negative takes back); empty
	// when rejecting.
	Amount string
	// Currency of the adjustment; empty means the disputed line's
	// currency, else the person's.
	Currency    string
	EarningCode string
	Note        string
	By, At      string
	// Record, when not nil, is called inside the resolution's
	// transaction once the resolved event (and the adjustment) are
	// written, with what Resolve will return (the web server appends its
	// audit row there), so the resolution and its record commit together
	// or not at all.
	Record func(context.Context, storage.Tx, Resolution) error
	// FieldNames renames the fields amount, earning_code and currency in
	// error messages to what the caller calls them (the CLI: its flags
	// adjust, earning-code); nil keeps amount, earning_code, currency,
	// the names of the web form and the JSON API.
	FieldNames map[string]string
}

// Resolution is what Resolve did.
type Resolution struct {
	Dispute storage.Dispute
	// Adjustment is the adjustment posted (nil when rejected).
	Adjustment *storage.Adjustment
	// PostsInto is the period a run of the dispute's period posts the
	// adjustment into: the period itself, or the first open period after
	// it when it is closed (a prior-period adjustment).
	PostsInto string
}

// Resolve resolves an open or in-review dispute. An adjusted resolution
// records an adjustment in the dispute's period (reason "dispute N: note",
// source dispute/N), marks the period as needing a re-run, and records the
// adjustment's id on the resolved event, all in one transaction.
func Resolve(ctx context.Context, st storage.Store, req ResolveRequest) (Resolution, error) {
	req.Note = strings.TrimSpace(req.Note)
	switch {
	case req.Reject == (req.Amount != ""):
		return Resolution{}, invalid("resolve with either an adjustment amount or a rejection, not both nor neither")
	case req.Note == "":
		return Resolution{}, invalid("note: required: say why, for the rep and the audit")
	case req.By == "" || req.At == "":
		return Resolution{}, invalid("who and when are required, for the record")
	case req.Reject && (req.EarningCode != "" || req.Currency != ""):
		return Resolution{}, invalid("a rejection posts nothing: drop the earning code and currency")
	}
	d, err := get(ctx, st, req.ID)
	if err != nil {
		return Resolution{}, err
	}
	if d.State() == storage.DisputeResolved {
		return Resolution{}, conflict("dispute %d is already %s: open a new dispute to challenge it again", d.ID, describe(d))
	}
	var adj *storage.Adjustment
	if !req.Reject {
		if adj, err = adjustment(ctx, st, d, req); err != nil {
			return Resolution{}, err
		}
	}
	res := Resolution{Adjustment: adj, PostsInto: d.Period}
	err = st.InTx(ctx, func(tx storage.Tx) error {
		if adj != nil {
			// In the transaction that posts the adjustment, under the
			// inputs lock: a run starting at the same moment either reads
			// the adjustment or is seen here.
			var running *periods.RunningError
			if err := periods.GuardInputs(ctx, tx, "an adjustment"); errors.As(err, &running) {
				return conflict("run %d of %s is in progress or was interrupted; an adjustment now would change its inputs half-way: let it finish (icomp run --period %s resumes it), then resolve", running.Run.ID, running.Run.Period, running.Run.Period)
			} else if err != nil {
				return err
			}
		}
		cur, err := get(ctx, tx, req.ID)
		if err != nil {
			return err
		}
		if cur.State() == storage.DisputeResolved {
			return conflict("dispute %d is already %s: open a new dispute to challenge it again", cur.ID, describe(cur))
		}
		e := storage.DisputeEvent{DisputeID: cur.ID, Seq: len(cur.Events) + 1, State: storage.DisputeResolved,
			Resolution: storage.ResolutionRejected, Note: req.Note, By: req.By, At: req.At}
		if adj != nil {
			id, err := tx.AdjustmentInsert(ctx, *adj)
			if err != nil {
				return err
			}
			adj.ID, e.AdjustmentID, e.Resolution = id, id, storage.ResolutionAdjusted
			p, err := periods.Parse(ctx, tx, adj.Period)
			if err != nil {
				return err
			}
			// The period, or when it is closed the one the adjustment
			// posts into, needs a re-run (periods.MarkAdjusted).
			if _, err := periods.MarkAdjusted(ctx, tx, []storage.Adjustment{*adj}); err != nil {
				return err
			}
			c, err := periods.Calendar(ctx, tx)
			if err != nil {
				return err
			}
			posted, err := periods.PostingPeriod(ctx, tx, c, p)
			if err != nil {
				return err
			}
			res.PostsInto = posted.Label
		}
		if err := tx.DisputeEventInsert(ctx, e); err != nil {
			return err
		}
		if res.Dispute, err = tx.DisputeGet(ctx, cur.ID); err != nil || req.Record == nil {
			return err
		}
		return req.Record(ctx, tx, res)
	})
	if err != nil {
		return Resolution{}, err
	}
	return res, nil
}

// adjustment builds and checks the adjustment an adjusted resolution of d
// posts, as `icomp adjust` checks one.
func adjustment(ctx context.Context, st storage.Store, d storage.Dispute, req ResolveRequest) (*storage.Adjustment, error) {
	a := &storage.Adjustment{Person: d.Person, Period: d.Period, Currency: req.Currency, EarningCode: req.EarningCode,
		Reason: fmt.Sprintf("dispute %d: %s", d.ID, req.Note), CreatedBy: req.By, CreatedAt: req.At, Source: fmt.Sprintf("dispute/%d", d.ID)}
	if a.Currency == "" {
		cur, err := defaultCurrency(ctx, st, d)
		if err != nil {
			return nil, err
		}
		a.Currency = cur
	}
	ids, err := st.PersonIDs(ctx)
	if err != nil {
		return nil, err
	}
	// A dispute may name any period of the calendar (a missing deal):
	// some published plan must compute it, or nothing would pay it.
	if p := imports.CheckAdjustment(ctx, st, calc.NewPlanCache(), ids, a, req.Amount); p != nil {
		field := req.FieldNames[p.Field]
		if field == "" {
			field = p.Field
		}
		return nil, invalid("%s: %s", field, p.Reason)
	}
	return a, nil
}

// defaultCurrency is the disputed line's currency, else the person's
// newest, else USD.
func defaultCurrency(ctx context.Context, st storage.Store, d storage.Dispute) (string, error) {
	if d.Plan != "" || d.Subject != "" {
		if l, err := findLine(ctx, st, d.Person, d.Period, d.Plan, d.Subject); err == nil && l.Currency != "" {
			return l.Currency, nil
		}
	}
	people, err := st.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: lastDay, IDs: []string{d.Person}})
	if err != nil {
		return "", err
	}
	if len(people) > 0 && people[0].Currency != "" {
		return people[0].Currency, nil
	}
	return "USD", nil
}
