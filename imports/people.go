package imports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
)

// PeopleColumns are the people file's columns; id is required, and name
// for a person not stored yet.
var PeopleColumns = []string{"id", "name", "role", "territory", "manager", "currency", "effective_from", "hire_date", "termination_date", "plans"}

// TransactionColumns are the transactions file's columns; id, date,
// amount and currency are required.
var TransactionColumns = []string{"id", "date", "type", "owner", "territory", "product", "amount", "currency", "splits"}

var (
	peopleRequired      = []string{"id"}
	transactionRequired = []string{"id", "date", "amount", "currency"}
)

// isID says whether s is a valid id: a letter or digit, then letters,
// digits and _ . : @ / - (ASCII). An import checks every row's ids: a
// loop, not a regular expression.
func isID(s string) bool {
	if s == "" || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case isAlnum(c), c == '_', c == '.', c == ':', c == '@', c == '/', c == '-':
		default:
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// defaultEffectiveFrom is the effective date of a people row without one:
// before any plan year.
var defaultEffectiveFrom = period.MustDate("1900-01-01")

// Options are an import's settings.
type Options struct {
	// File names the input in problems.
	File   string
	Format Format
	// Progress, if set, is called with the number of rows read so far.
	Progress func(rows int)
	// Today is the import date: a people row without effective_from
	// that changes a stored person starts their new version on it.
	// Imports never read the clock; the zero Today is the earliest day a
	// stored person's new version can start (their current version's
	// effective_from, which the change then corrects).
	Today period.Date
	// Replace makes a targets import replace each published target plan
	// it names with the file's rows alone, instead of merging them into
	// it.
	Replace bool
}

// chunkRows is how many rows are staged per database round.
const chunkRows = 5000

// People imports a people file in one transaction.
//
// A row for a person already stored changes only the columns the file has
// (for attributes, the attr.NAME columns it has): the others keep the
// values of the person's version in effect on the row's effective_from.
// Such a row without effective_from starts a new version on o.Today,
// unless it changes nothing. A new person's first row without
// effective_from starts before any plan year.
//
// Beyond each row's own fields, the import refuses: a plans entry naming a
// comp plan that is not published; a manager who is neither in the file
// nor stored; a manager cycle, stored people included; and a person whose
// currency differs from that of a comp plan they are assigned to.
//
// Unlike transactions, the rows of a people file are held in memory until
// it is checked: whether a manager exists, or closes a cycle, depends on
// the whole file.
func People(ctx context.Context, st storage.Store, r io.Reader, o Options) (storage.ImportCounts, error) {
	counts, _, err := PeopleLate(ctx, st, r, o)
	return counts, err
}

// PeopleLate is People, also saying which computed periods the import
// changed (see Late): those ending on or after the first day a changed
// row takes effect from (its effective date, or an earlier hire or
// termination date it sets or moves; a new person's hire date).
func PeopleLate(ctx context.Context, st storage.Store, r io.Reader, o Options) (storage.ImportCounts, Late, error) {
	var counts storage.ImportCounts
	var late Late
	probs := &problems{file: o.File}
	rr, err := newRowReader(o.File, o.Format, r, PeopleColumns, peopleRequired, probs)
	if err != nil {
		return counts, late, err
	}
	err = st.InTx(ctx, func(tx storage.Tx) error {
		if err := periods.GuardInputs(ctx, tx, "importing"); err != nil {
			return err
		}
		published, err := publishedCompPlans(ctx, tx)
		if err != nil {
			return err
		}
		typed, err := publishedAttrs(ctx, tx)
		if err != nil {
			return err
		}
		var rows []personIn
		seen := map[string]int{} // id and effective_from given → line
		parse := func(rec record) (personIn, bool) {
			p, ok := personRow(rec, probs)
			if !typed.check(rec.line, rec.attrs, true, probs) {
				ok = false
			}
			if !ok {
				return personIn{}, false
			}
			if !p.EffectiveFrom.IsZero() {
				key := p.ID + "\x00" + p.EffectiveFrom.String()
				if first, dup := seen[key]; dup {
					probs.add(rec.line, "id", "person %s with effective_from %s already appears on line %d", p.ID, p.EffectiveFrom, first)
					return personIn{}, false
				}
				seen[key] = rec.line
			}
			if _, given := rec.fields["plans"]; given && !published.check(rec.line, p.Plans, probs) {
				return personIn{}, false
			}
			in := personIn{PersonRecord: p, attrCols: rec.attrCols, given: map[string]bool{}}
			for k := range rec.fields {
				in.given[k] = true
			}
			return in, true
		}
		keep := func(batch []personIn) error {
			rows = append(rows, batch...)
			return nil
		}
		if err := streamRows(rr, probs, o, parse, keep, nil); err != nil {
			return err
		}
		if err := probs.err(); err != nil {
			return err
		}
		if err := resolvePeople(ctx, tx, rows, o.Today, probs); err != nil {
			return err
		}
		if err := checkPeople(ctx, tx, rows, published, probs); err != nil {
			return err
		}
		// A stored person's new version is a change, not an insert: their
		// rows are written in batches of their own.
		var fresh, known []storage.PersonRecord
		flush := func(batch *[]storage.PersonRecord, stored bool) error {
			if len(*batch) == 0 {
				return nil
			}
			c, err := tx.PersonUpsertBatch(ctx, *batch)
			if stored {
				c.Changed, c.Inserted = c.Changed+c.Inserted, 0
			}
			counts.Add(c)
			*batch = (*batch)[:0]
			return err
		}
		for _, in := range rows {
			batch := &fresh
			if in.stored {
				batch = &known
			}
			if in.unchanged {
				counts.Unchanged++
				continue
			}
			*batch = append(*batch, in.PersonRecord)
			if len(*batch) >= chunkRows {
				if err := flush(batch, in.stored); err != nil {
					return err
				}
			}
		}
		if err := flush(&fresh, false); err != nil {
			return err
		}
		if err := flush(&known, true); err != nil {
			return err
		}
		var since period.Date
		for i := range rows {
			if d := rows[i].since(); !rows[i].unchanged && (since.IsZero() || d.Before(since)) {
				since = d
			}
		}
		if since.IsZero() {
			return nil
		}
		changes, err := peopleChanges(ctx, tx, since)
		if err != nil {
			return err
		}
		late.Rerun, late.Closed, err = changes.mark(ctx, tx)
		return err
	})
	if err != nil {
		return storage.ImportCounts{}, Late{}, err
	}
	return counts, late, nil
}

// parseDateField reads a date whose year is in minYear to maxYear.
func parseDateField(rec record, field string, required bool, probs *problems) (period.Date, bool) {
	return parseDateFieldUpTo(rec, field, required, maxYear, probs)
}

// parseEndDateField reads an end date (termination_date): its year may be
// up to maxEndYear, since 9999-12-31 is the usual HR placeholder for "no
// end date" (which ends nothing any period holds).
func parseEndDateField(rec record, field string, required bool, probs *problems) (period.Date, bool) {
	return parseDateFieldUpTo(rec, field, required, maxEndYear, probs)
}

func parseDateFieldUpTo(rec record, field string, required bool, last int, probs *problems) (period.Date, bool) {
	v := rec.get(field)
	if v == "" {
		if required {
			probs.add(rec.line, field, "required")
			return period.Date{}, false
		}
		return period.Date{}, true
	}
	d, err := period.ParseDate(v)
	if err != nil {
		probs.add(rec.line, field, "%v", err)
		return period.Date{}, false
	}
	if y := d.Time().Year(); y < minYear || y > last {
		// 0207-05-01 for 2027-05-01: a deal no period would ever hold.
		probs.add(rec.line, field, "%s: the year %d is outside %d to %d; a typo?", v, y, minYear, last)
		return period.Date{}, false
	}
	return d, true
}

// minYear and maxYear bound the years of dates in imports: a date outside
// them is a typo that no period of the calendar would ever hold, so the
// row would be imported and never paid. An end date (a person's
// termination_date) may be as late as maxEndYear: HR systems write
// 9999-12-31 for "no end date" (a typo such as 2207 for 2027 then reads
// as not terminated, as leaving the date out would).
// effective_from keeps maxYear: a version that starts in 2207 would never
// take effect, the change silently dropped.
const (
	minYear, maxYear = 1900, 2199
	maxEndYear       = 9999
)

func checkID(rec record, field string, required bool, probs *problems) bool {
	v := rec.get(field)
	if v == "" {
		if required {
			probs.add(rec.line, field, "required")
			return false
		}
		return true
	}
	if !isID(v) {
		probs.add(rec.line, field, "%s is not a valid id (letters, digits and _ . : @ / -)", echo(v))
		return false
	}
	return true
}

func checkCurrency(rec record, required bool, probs *problems) bool {
	v := rec.get("currency")
	if v == "" {
		if required {
			probs.add(rec.line, "currency", "required (an ISO 4217 code such as USD)")
			return false
		}
		return true
	}
	if _, ok := money.Precision(v); !ok {
		probs.add(rec.line, "currency", "%s is not a supported ISO 4217 currency code", echo(v))
		return false
	}
	return true
}

func personRow(rec record, probs *problems) (storage.PersonRecord, bool) {
	before := probs.n
	p := storage.PersonRecord{Line: rec.line}
	checkID(rec, "id", true, probs)
	checkID(rec, "manager", false, probs)
	if _, given := rec.fields["name"]; given && rec.get("name") == "" {
		probs.add(rec.line, "name", "required")
	}
	checkCurrency(rec, false, probs)
	p.Person = facts.Person{ID: rec.get("id"), Name: rec.get("name"), Role: rec.get("role"), Territory: rec.get("territory"),
		Manager: rec.get("manager"), Currency: rec.get("currency"), Attrs: rec.attrs}
	// A row without effective_from gets one when it is known whether the
	// person is stored (resolvePeople).
	p.EffectiveFrom, _ = parseDateField(rec, "effective_from", false, probs)
	p.HireDate, _ = parseDateField(rec, "hire_date", false, probs)
	p.TerminationDate, _ = parseEndDateField(rec, "termination_date", false, probs)
	if !p.HireDate.IsZero() && !p.TerminationDate.IsZero() && p.TerminationDate.Before(p.HireDate) {
		probs.add(rec.line, "termination_date", "%s is before hire_date %s", p.TerminationDate, p.HireDate)
	}
	if v := rec.get("plans"); v != "" {
		for _, name := range strings.Split(v, ";") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			p.Plans = append(p.Plans, name)
		}
	}
	if p.Manager != "" && p.Manager == p.ID {
		probs.add(rec.line, "manager", "a person cannot manage themselves")
	}
	return p, probs.n == before
}

// Transactions imports a transactions file in one transaction. Owners and
// split people must be known people.
func Transactions(ctx context.Context, st storage.Store, r io.Reader, o Options) (storage.ImportCounts, error) {
	counts, _, err := TransactionsLate(ctx, st, r, o)
	return counts, err
}

// Late says what a transaction or fx import changed in periods already
// computed: Rerun lists the calculated or approved periods it marked as
// needing a re-run (it added or changed deals dated in them, payment
// dates falling in them, or exchange rates of a month they share days
// with); Closed the closed periods it changed so, which only a re-run
// posting into a later open period acts on.
type Late struct {
	Rerun, Closed []string
}

// TransactionsLate is Transactions, also saying which computed periods
// the import changed (see Late).
func TransactionsLate(ctx context.Context, st storage.Store, r io.Reader, o Options) (storage.ImportCounts, Late, error) {
	var counts storage.ImportCounts
	var late Late
	probs := &problems{file: o.File}
	rr, err := newRowReader(o.File, o.Format, r, TransactionColumns, transactionRequired, probs)
	if err != nil {
		return counts, late, err
	}
	people, err := st.PersonIDs(ctx)
	if err != nil {
		return counts, late, err
	}
	err = st.InTx(ctx, func(tx storage.Tx) error {
		if err := periods.GuardInputs(ctx, tx, "importing"); err != nil {
			return err
		}
		typed, err := publishedAttrs(ctx, tx)
		if err != nil {
			return err
		}
		duplicate := func(err error) bool {
			var dup *storage.DuplicateError
			if errors.As(err, &dup) {
				probs.add(dup.Line, "id", "transaction %s already appears on line %d", dup.ID, dup.FirstLine)
				return true
			}
			return false
		}
		// missing gathers the optional columns some row does not have.
		missing := map[string]bool{}
		attrCols := map[string]bool{} // the attributes some row gives
		columnsSeen := false
		parse := func(rec record) (storage.StagedTransaction, bool) {
			t, ok := transactionRow(rec, people, probs)
			ok = typed.check(rec.line, t.Attrs, false, probs) && ok
			// Every CSV row has the header's columns: the first says it.
			if o.Format == JSONL || !columnsSeen {
				columnsSeen = true
				missingColumns(rec, missing)
				for _, a := range rec.attrCols {
					attrCols[a] = true
				}
			}
			return storage.StagedTransaction{Transaction: t, Line: rec.line}, ok
		}
		write := func(batch []storage.StagedTransaction) error {
			return tx.TransactionStage(ctx, batch)
		}
		if err := streamRows(rr, probs, o, parse, write, duplicate); err != nil {
			return err
		}
		if err := probs.err(); err != nil {
			return err
		}
		if err := refuseClearing(ctx, tx, missing, attrCols, probs); err != nil {
			return err
		}
		changes, err := lateChanges(ctx, tx, typed.holdDates)
		if err != nil {
			return err
		}
		counts, err = tx.TransactionMergeStaged(ctx)
		if duplicate(err) {
			return probs.err()
		}
		if err != nil {
			return err
		}
		late.Rerun, late.Closed, err = changes.mark(ctx, tx)
		return err
	})
	if err != nil {
		return storage.ImportCounts{}, Late{}, err
	}
	return counts, late, nil
}

// missingColumns adds to missing the optional transaction columns rec
// does not have ("attrs" when it has no attribute at all).
func missingColumns(rec record, missing map[string]bool) {
	for _, c := range TransactionColumns {
		if _, ok := rec.fields[c]; !ok && !missing[c] && !contains(transactionRequired, c) {
			missing[c] = true
		}
	}
	if len(rec.attrCols) == 0 {
		missing["attrs"] = true
	}
}

// refuseClearing reports a problem for each staged row that lacks a
// column (one of missing, or an attribute not among attrs) its deal is
// stored with a value in: a transactions file gives each deal whole, so
// importing the row would clear the value (a correction file that gives
// only id, date, amount and currency would leave the deal without its
// owner, credited to nobody; one without attr.paid_on, without the
// payment date a hold releases it on).
func refuseClearing(ctx context.Context, tx storage.Tx, missing, attrs map[string]bool, probs *problems) error {
	if len(missing) == 0 && len(attrs) == 0 {
		return nil
	}
	cols := slices.Sorted(maps.Keys(missing))
	names := slices.Sorted(maps.Keys(attrs))
	clears, err := tx.TransactionStagedClears(ctx, cols, names, ProblemsShownMax)
	if err != nil {
		return err
	}
	for _, c := range clears {
		has := c.Column + " " + echo(c.Stored)
		what := c.Column + " column"
		if c.Column == "attrs" {
			has, what = "attributes "+c.Stored, "attr.NAME column"
			var stored map[string]string
			if len(attrs) > 0 && json.Unmarshal([]byte(c.Stored), &stored) == nil {
				var lacking []string
				for _, k := range slices.Sorted(maps.Keys(stored)) {
					if !attrs[k] {
						lacking = append(lacking, k)
					}
				}
				if len(lacking) > 0 {
					has = fmt.Sprintf("attribute %s %s", lacking[0], echo(stored[lacking[0]]))
					what = "attr." + lacking[0] + " column"
					if len(lacking) > 1 {
						has = fmt.Sprintf("attributes %s", strings.Join(lacking, ", "))
						what = "attr." + strings.Join(lacking, ", attr.") + " columns"
					}
				}
			}
		}
		probs.add(c.Line, c.Column, "transaction %s is stored with %s, and this row has no %s: importing it would clear that (a transactions file gives each deal whole); include the column", echo(c.ID), has, what)
	}
	return probs.err()
}

// streamChunksAhead is how many chunks of rows streamRows may read and
// parse ahead of the chunk being written: reading and checking rows (one
// goroutine) runs beside writing them (another, with the database).
const streamChunksAhead = 8

// streamRows reads every row, turns each good one into a T with parse and
// hands them to write in chunks of chunkRows, in order, on another
// goroutine. Once any row has a problem nothing more is written: the
// import will be rolled back, and reading on only finds the remaining
// problems. A write error that refused (if not nil) records as problems
// (it is called on the reading goroutine, which alone touches probs) stops
// the writing too; any other ends the import.
func streamRows[T any](rr rowReader, probs *problems, o Options, parse func(record) (T, bool), write func([]T) error, refused func(error) bool) error {
	chunks := make(chan []T, streamChunksAhead)
	free := make(chan []T, streamChunksAhead+2)
	var writeErr error
	var failed atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for batch := range chunks {
			if !failed.Load() {
				if err := write(batch); err != nil {
					writeErr = err
					failed.Store(true)
				}
			}
			select {
			case free <- batch[:0]:
			default:
			}
		}
	}()
	// checked reports the writer's error once, on this goroutine.
	reported := false
	checked := func() error {
		if reported || !failed.Load() {
			return nil
		}
		reported = true
		if refused != nil && refused(writeErr) {
			return nil
		}
		return writeErr
	}
	finish := func(err error) error {
		if err != nil {
			failed.Store(true) // the writer skips what is queued
		}
		close(chunks)
		<-done
		if err != nil {
			return err
		}
		return checked()
	}
	var batch []T
	rows := 0
	flush := func() error {
		if err := checked(); err != nil {
			return err
		}
		if probs.n > 0 || failed.Load() || len(batch) == 0 {
			batch = batch[:0]
			return nil
		}
		chunks <- batch
		select {
		case batch = <-free:
		default:
			batch = nil
		}
		return nil
	}
	for {
		rec, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return finish(err)
		}
		rows++
		if o.Progress != nil && rows%chunkRows == 0 {
			o.Progress(rows)
		}
		if rowShapeProblems(rec, probs) {
			continue
		}
		v, ok := parse(rec)
		if !ok {
			continue
		}
		batch = append(batch, v)
		if len(batch) >= chunkRows {
			if err := flush(); err != nil {
				return finish(err)
			}
		}
	}
	if err := flush(); err != nil {
		return finish(err)
	}
	if err := finish(nil); err != nil {
		return err
	}
	if o.Progress != nil {
		o.Progress(rows)
	}
	return nil
}

func transactionRow(rec record, people map[string]bool, probs *problems) (facts.Transaction, bool) {
	before := probs.n
	t := facts.Transaction{ID: rec.get("id"), Type: rec.get("type"), Owner: rec.get("owner"), Territory: rec.get("territory"),
		Product: rec.get("product"), Currency: rec.get("currency"), Attrs: rec.attrs}
	checkID(rec, "id", true, probs)
	t.Date, _ = parseDateField(rec, "date", true, probs)
	if v := rec.get("amount"); v == "" {
		probs.add(rec.line, "amount", "required")
	} else if m := exponentProblem(v, "1250.50"); m != "" {
		probs.add(rec.line, "amount", "%s", m)
	} else if d, err := decimal.NewFromString(v); err != nil {
		probs.add(rec.line, "amount", "%s is not a decimal amount such as 1250.50", echo(v))
	} else {
		t.Amount = d
		if p, ok := money.Precision(t.Currency); ok && -d.Exponent() > p {
			probs.add(rec.line, "amount", "%s has more decimal places than %s allows (%d)", v, t.Currency, p)
		}
	}
	checkCurrency(rec, true, probs)
	if checkID(rec, "owner", false, probs) && t.Owner != "" && !people[t.Owner] {
		probs.add(rec.line, "owner", "unknown person %s; import people first", echo(t.Owner))
	}
	if v := rec.get("splits"); v != "" {
		sum := decimal.Zero
		seen := map[string]bool{}
		for _, part := range strings.Split(v, ";") {
			person, share, ok := strings.Cut(strings.TrimSpace(part), ":")
			share = strings.TrimSpace(share)
			if !ok {
				probs.add(rec.line, "splits", "%s: want PERSON:SHARE, e.g. ae-1:0.6;ae-2:0.4", echo(part))
				continue
			}
			if m := exponentProblem(share, "0.25"); m != "" {
				probs.add(rec.line, "splits", "share for %s: %s", echo(person), m)
				continue
			}
			d, err := decimal.NewFromString(share)
			switch {
			case err != nil:
				probs.add(rec.line, "splits", "share %s for %s is not a decimal fraction such as 0.25", echo(share), echo(person))
				continue
			case !people[person]:
				probs.add(rec.line, "splits", "unknown person %s; import people first", echo(person))
			case seen[person]:
				probs.add(rec.line, "splits", "person %s appears twice", echo(person))
			case d.Sign() <= 0 || d.GreaterThan(decimal.NewFromInt(1)):
				probs.add(rec.line, "splits", "share %s for %s must be above 0 and at most 1", echo(share), person)
			}
			seen[person] = true
			sum = sum.Add(d)
			t.Splits = append(t.Splits, facts.Split{Person: person, Share: d})
		}
		if probs.n == before && !sum.Equal(decimal.NewFromInt(1)) {
			probs.add(rec.line, "splits", "shares sum to %s; want 1", sum)
		}
	}
	return t, probs.n == before
}

// String renders counts for the CLI.
func String(kind string, c storage.ImportCounts) string {
	return fmt.Sprintf("%s: %d inserted, %d changed, %d unchanged", kind, c.Inserted, c.Changed, c.Unchanged)
}
