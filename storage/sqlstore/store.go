package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// Store implements storage.Store over a Conn.
type Store struct {
	queries
	conn Conn
}

var (
	_ storage.Store = (*Store)(nil)
	_ storage.Tx    = (*tx)(nil)
)

// New returns a Store over conn speaking dialect d.
func New(conn Conn, d *Dialect) *Store {
	return &Store{queries: queries{q: conn, d: d}, conn: conn}
}

// Backend names the backend.
func (s *Store) Backend() string { return s.d.Name }

// Close closes the connection pool.
func (s *Store) Close() error { return s.conn.Close() }

// Conn returns the underlying connection pool.
func (s *Store) Conn() Conn { return s.conn }

// InTx runs fn in one transaction.
func (s *Store) InTx(ctx context.Context, fn func(storage.Tx) error) error {
	return s.InTxConn(ctx, func(tx storage.Tx, _ TxConn) error { return fn(tx) })
}

// InTxConn runs fn in one transaction and hands it the backend's own
// transaction too, which the backend turns into its driver's type.
func (s *Store) InTxConn(ctx context.Context, fn func(storage.Tx, TxConn) error) error {
	tc, err := s.conn.Begin(ctx)
	if err != nil {
		return s.d.err(err)
	}
	t := &tx{queries: queries{q: tc, d: s.d}, tc: tc}
	if err := fn(t, tc); err != nil {
		_ = tc.Rollback(ctx)
		return err
	}
	if err := tc.Commit(ctx); err != nil {
		return s.d.err(err)
	}
	return nil
}

func (d *Dialect) err(err error) error {
	if err == nil || d.InterpretError == nil {
		return err
	}
	return d.InterpretError(err)
}

type queries struct {
	q Querier
	d *Dialect
}

func (x queries) exec(ctx context.Context, q string, args ...any) (int64, error) {
	n, err := x.q.Exec(ctx, x.d.rebind(q), args...)
	return n, x.d.err(err)
}

func (x queries) query(ctx context.Context, q string, args ...any) (Rows, error) {
	rows, err := x.q.Query(ctx, x.d.rebind(q), args...)
	return rows, x.d.err(err)
}

// queryRow scans the first row; storage.ErrNotFound when there is none.
func (x queries) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return x.d.err(err)
		}
		return storage.ErrNotFound
	}
	return x.d.err(rows.Scan(dest...))
}

func (x queries) money(col string) string {
	if x.d.Money == nil {
		return col
	}
	return x.d.Money(col)
}

type tx struct {
	queries
	tc     TxConn
	staged bool
	// seen is, once TransactionStage first runs, what the import knows
	// of the stored transactions and of the ids read so far (txn_seen.go);
	// unchanged counts the rows it found unchanged and did not stage.
	seen      *txnSeen
	unchanged int
	// stagedRows counts the rows staged.
	stagedRows int
}

func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func strArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func dateText(d period.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func parseDate(s string) (period.Date, error) {
	if s == "" {
		return period.Date{}, nil
	}
	return period.ParseDate(s)
}

func attrsJSON(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	return string(appendAttrsJSON(nil, m))
}

// appendAttrsJSON appends what json.Marshal makes of m (keys sorted: the
// canonical form content hashes cover), byte for byte. Keys and values of
// plain ASCII are written directly; anything json.Marshal would escape
// goes through it.
func appendAttrsJSON(b []byte, m map[string]string) []byte {
	var stack [16]string
	keys := stack[:0]
	plain := true
	for k, v := range m {
		keys = append(keys, k)
		plain = plain && plainJSON(k) && plainJSON(v)
	}
	if !plain {
		j, _ := json.Marshal(m) // map keys marshal sorted: canonical
		return append(b, j...)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':', '"')
		b = append(b, m[k]...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// plainJSON says whether json.Marshal writes s between quotes as it is:
// printable ASCII other than the quote, the backslash and the characters
// it escapes for HTML.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func parseAttrs(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	if m, ok := parseFlatJSON(s); ok {
		return m, nil
	}
	var m map[string]string
	err := json.Unmarshal([]byte(s), &m)
	return m, err
}

// parseFlatJSON reads what attrsJSON writes for attributes without escapes
// or non-ASCII text, {"k":"v",...}, without reflection: a batch reads
// attributes for every transaction. Anything else reports false and goes to
// encoding/json.
func parseFlatJSON(s string) (map[string]string, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c >= 0x80 {
			return nil, false
		}
	}
	m := make(map[string]string, 4)
	rest := s[1 : len(s)-1]
	for rest != "" {
		k, after, ok := quoted(rest)
		if !ok || after == "" || after[0] != ':' {
			return nil, false
		}
		v, after2, ok := quoted(after[1:])
		if !ok {
			return nil, false
		}
		m[k] = v
		rest = after2
		if rest != "" {
			if rest[0] != ',' {
				return nil, false
			}
			rest = rest[1:]
		}
	}
	return m, true
}

// quoted reads one "..." string (with no escapes) at the start of s.
func quoted(s string) (val, rest string, ok bool) {
	if s == "" || s[0] != '"' {
		return "", "", false
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return "", "", false
	}
	return s[1 : 1+end], s[2+end:], true
}

func hashFields(fields ...string) string {
	sum := hashSum(fields...)
	return hex.EncodeToString(sum[:])
}

func hashSum(fields ...string) [sha256.Size]byte {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// ---- people ----

const personCols = `p.id, p.name, p.role, p.territory, p.manager, p.currency, p.effective_from, p.hire_date, p.termination_date, p.plans, p.attrs`

func scanPerson(rows Rows) (storage.PersonRecord, error) {
	var r storage.PersonRecord
	var eff, hire, term, plans, attrs string
	if err := rows.Scan(&r.ID, &r.Name, &r.Role, &r.Territory, &r.Manager, &r.Currency, &eff, &hire, &term, &plans, &attrs); err != nil {
		return r, err
	}
	var err error
	if r.EffectiveFrom, err = parseDate(eff); err != nil {
		return r, err
	}
	if r.HireDate, err = parseDate(hire); err != nil {
		return r, err
	}
	if r.TerminationDate, err = parseDate(term); err != nil {
		return r, err
	}
	if plans != "" {
		r.Plans = strings.Split(plans, ";")
	}
	r.Attrs, err = parseAttrs(attrs)
	return r, err
}

func (x queries) PersonIDs(ctx context.Context) (map[string]bool, error) {
	rows, err := x.query(ctx, `SELECT DISTINCT id FROM person_version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, x.d.err(rows.Err())
}

func (x queries) PersonCount(ctx context.Context) (int, error) {
	var n int
	err := x.queryRow(ctx, `SELECT COUNT(DISTINCT id) FROM person_version`, nil, &n)
	return n, err
}

// PersonListAsOf returns, per person, the newest version of the row with
// the latest effective_from on or before the day; people whose first row
// starts later are left out. Sorted by id.
func (x queries) PersonListAsOf(ctx context.Context, p storage.PersonListAsOfParams) ([]storage.PersonRecord, error) {
	day := p.Date.String()
	// With IDs, the newest effective date is found for those people only
	// (a batch asks for its own): the database does not carry p.id IN
	// (...) across the join into the grouped subquery by itself, and would
	// group every person's versions for each batch.
	ids, args := ``, []any{day}
	if p.IDs != nil {
		ids = ` AND id IN (` + placeholders(len(p.IDs)) + `)`
		args = append(args, strArgs(p.IDs)...)
	}
	q := `SELECT ` + personCols + ` FROM person_version p
		JOIN (SELECT id, MAX(effective_from) AS ef FROM person_version WHERE effective_from <= ?` + ids + ` GROUP BY id) e
		  ON e.id = p.id AND e.ef = p.effective_from
		WHERE p.seq = (SELECT MAX(seq) FROM person_version v WHERE v.id = p.id AND v.effective_from = p.effective_from)`
	q += ` ORDER BY p.id`
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.PersonRecord
	for rows.Next() {
		r, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, x.d.err(rows.Err())
}

func (x queries) PersonHistory(ctx context.Context, span period.Range) ([]storage.PersonRecord, error) {
	// A version is in force in span when it starts by span's end and no
	// later version of the person starts by span's start.
	q := `SELECT ` + personCols + ` FROM person_version p
		WHERE p.effective_from <= ?
		  AND p.seq = (SELECT MAX(seq) FROM person_version v WHERE v.id = p.id AND v.effective_from = p.effective_from)
		  AND NOT EXISTS (SELECT 1 FROM person_version n WHERE n.id = p.id AND n.effective_from > p.effective_from AND n.effective_from <= ?)
		ORDER BY p.id, p.effective_from`
	rows, err := x.query(ctx, q, span.End.String(), span.Start.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.PersonRecord
	for rows.Next() {
		r, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, x.d.err(rows.Err())
}

func personHash(r storage.PersonRecord) string {
	return hashFields(r.ID, r.Name, r.Role, r.Territory, r.Manager, r.Currency, dateText(r.EffectiveFrom),
		dateText(r.HireDate), dateText(r.TerminationDate), strings.Join(r.Plans, ";"), attrsJSON(r.Attrs))
}

func (t *tx) PersonUpsertBatch(ctx context.Context, rows []storage.PersonRecord) (storage.ImportCounts, error) {
	var c storage.ImportCounts
	var changed []string
	for _, r := range rows {
		h := personHash(r)
		eff := dateText(r.EffectiveFrom)
		var cur string
		var seq int64
		err := t.queryRow(ctx, `SELECT hash, seq FROM person_version WHERE id = ? AND effective_from = ? ORDER BY seq DESC LIMIT 1`,
			[]any{r.ID, eff}, &cur, &seq)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			c.Inserted++
		case err != nil:
			return c, err
		case cur == h:
			c.Unchanged++
			continue
		default:
			c.Changed++
		}
		_, err = t.exec(ctx, `INSERT INTO person_version (id, effective_from, seq, hash, name, role, territory, manager, currency, hire_date, termination_date, plans, attrs)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			r.ID, eff, seq+1, h, r.Name, r.Role, r.Territory, r.Manager, r.Currency, dateText(r.HireDate), dateText(r.TerminationDate), strings.Join(r.Plans, ";"), attrsJSON(r.Attrs))
		if err != nil {
			return c, fmt.Errorf("line %d: person %s: %w", r.Line, r.ID, err)
		}
		changed = append(changed, r.ID)
	}
	return c, t.recordPeopleChanges(ctx, storage.ChangePerson, changed)
}

// recordPeopleChanges appends the people whose inputs changed to the
// change sequence (kind per person), or one ChangePeople entry beyond
// ChangeBulk of them.
func (t *tx) recordPeopleChanges(ctx context.Context, kind string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if len(ids) > storage.ChangeBulk {
		return t.InputChangeRecord(ctx, storage.ChangePeople)
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return t.InputChangeRecord(ctx, kind, slices.Compact(ids)...)
}

// ---- transactions ----

func splitsText(ss []facts.Split) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.Person + ":" + s.Share.String()
	}
	return strings.Join(parts, ";")
}

func parseSplits(s string) ([]facts.Split, error) {
	if s == "" {
		return nil, nil
	}
	var out []facts.Split
	for _, part := range strings.Split(s, ";") {
		person, share, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("bad split %q", part)
		}
		d, err := decimal.NewFromString(share)
		if err != nil {
			return nil, err
		}
		out = append(out, facts.Split{Person: person, Share: d})
	}
	return out, nil
}

// TransactionHash is the content hash that decides whether a re-imported
// transaction changed.
func TransactionHash(t facts.Transaction) string {
	sum := transactionSum(t)
	return hex.EncodeToString(sum[:])
}

// transactionSum is hashSum of the row's fields as stored (date, amount,
// splits and attributes in their text forms), written into one buffer:
// an import hashes every row of its file.
func transactionSum(t facts.Transaction) [sha256.Size]byte {
	var buf [512]byte
	b := buf[:0]
	field := func(s string) { b = append(append(b, s...), 0) }
	field(t.ID)
	field(t.Date.String())
	field(t.Type)
	field(t.Owner)
	field(t.Territory)
	field(t.Product)
	field(t.Amount.String())
	field(t.Currency)
	for i, s := range t.Splits {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(append(append(b, s.Person...), ':'), s.Share.String()...)
	}
	b = append(b, 0)
	if len(t.Attrs) > 0 {
		b = appendAttrsJSON(b, t.Attrs)
	}
	b = append(b, 0)
	return sha256.Sum256(b)
}

func (x queries) scanTxns(rows Rows) ([]facts.Transaction, error) {
	var c txnChunks
	if err := x.scanTxnsInto(rows, &c); err != nil {
		return nil, err
	}
	out := make([]facts.Transaction, 0, c.n)
	for _, ch := range c.chunks {
		out = append(out, ch...)
	}
	return out, nil
}

// txnChunks holds transactions as they are read, in chunks that never
// move: no slice of them is grown and copied as it fills, and a pointer
// to one stays valid.
type txnChunks struct {
	chunks [][]facts.Transaction
	n      int
}

// txnChunkLen is the length of a txnChunks chunk.
const txnChunkLen = 1024

// next returns a zeroed transaction appended to c, to fill.
func (c *txnChunks) next() *facts.Transaction {
	if k := len(c.chunks); k == 0 || len(c.chunks[k-1]) == txnChunkLen {
		c.chunks = append(c.chunks, make([]facts.Transaction, 0, txnChunkLen))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, facts.Transaction{})
	c.n++
	return &(*last)[len(*last)-1]
}

// scanTxnsInto reads rows of txnSelect into c.
func (x queries) scanTxnsInto(rows Rows, c *txnChunks) error {
	defer rows.Close()
	var f [len(txnColumns)]string
	var row string
	for rows.Next() {
		t := c.next()
		if x.d.NulJoinedRows {
			if err := rows.Scan(&row); err != nil {
				return x.d.err(err)
			}
			if err := splitNul(row, f[:]); err != nil {
				return err
			}
		} else if err := rows.Scan(&f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10]); err != nil {
			return x.d.err(err)
		}
		t.ID, t.Type, t.Owner, t.Territory, t.Product, t.Currency, t.Hash = f[0], f[2], f[3], f[4], f[5], f[7], f[10]
		var err error
		if t.Date, err = period.ParseDate(f[1]); err != nil {
			return err
		}
		if t.Amount, err = decimal.NewFromString(f[6]); err != nil {
			return fmt.Errorf("transaction %s: amount %q: %w", t.ID, f[6], err)
		}
		if t.Splits, err = parseSplits(f[8]); err != nil {
			return fmt.Errorf("transaction %s: %w", t.ID, err)
		}
		if t.Attrs, err = parseAttrs(f[9]); err != nil {
			return fmt.Errorf("transaction %s: attrs: %w", t.ID, err)
		}
	}
	return x.d.err(rows.Err())
}

// txnColumns are the columns txnSelect reads, in order.
var txnColumns = [...]string{"id", "date", "type", "owner", "territory", "product", "amount", "currency", "splits", "attrs", "hash"}

func (x queries) txnSelect() string { return x.txnSelectFrom("txn") }

// txnSelectFrom is txnSelect from table (txn or txn_version).
func (x queries) txnSelectFrom(table string) string {
	cols := txnColumns
	cols[6] = x.money("amount")
	if x.d.NulJoinedRows {
		return `SELECT concat_ws(char(0), ` + strings.Join(cols[:], `, `) + `) FROM ` + table
	}
	return `SELECT ` + strings.Join(cols[:], `, `) + ` FROM ` + table
}

// splitNul splits a row joined by NUL into f, which must take every
// field.
func splitNul(row string, f []string) error {
	for i := range f {
		j := strings.IndexByte(row, 0)
		if i == len(f)-1 {
			if j >= 0 {
				break
			}
			f[i] = row
			return nil
		}
		if j < 0 {
			break
		}
		f[i], row = row[:j], row[j+1:]
	}
	return fmt.Errorf("a transaction row read without its %d fields", len(f))
}

func (x queries) TransactionCount(ctx context.Context) (int, error) {
	var n int
	err := x.queryRow(ctx, `SELECT COUNT(*) FROM txn`, nil, &n)
	return n, err
}

func (x queries) TransactionGet(ctx context.Context, id string) (facts.Transaction, error) {
	rows, err := x.query(ctx, x.txnSelect()+` WHERE id = ?`, id)
	if err != nil {
		return facts.Transaction{}, err
	}
	ts, err := x.scanTxns(rows)
	if err != nil {
		return facts.Transaction{}, err
	}
	if len(ts) == 0 {
		return facts.Transaction{}, storage.ErrNotFound
	}
	return ts[0], nil
}

func (x queries) TransactionCountByOwner(ctx context.Context, span period.Range) (map[string]int, error) {
	rows, err := x.query(ctx, `SELECT owner, COUNT(*) FROM txn WHERE date >= ? AND date <= ? GROUP BY owner`, span.Start.String(), span.End.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var o string
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return nil, err
		}
		out[o] = n
	}
	return out, x.d.err(rows.Err())
}

// UncreditedLeftJoin is the portable FROM … WHERE of TransactionUncredited
// on SQLite (arguments: the period label, the span's first and last day):
// the period's transactions left-joined to the distinct transactions that
// the credit lines in force credit (each line's txns read with json_each),
// those without one. The credit lines in force are posted and superseded
// by no later line (ledger_line_supersedes is unique on supersedes).
// Testing supersedes for the empty string lets the database look a line's
// successor up in that partial index: without it, a planner that thinks
// the period has a line or two (stale statistics) scans the whole ledger
// for each credit line.
const UncreditedLeftJoin = ` FROM txn t LEFT JOIN (
		SELECT DISTINCT j.value AS txn FROM ledger_line l JOIN credit c ON c.line_key = l.key, json_each(c.txns) j
		WHERE l.period = ? AND l.ledger = 'credit' AND l.kind = 'post'
		  AND NOT EXISTS (SELECT 1 FROM ledger_line s WHERE s.supersedes = l.key AND s.supersedes <> '')
	) k ON k.txn = t.id
	WHERE t.date >= ? AND t.date <= ? AND k.txn IS NULL`

func (x queries) TransactionUncredited(ctx context.Context, span period.Range, periodLabel string, sampleMax int) (int, []string, error) {
	if x.d.TransactionUncredited != nil {
		return x.d.TransactionUncredited(ctx, x.q, span, periodLabel, sampleMax)
	}
	if n, sample, ok, err := x.uncreditedInMemory(ctx, span, periodLabel, sampleMax); ok || err != nil {
		return n, sample, err
	}
	// One pass in the table's own order (a first load stores
	// transactions by owner, so an ORDER BY id would read them at
	// random): count every row and keep the sampleMax smallest ids.
	rows, err := x.query(ctx, `SELECT t.id`+UncreditedLeftJoin, periodLabel, span.Start.String(), span.End.String())
	if err != nil {
		return 0, nil, err
	}
	n, sample, err := CountSample(rows, sampleMax)
	return n, sample, x.d.err(err)
}

// UncreditedInMemoryMax is how many credited transactions of the lines in
// force uncreditedInMemory holds in a set before it gives up for
// UncreditedLeftJoin: about 50 bytes each.
var UncreditedInMemoryMax = 4_000_000

// uncreditedInMemory is TransactionUncredited as an anti-join in Go, in
// one statement (one snapshot): its first arm reads the credits of the
// credit lines in force (the lines through ledger_line's indexes, their
// transactions by key), which go into a set; its second
// the period's transactions, each counted unless the set has it. SQLite
// runs the arms of a UNION ALL one after the other; rows out of that
// order are an error. The left join's DISTINCT over a million credits
// costs SQLite a sort to a temporary B-tree, several times this. ok is
// false, and nothing counted, when the credits outnumber
// UncreditedInMemoryMax.
func (x queries) uncreditedInMemory(ctx context.Context, span period.Range, periodLabel string, sampleMax int) (n int, sample []string, ok bool, err error) {
	rows, err := x.query(ctx, `SELECT 0, c.txns, c.line_key FROM ledger_line l JOIN credit c ON c.line_key = l.key
		WHERE l.period = ? AND l.ledger = 'credit' AND l.kind = 'post'
		  AND NOT EXISTS (SELECT 1 FROM ledger_line s WHERE s.supersedes = l.key AND s.supersedes <> '')
		UNION ALL
		SELECT 1, t.id, '' FROM txn t WHERE t.date >= ? AND t.date <= ?`, periodLabel, span.Start.String(), span.End.String())
	if err != nil {
		return 0, nil, false, err
	}
	defer rows.Close()
	credited := map[string]struct{}{}
	counting, full := false, false
	var scratch []string
	for rows.Next() {
		var arm int
		var text, key string // a transaction id, or a line's txns and key
		if err := rows.Scan(&arm, &text, &key); err != nil {
			return 0, nil, false, x.d.err(err)
		}
		if arm == 0 {
			if counting {
				return 0, nil, false, fmt.Errorf("uncredited transactions: a credit read after the period's transactions")
			}
			txns, err := decodeStrings(text, true, scratch[:0])
			if err != nil {
				return 0, nil, false, fmt.Errorf("credits of line %s: txns: %w", key, err)
			}
			scratch = txns
			for _, txn := range txns {
				if _, ok := credited[txn]; ok {
					continue
				}
				if full = len(credited) == UncreditedInMemoryMax; full {
					break
				}
				credited[strings.Clone(txn)] = struct{}{}
			}
			if full {
				return 0, nil, false, nil
			}
			continue
		}
		counting = true
		if _, ok := credited[text]; ok {
			continue
		}
		n++
		sample = keepSmallest(sample, text, sampleMax)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, false, x.d.err(err)
	}
	return n, sample, true, nil
}

// keepSmallest adds id to sample, the max smallest ids seen so far in
// byte order, when it is one of them.
func keepSmallest(sample []string, id string, max int) []string {
	if max <= 0 || len(sample) == max && id >= sample[max-1] {
		return sample
	}
	i := sort.SearchStrings(sample, id)
	if len(sample) < max {
		sample = append(sample, "")
	}
	copy(sample[i+1:], sample[i:])
	sample[i] = id
	return sample
}

// CountSample counts rows (one id each, in any order) and keeps the
// sampleMax smallest ids, in byte order. It closes rows.
func CountSample(rows Rows, sampleMax int) (int, []string, error) {
	defer rows.Close()
	n := 0
	var sample []string
	for rows.Next() {
		n++
		if sampleMax <= 0 {
			continue
		}
		var id string
		if err := rows.Scan(&id); err != nil {
			return 0, nil, err
		}
		sample = keepSmallest(sample, id, sampleMax)
	}
	return n, sample, rows.Err()
}

// TransactionListForPeople reads each way a transaction can reach the
// batch (owner, territory, split) with its own indexed query and merges
// them by id: one query with OR (or a UNION, which sorts whole rows to
// drop duplicates) costs far more.
func (x queries) TransactionListForPeople(ctx context.Context, p storage.TransactionListForPeopleParams) ([]facts.Transaction, error) {
	if len(p.People) == 0 {
		return nil, nil
	}
	from, to := p.Span.Start.String(), p.Span.End.String()
	branches := []struct {
		where string
		args  []any
	}{{`owner IN (` + placeholders(len(p.People)) + `)`, strArgs(p.People)}}
	if len(p.Territories) > 0 {
		branches = append(branches, struct {
			where string
			args  []any
		}{`territory IN (` + placeholders(len(p.Territories)) + `)`, strArgs(p.Territories)})
	}
	branches = append(branches, struct {
		where string
		args  []any
	}{`id IN (SELECT txn_id FROM txn_split WHERE person IN (` + placeholders(len(p.People)) + `))`, strArgs(p.People)})
	// Every branch's rows go into chunks; references to them are sorted
	// by id (swapping references, not whole transactions) and copied out
	// once, each id once: the first read of a transaction reached twice
	// (its owner's and a split's, say) is kept.
	var c txnChunks
	for _, b := range branches {
		rows, err := x.query(ctx, x.txnSelect()+` WHERE `+b.where+` AND date >= ? AND date <= ?`, append(b.args, from, to)...)
		if err != nil {
			return nil, err
		}
		if err := x.scanTxnsInto(rows, &c); err != nil {
			return nil, err
		}
	}
	type ref struct {
		t   *facts.Transaction
		pos int
	}
	refs := make([]ref, 0, c.n)
	for _, ch := range c.chunks {
		for i := range ch {
			refs = append(refs, ref{&ch[i], len(refs)})
		}
	}
	slices.SortFunc(refs, func(a, b ref) int {
		if c := strings.Compare(a.t.ID, b.t.ID); c != 0 {
			return c
		}
		return a.pos - b.pos
	})
	out := make([]facts.Transaction, 0, len(refs))
	for i, r := range refs {
		if i > 0 && r.t.ID == refs[i-1].t.ID {
			continue
		}
		out = append(out, *r.t)
	}
	return out, nil
}

// TransactionStage stages the rows that are new or differ from the stored
// row of their id; an unchanged row is only counted. The stored hashes are
// read once, in one pass over txn, when the first rows arrive. Every id is
// checked against the ids read before it, unchanged rows included (see
// txn_seen.go), so that the first line repeating an earlier one is
// refused as it is read.
func (t *tx) TransactionStage(ctx context.Context, rows []storage.StagedTransaction) error {
	if t.seen == nil {
		s, err := t.loadTxnSeen(ctx)
		if err != nil {
			return err
		}
		t.seen = s
	}
	s := t.seen
	// With nothing stored no row is unchanged: every row is staged, and
	// the staging table refuses a repeated id (SQLite as it is staged,
	// Postgres at the merge), so a first load keeps no ids in memory.
	track := len(s.stored.rows) > 0
	vals := make([][]any, 0, len(rows))
	var splits [][]any
	for _, r := range rows {
		sum := transactionSum(r.Transaction)
		if track {
			first, unchanged, err := t.seenBefore(ctx, r, &sum, vals)
			if err != nil {
				return err
			}
			if first != 0 {
				return &storage.DuplicateError{ID: r.ID, Line: r.Line, FirstLine: first}
			}
			if unchanged {
				t.unchanged++
				continue
			}
		}
		vals = append(vals, []any{r.ID, r.Line, hex.EncodeToString(sum[:]), r.Date.String(), r.Type, r.Owner, r.Territory, r.Product,
			r.Amount.String(), r.Currency, splitsText(r.Splits), attrsJSON(r.Attrs)})
		for _, sp := range r.Splits {
			splits = append(splits, []any{r.ID, sp.Person})
		}
	}
	if len(vals) == 0 {
		return nil
	}
	if !t.staged {
		if _, err := t.exec(ctx, t.d.CreateStage); err != nil {
			return fmt.Errorf("create staging table: %w", err)
		}
		t.staged = true
	}
	t.stagedRows += len(vals)
	if t.d.StageTransactions != nil {
		return t.d.StageTransactions(ctx, t.tc, vals, splits)
	}
	return t.stageInsert(ctx, vals, splits)
}

// seenBefore looks r up: first is the line of an earlier row with r's id
// (0 if none), and unchanged says r equals its id's stored row, which is
// then marked as read on r's line; a row neither repeated nor unchanged
// is recorded as staged. vals are the rows of this chunk staged so far.
func (t *tx) seenBefore(ctx context.Context, r storage.StagedTransaction, sum *[sha256.Size]byte, vals [][]any) (first int, unchanged bool, err error) {
	s := t.seen
	fp := s.print.of(r.ID)
	// An earlier staged row of the same fingerprint: the same id?
	for i := s.file.home(fp); s.file.slots[i].fp != 0; i = s.file.next(i) {
		if e := s.file.slots[i]; e.fp == fp {
			same, err := t.stagedID(ctx, int(e.line), r.ID, vals)
			if err != nil || same {
				return int(e.line), false, err
			}
		}
	}
	if k := s.stored.find(uint32(fp), sum); k >= 0 {
		// The content hash covers the id: row k is r's, read again if
		// marked.
		row := &s.stored.rows[k]
		if row.line != 0 {
			return int(row.line), false, nil
		}
		row.line = int32(r.Line)
		return 0, true, nil
	}
	// An earlier unchanged row of a stored id of the same fingerprint:
	// r's id if its stored row is that one.
	lo, hi := s.stored.bucket(uint32(fp))
	for k := lo; k < hi; k++ {
		if row := &s.stored.rows[k]; row.fp == uint32(fp) && row.line != 0 {
			same, err := t.storedHashIs(ctx, r.ID, row.hash)
			if err != nil || same {
				return int(row.line), false, err
			}
		}
	}
	s.file.add(fileID{fp: fp, line: int32(r.Line)})
	return 0, false, nil
}

// stagedID says whether the row staged on line (in vals, this chunk, or
// in txn_stage) has id. Only a repeated id or a fingerprint collision gets
// here.
func (t *tx) stagedID(ctx context.Context, line int, id string, vals [][]any) (bool, error) {
	for _, v := range vals {
		if v[1].(int) == line {
			return v[0].(string) == id, nil
		}
	}
	var staged string
	err := t.queryRow(ctx, `SELECT id FROM txn_stage WHERE line = ?`, []any{line}, &staged)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return staged == id, err
}

// storedHashIs says whether id's stored row has a content hash starting
// with hash.
func (t *tx) storedHashIs(ctx context.Context, id string, hash [hashPrefixBytes]byte) (bool, error) {
	var h string
	err := t.queryRow(ctx, `SELECT hash FROM txn WHERE id = ?`, []any{id}, &h)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var prefix [hashPrefixBytes]byte
	if len(h) != 2*sha256.Size {
		return false, nil
	}
	if _, err := hex.Decode(prefix[:], []byte(h[:2*hashPrefixBytes])); err != nil {
		return false, nil
	}
	return prefix == hash, nil
}

// stageRowsPerInsert keeps multi-row INSERTs under SQLite's 32766-variable limit.
const stageRowsPerInsert = 500

// bulkChunk is how many of n rows the next multi-row INSERT of at most
// max rows takes: max, or else the largest of max/10, max/100 … 1 that
// fits. The inserts of a table in a transaction so have a handful of
// texts, whatever the row counts, and each is prepared once (execPrepared:
// SQLite parses a 500-row INSERT in about as long as it takes to run it).
func bulkChunk(n, max int) int {
	for size := max; size > 1; size /= 10 {
		if n >= size {
			return size
		}
	}
	return min(n, 1)
}

func (t *tx) stageInsert(ctx context.Context, vals, splits [][]any) error {
	for len(vals) > 0 {
		n := bulkChunk(len(vals), stageRowsPerInsert)
		chunk := vals[:n]
		vals = vals[n:]
		q := `INSERT INTO txn_stage (id, line, hash, date, type, owner, territory, product, amount, currency, splits, attrs) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?),", len(chunk)), ",")
		args := make([]any, 0, len(chunk)*12)
		for _, v := range chunk {
			args = append(args, v...)
		}
		if _, err := t.execPrepared(ctx, q, args...); err != nil {
			if dup := t.findDuplicate(ctx, chunk); dup != nil {
				return dup
			}
			return err
		}
	}
	for len(splits) > 0 {
		n := bulkChunk(len(splits), stageRowsPerInsert)
		chunk := splits[:n]
		splits = splits[n:]
		q := `INSERT INTO txn_split_stage (txn_id, person) VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?),", len(chunk)), ",") + ` ON CONFLICT DO NOTHING`
		args := make([]any, 0, len(chunk)*2)
		for _, v := range chunk {
			args = append(args, v...)
		}
		if _, err := t.execPrepared(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// execPrepared is exec through a statement prepared once for the
// transaction, where the backend can.
func (t *tx) execPrepared(ctx context.Context, q string, args ...any) (int64, error) {
	p, ok := t.tc.(PreparingTxConn)
	if !ok {
		return t.exec(ctx, q, args...)
	}
	n, err := p.ExecPrepared(ctx, t.d.rebind(q), args...)
	return n, t.d.err(err)
}

// findDuplicate explains a failed staging insert: an id seen twice.
func (t *tx) findDuplicate(ctx context.Context, chunk [][]any) error {
	seen := map[string]int{}
	for _, v := range chunk {
		id, line := v[0].(string), v[1].(int)
		if first, ok := seen[id]; ok {
			return &storage.DuplicateError{ID: id, Line: line, FirstLine: first}
		}
		seen[id] = line
		var first int
		err := t.queryRow(ctx, `SELECT line FROM txn_stage WHERE id = ?`, []any{id}, &first)
		if err == nil {
			return &storage.DuplicateError{ID: id, Line: line, FirstLine: first}
		}
	}
	return nil
}

// TransactionStagedClears implements storage.Tx: one join of the staged
// rows with the stored deals per column, over txn's primary key.
func (t *tx) TransactionStagedClears(ctx context.Context, cols, attrs []string, limit int) ([]storage.StagedClear, error) {
	if !t.staged {
		return nil, nil // every row was unchanged
	}
	type query struct {
		col, sql string
		args     []any
	}
	var queries []query
	for _, c := range cols {
		switch c {
		case "type", "owner", "territory", "product", "splits", "attrs":
		default:
			return nil, fmt.Errorf("TransactionStagedClears: no column %q", c)
		}
		queries = append(queries, query{c, `SELECT s.line, s.id, t.` + c + ` FROM txn_stage s JOIN txn t ON t.id = s.id
			WHERE s.` + c + ` = '' AND t.` + c + ` <> '' ORDER BY s.line LIMIT ?`, []any{limit}})
	}
	if len(attrs) > 0 && !slices.Contains(cols, "attrs") {
		keys := "json_each(t.attrs) j" // SQLite: its key column
		key := "j.key"
		if t.d.JSONKeys != nil {
			keys, key = t.d.JSONKeys("t.attrs"), "j.k"
		}
		args := make([]any, 0, len(attrs)+1)
		for _, a := range attrs {
			args = append(args, a)
		}
		args = append(args, limit)
		queries = append(queries, query{"attrs", `SELECT s.line, s.id, t.attrs FROM txn_stage s JOIN txn t ON t.id = s.id
			WHERE t.attrs <> '' AND EXISTS (SELECT 1 FROM ` + keys + ` WHERE ` + key + ` NOT IN (` + strings.TrimSuffix(strings.Repeat("?,", len(attrs)), ",") + `))
			ORDER BY s.line LIMIT ?`, args})
	}
	var out []storage.StagedClear
	for _, q := range queries {
		c := q.col
		rows, err := t.query(ctx, q.sql, q.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			sc := storage.StagedClear{Column: c}
			if err := rows.Scan(&sc.Line, &sc.ID, &sc.Stored); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, sc)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(a, b storage.StagedClear) int { return a.Line - b.Line })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (t *tx) TransactionMergeStaged(ctx context.Context) (storage.ImportCounts, error) {
	c, err := t.mergeStaged(ctx)
	c.Unchanged += t.unchanged
	return c, err
}

func (t *tx) TransactionStagedDates(ctx context.Context, attrs []string) ([]string, error) {
	if !t.staged {
		return nil, nil
	}
	seen := map[string]bool{}
	// Rows are staged only when new or changed (TransactionStage skips
	// the rows whose hash is stored), but the join says so again: a
	// staged row equal to the stored one changes no date.
	q := `SELECT DISTINCT s.date, '' FROM txn_stage s LEFT JOIN txn t ON t.id = s.id WHERE t.id IS NULL OR t.hash <> s.hash
		UNION SELECT DISTINCT t.date, '' FROM txn_stage s CROSS JOIN txn t WHERE t.id = s.id AND t.hash <> s.hash`
	var args []any
	if len(attrs) > 0 {
		// Only the rows that hold one of the attributes (as attrsJSON
		// writes its key; LIKE may let others through, which parse to
		// nothing).
		has := func(col string) string {
			var or []string
			for _, k := range attrs {
				or = append(or, col+` LIKE ?`)
				key, _ := json.Marshal(k)
				args = append(args, "%"+string(key)+":%")
			}
			return "(" + strings.Join(or, " OR ") + ")"
		}
		q += `
		UNION SELECT DISTINCT '', s.attrs FROM txn_stage s LEFT JOIN txn t ON t.id = s.id WHERE (t.id IS NULL OR t.hash <> s.hash) AND ` + has("s.attrs") + `
		UNION SELECT DISTINCT '', t.attrs FROM txn_stage s CROSS JOIN txn t WHERE t.id = s.id AND t.hash <> s.hash AND ` + has("t.attrs")
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var date, raw string
		if err := rows.Scan(&date, &raw); err != nil {
			return nil, t.d.err(err)
		}
		if date != "" {
			seen[date] = true
		}
		if raw == "" {
			continue
		}
		m, err := parseAttrs(raw)
		if err != nil {
			return nil, err
		}
		for _, k := range attrs {
			if v := m[k]; v != "" {
				seen[v] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.err(err)
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}

// stagedDuplicate reports the first staged row whose id an earlier staged
// row has (nil if none). Both queries are linear in the staged rows (a
// hash aggregate, then one sort): a self-join of the staging table on id
// would be quadratic in the copies of one id. known skips the first,
// which only says whether there is one.
func (t *tx) stagedDuplicate(ctx context.Context, known bool) (*storage.DuplicateError, error) {
	if !known {
		var dups int
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT id FROM txn_stage GROUP BY id HAVING COUNT(*) > 1) d`, nil, &dups); err != nil || dups == 0 {
			return nil, err
		}
	}
	// Report the first line that repeats an earlier one, and that
	// earlier line, as a backend that refuses it while staging does (an
	// id three times is reported at its second line, not its last): the
	// row numbered 2 of its id, the earliest such row.
	var dupID string
	var first, second int
	err := t.queryRow(ctx, `SELECT id, prev_line, line FROM (
		SELECT id, line, ROW_NUMBER() OVER (PARTITION BY id ORDER BY line) AS nth, LAG(line) OVER (PARTITION BY id ORDER BY line) AS prev_line
		FROM txn_stage) d WHERE nth = 2 ORDER BY line LIMIT 1`, nil, &dupID, &first, &second)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &storage.DuplicateError{ID: dupID, Line: second, FirstLine: first}, nil
}

func (t *tx) mergeStaged(ctx context.Context) (storage.ImportCounts, error) {
	var c storage.ImportCounts
	if !t.staged {
		return c, nil
	}
	if t.seen != nil && t.seen.empty {
		return t.firstLoad(ctx)
	}
	if t.d.BeforeMerge != "" {
		if _, err := t.exec(ctx, t.d.BeforeMerge); err != nil {
			return c, err
		}
	}
	if dup, err := t.stagedDuplicate(ctx, false); err != nil || dup != nil {
		if dup != nil {
			return c, dup
		}
		return c, err
	}
	var ins, chg, same *int64
	err := t.queryRow(ctx, `SELECT
		CAST(SUM(CASE WHEN t.id IS NULL THEN 1 ELSE 0 END) AS BIGINT),
		CAST(SUM(CASE WHEN t.id IS NOT NULL AND t.hash <> s.hash THEN 1 ELSE 0 END) AS BIGINT),
		CAST(SUM(CASE WHEN t.hash = s.hash THEN 1 ELSE 0 END) AS BIGINT)
		FROM txn_stage s LEFT JOIN txn t ON t.id = s.id`, nil, &ins, &chg, &same)
	if err != nil {
		return c, err
	}
	deref := func(p *int64) int {
		if p == nil {
			return 0
		}
		return int(*p)
	}
	c = storage.ImportCounts{Inserted: deref(ins), Changed: deref(chg), Unchanged: deref(same)}
	if c.Inserted+c.Changed == 0 {
		return c, nil
	}
	if err := t.recordStagedChanges(ctx, c.Inserted+c.Changed); err != nil {
		return c, err
	}
	steps := []string{
		// The version a changed row replaces moves to txn_version; a new
		// row is written once, to txn. CROSS JOIN makes SQLite walk the
		// staged rows and look txn up, not scan txn: a re-import stages
		// only its new and changed rows (Postgres plans the join as any).
		`INSERT INTO txn_version (id, version, hash, date, type, owner, territory, product, amount, currency, splits, attrs)
		 SELECT t.id, t.version, t.hash, t.date, t.type, t.owner, t.territory, t.product, t.amount, t.currency, t.splits, t.attrs
		 FROM txn_stage s CROSS JOIN txn t WHERE t.id = s.id AND t.hash <> s.hash`,
		`DELETE FROM txn_split WHERE txn_id IN (SELECT s.id FROM txn_stage s JOIN txn t ON t.id = s.id WHERE t.hash <> s.hash)`,
		`INSERT INTO txn_split (txn_id, person) SELECT ss.txn_id, ss.person FROM txn_split_stage ss
		 JOIN txn_stage s ON s.id = ss.txn_id LEFT JOIN txn t ON t.id = s.id WHERE t.id IS NULL OR t.hash <> s.hash`,
		`INSERT INTO txn (id, version, hash, date, type, owner, territory, product, amount, currency, splits, attrs)
		 SELECT s.id, COALESCE(t.version, 0) + 1, s.hash, s.date, s.type, s.owner, s.territory, s.product, ` + t.castMoney("s.amount") + `, s.currency, s.splits, s.attrs
		 FROM txn_stage s LEFT JOIN txn t ON t.id = s.id WHERE t.id IS NULL OR t.hash <> s.hash
		 ORDER BY s.owner, s.date, s.id
		 ON CONFLICT (id) DO UPDATE SET version = excluded.version, hash = excluded.hash, date = excluded.date, type = excluded.type,
		   owner = excluded.owner, territory = excluded.territory, product = excluded.product, amount = excluded.amount,
		   currency = excluded.currency, splits = excluded.splits, attrs = excluded.attrs`,
	}
	if t.d.AfterMerge != "" {
		steps = append(steps, t.d.AfterMerge)
	}
	for _, q := range steps {
		if _, err := t.exec(ctx, q); err != nil {
			return c, err
		}
	}
	return c, nil
}

// firstLoad merges the staged rows into an empty txn: every row is new,
// so none is looked up. The rows go in in (owner, date, id) order, so
// that a run's reads by owner touch contiguous rows, and txn's indexes
// (all but SQLite's primary key) are dropped before and built after, from
// their own stored definitions: building an index from the loaded rows
// costs a fraction of inserting a million keys in random order.
//
// No query looks for repeated ids first: a repeated id fails the load
// (the primary key refuses it, when inserted or built), under a savepoint,
// and only then is it looked for, to report it.
func (t *tx) firstLoad(ctx context.Context) (storage.ImportCounts, error) {
	c := storage.ImportCounts{Inserted: t.stagedRows}
	if err := t.recordStagedChanges(ctx, c.Inserted); err != nil {
		return c, err
	}
	if _, err := t.exec(ctx, `SAVEPOINT first_load`); err != nil {
		return c, err
	}
	err := t.firstLoadRows(ctx)
	if err == nil {
		_, err = t.exec(ctx, `RELEASE SAVEPOINT first_load`)
		return c, err
	}
	if _, rerr := t.exec(ctx, `ROLLBACK TO SAVEPOINT first_load`); rerr != nil {
		return c, err
	}
	if dup, derr := t.stagedDuplicate(ctx, true); derr == nil && dup != nil {
		return c, dup
	}
	return c, err
}

// firstLoadRows drops txn's indexes, inserts the staged rows and builds
// the indexes again.
func (t *tx) firstLoadRows(ctx context.Context) error {
	var drops, creates []string
	if t.d.TxnIndexes != "" {
		rows, err := t.query(ctx, t.d.TxnIndexes)
		if err != nil {
			return err
		}
		for rows.Next() {
			var drop, create string
			if err := rows.Scan(&drop, &create); err != nil {
				rows.Close()
				return t.d.err(err)
			}
			drops, creates = append(drops, drop), append(creates, create)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return t.d.err(err)
		}
	}
	steps := append([]string{}, drops...)
	if t.d.BeforeFirstLoad != "" {
		steps = append(steps, t.d.BeforeFirstLoad)
	}
	c := t.d.BinaryCollate
	steps = append(steps,
		`INSERT INTO txn (id, version, hash, date, type, owner, territory, product, amount, currency, splits, attrs)
		 SELECT id, 1, hash, date, type, owner, territory, product, `+t.castMoney("amount")+`, currency, splits, attrs
		 FROM txn_stage ORDER BY owner`+c+`, date`+c+`, id`+c,
		`INSERT INTO txn_split (txn_id, person) SELECT txn_id, person FROM txn_split_stage ORDER BY person`+c+`, txn_id`+c)
	steps = append(steps, creates...)
	if t.d.AfterMerge != "" {
		steps = append(steps, t.d.AfterMerge)
	}
	for _, q := range steps {
		if _, err := t.exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (x queries) castMoney(col string) string {
	if x.d.Name == "postgres" {
		return col + "::numeric"
	}
	return col
}

// ---- plans ----

func (x queries) scanPlans(rows Rows) ([]storage.PlanVersion, error) {
	defer rows.Close()
	var out []storage.PlanVersion
	for rows.Next() {
		var v storage.PlanVersion
		if err := rows.Scan(&v.Seq, &v.Hash, &v.Kind, &v.Name, &v.Version, &v.File, &v.Source); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, v)
	}
	return out, x.d.err(rows.Err())
}

const planCols = `seq, hash, kind, name, version, file, source`

func (x queries) onePlan(ctx context.Context, q string, args ...any) (storage.PlanVersion, error) {
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return storage.PlanVersion{}, err
	}
	vs, err := x.scanPlans(rows)
	if err != nil {
		return storage.PlanVersion{}, err
	}
	if len(vs) == 0 {
		return storage.PlanVersion{}, storage.ErrNotFound
	}
	return vs[0], nil
}

// PlanVersionGet returns the version with hash; Seq is its first publication.
func (x queries) PlanVersionGet(ctx context.Context, hash string) (storage.PlanVersion, error) {
	return x.onePlan(ctx, `SELECT `+planCols+` FROM plan_version WHERE hash = ? ORDER BY seq LIMIT 1`, hash)
}

func (x queries) PlanVersionLatest(ctx context.Context, kind, name string) (storage.PlanVersion, error) {
	return x.onePlan(ctx, `SELECT `+planCols+` FROM plan_version WHERE kind = ? AND name = ? ORDER BY seq DESC LIMIT 1`, kind, name)
}

func (x queries) PlanVersionListLatest(ctx context.Context, kind string) ([]storage.PlanVersion, error) {
	rows, err := x.query(ctx, `SELECT `+planCols+` FROM plan_version p WHERE kind = ?
		AND seq = (SELECT MAX(seq) FROM plan_version q WHERE q.kind = p.kind AND q.name = p.name) ORDER BY name`, kind)
	if err != nil {
		return nil, err
	}
	return x.scanPlans(rows)
}

func (x queries) PlanVersionHistory(ctx context.Context, name string) ([]storage.PlanVersion, error) {
	rows, err := x.query(ctx, `SELECT `+planCols+` FROM plan_version WHERE name = ? ORDER BY seq`, name)
	if err != nil {
		return nil, err
	}
	return x.scanPlans(rows)
}

// PlanVersionListByLabel lists the publications of one version label of
// a plan, in seq order.
func (x queries) PlanVersionListByLabel(ctx context.Context, kind, name, version string) ([]storage.PlanVersion, error) {
	rows, err := x.query(ctx, `SELECT `+planCols+` FROM plan_version WHERE kind = ? AND name = ? AND version = ? ORDER BY seq`, kind, name, version)
	if err != nil {
		return nil, err
	}
	return x.scanPlans(rows)
}

func (t *tx) PlanVersionInsert(ctx context.Context, v storage.PlanVersion) (bool, error) {
	latest, err := t.PlanVersionLatest(ctx, v.Kind, v.Name)
	switch {
	case err == nil && latest.Hash == v.Hash:
		return false, nil
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return false, err
	}
	// plan_version is a publication log: re-publishing an older version
	// appends a row with a new seq, which makes it the latest again.
	_, err = t.exec(ctx, `INSERT INTO plan_version (hash, kind, name, version, file, source) VALUES (?,?,?,?,?,?)`,
		v.Hash, v.Kind, v.Name, v.Version, v.File, v.Source)
	if err != nil {
		return false, err
	}
	return true, t.InputChangeRecord(ctx, storage.ChangePlan, v.Name)
}

// ---- runs ----

const runCols = `id, period, status, batch_size, batches, batches_done, txns_done, plans, plan_filter, digest, error, lines, posted_period, inputs, started_at, finished_at, policies, input_seq, scope`

func (x queries) scanRuns(rows Rows) ([]storage.Run, error) {
	defer rows.Close()
	var out []storage.Run
	for rows.Next() {
		var r storage.Run
		var plans, policies, scope string
		if err := rows.Scan(&r.ID, &r.Period, &r.Status, &r.BatchSize, &r.Batches, &r.BatchesDone, &r.TxnsDone, &plans, &r.PlanFilter, &r.Digest, &r.Error, &r.Lines,
			&r.PostedPeriod, &r.Inputs, &r.StartedAt, &r.FinishedAt, &policies, &r.InputSeq, &scope); err != nil {
			return nil, x.d.err(err)
		}
		if scope != "" {
			r.Scope = new(storage.RunScope)
			if err := json.Unmarshal([]byte(scope), r.Scope); err != nil {
				return nil, fmt.Errorf("run %d: scope: %w", r.ID, err)
			}
		}
		if plans != "" {
			r.Plans = strings.Split(plans, ",")
		}
		if policies != "" {
			r.Policies = strings.Split(policies, ",")
		}
		out = append(out, r)
	}
	return out, x.d.err(rows.Err())
}

func (x queries) oneRun(ctx context.Context, q string, args ...any) (storage.Run, error) {
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return storage.Run{}, err
	}
	rs, err := x.scanRuns(rows)
	if err != nil {
		return storage.Run{}, err
	}
	if len(rs) == 0 {
		return storage.Run{}, storage.ErrNotFound
	}
	return rs[0], nil
}

func (x queries) RunGet(ctx context.Context, id int64) (storage.Run, error) {
	return x.oneRun(ctx, `SELECT `+runCols+` FROM run WHERE id = ?`, id)
}

func (x queries) RunActive(ctx context.Context, periodLabel string) (storage.Run, error) {
	return x.oneRun(ctx, `SELECT `+runCols+` FROM run WHERE active_period = ?`, periodLabel)
}

func (x queries) RunList(ctx context.Context) ([]storage.Run, error) {
	rows, err := x.query(ctx, `SELECT `+runCols+` FROM run ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return x.scanRuns(rows)
}

// inputsLockID is the advisory lock key of LockInputs on Postgres.
const inputsLockID = 0x69636f6d70_01 // "icomp", 1

func (t *tx) LockInputs(ctx context.Context) error {
	if t.d.Name != "postgres" {
		return nil
	}
	_, err := t.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(inputsLockID))
	return err
}

// usersLockID is the advisory lock key of LockUsers on Postgres.
const usersLockID = 0x69636f6d70_02 // "icomp", 2

func (t *tx) LockUsers(ctx context.Context) error {
	if t.d.Name != "postgres" {
		return nil
	}
	_, err := t.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(usersLockID))
	return err
}

func (t *tx) RunInsert(ctx context.Context, r storage.Run) (int64, error) {
	if _, err := t.RunActive(ctx, r.Period); err == nil {
		return 0, storage.ErrRunInProgress
	} else if !errors.Is(err, storage.ErrNotFound) {
		return 0, err
	}
	var id int64
	err := t.queryRow(ctx, `INSERT INTO run (period, active_period, status, batch_size, batches, batches_done, plans, plan_filter, digest, error, lines,
		posted_period, inputs, started_at, finished_at, policies, input_seq)
		VALUES (?, ?, ?, ?, 0, 0, ?, ?, '', '', 0, ?, ?, ?, '', ?, ?) RETURNING id`,
		[]any{r.Period, r.Period, storage.RunRunning, r.BatchSize, strings.Join(r.Plans, ","), r.PlanFilter, r.PostedPeriod, r.Inputs, r.StartedAt,
			strings.Join(r.Policies, ","), r.InputSeq}, &id)
	return id, err
}

func (t *tx) RunSetBatches(ctx context.Context, id int64, batches int) error {
	_, err := t.exec(ctx, `UPDATE run SET batches = ? WHERE id = ?`, batches, id)
	return err
}

func (t *tx) RunBatchClaim(ctx context.Context, id int64, index int) (bool, error) {
	n, err := t.exec(ctx, `INSERT INTO run_batch (run_id, idx) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, index)
	return n == 1, err
}

func (t *tx) RunBatchDone(ctx context.Context, id int64, txns int) (int, int, error) {
	var done, total int
	err := t.queryRow(ctx, `UPDATE run SET batches_done = batches_done + 1, txns_done = txns_done + ?
		WHERE id = ? AND status = ? RETURNING batches_done, batches`, []any{txns, id, storage.RunRunning}, &done, &total)
	return done, total, err
}

func (t *tx) RunFinish(ctx context.Context, p storage.RunFinishParams) error {
	_, err := t.exec(ctx, `UPDATE run SET status = ?, digest = ?, error = ?, active_period = NULL, finished_at = ?,
		lines = (SELECT COUNT(*) FROM ledger_line WHERE run_id = ?) WHERE id = ?`, p.Status, p.Digest, p.Error, p.FinishedAt, p.ID, p.ID)
	return err
}

// ---- ledger ----

// ledgerCols are ledger_line's columns as scanned by scanLine.
func (x queries) ledgerCols() string {
	return `seq, key, ledger, kind, supersedes, run_id, plan, plan_hash, period, posted_period, person, subject, currency, earning_code, ` +
		x.money("amount") + `, basis, reason, detail`
}

func scanLine(rows Rows, l *ledger.Line, amount *string) error {
	if err := rows.Scan(&l.Seq, &l.Key, &l.Ledger, &l.Kind, &l.Supersedes, &l.RunID, &l.Plan, &l.PlanHash, &l.Period, &l.PostedPeriod,
		&l.Person, &l.Subject, &l.Currency, &l.EarningCode, amount, &l.Basis, &l.Reason, &l.Detail); err != nil {
		return err
	}
	var err error
	if l.Amount, err = decimal.NewFromString(*amount); err != nil {
		return fmt.Errorf("ledger line %s: amount %q: %w", l.Key, *amount, err)
	}
	return nil
}

func (x queries) LedgerLineList(ctx context.Context, p storage.LedgerLineListParams) ([]ledger.Line, error) {
	where := ``
	var args []any
	if p.Ledger != "" {
		where += ` AND ` + ledgerIs(p.Ledger, &args)
	}
	for _, f := range []struct{ col, val string }{{"plan", p.Plan}, {"period", p.Period}, {"posted_period", p.PostedPeriod}} {
		if f.val != "" {
			where += ` AND ` + f.col + ` = ?`
			args = append(args, f.val)
		}
	}
	if p.RunID != 0 {
		where += ` AND run_id = ?`
		args = append(args, p.RunID)
	}
	plans := p.Plans
	if plans != nil && p.Plan != "" {
		plans = nil // Plan decides; it must also be one of Plans
		if !slices.Contains(p.Plans, p.Plan) {
			return nil, nil
		}
	}
	var q string
	switch {
	case p.People != nil && plans != nil && p.Period != "" && x.d.Name == "postgres":
		// One seek per person and plan (see below).
		q = `SELECT l.* FROM (SELECT DISTINCT person FROM unnest(?::text[]) AS u(person)) want
			CROSS JOIN (SELECT DISTINCT plan FROM unnest(?::text[]) AS v(plan)) wanted
			CROSS JOIN LATERAL (
			SELECT ` + x.ledgerCols() + ` FROM ledger_line WHERE person = want.person AND plan = wanted.plan` + where + ` OFFSET 0) l ORDER BY l.seq`
		args = append([]any{p.People, plans}, args...)
	case plans != nil:
		if len(plans) == 0 {
			return nil, nil
		}
		q = `SELECT ` + x.ledgerCols() + ` FROM ledger_line WHERE plan IN (` + placeholders(len(plans)) + `)`
		pargs := strArgs(plans)
		if p.People != nil {
			q += ` AND person IN (` + placeholders(len(p.People)) + `)`
			pargs = append(pargs, strArgs(p.People)...)
		}
		q += where + ` ORDER BY seq`
		args = append(pargs, args...)
	case p.People != nil && p.Period != "" && (p.Plan != "" || settledLedger(p.Ledger)) && x.d.Name == "postgres":
		// One index seek per person, on ledger_line_chain (period, plan,
		// person, ...) or ledger_line_settled (period, ledger, person),
		// whatever the statistics say. Written as person IN (...), the
		// planner may take person for a filter after an index scan on
		// (period, plan) when its statistics are stale (a ledger analyzed
		// before the period had lines, or before a run posted a plan's
		// lines): it then reads every line of the plan in the period, for
		// each batch. OFFSET 0 keeps the subquery from being flattened into
		// a join the planner could turn back into that scan.
		q = `SELECT l.* FROM (SELECT DISTINCT person FROM unnest(?::text[]) AS u(person)) want CROSS JOIN LATERAL (
			SELECT ` + x.ledgerCols() + ` FROM ledger_line WHERE person = want.person` + where + ` OFFSET 0) l ORDER BY l.seq`
		args = append([]any{p.People}, args...)
	case p.People != nil:
		q = `SELECT ` + x.ledgerCols() + ` FROM ledger_line WHERE person IN (` + placeholders(len(p.People)) + `)` + where + ` ORDER BY seq`
		args = append(strArgs(p.People), args...)
	default:
		q = `SELECT ` + x.ledgerCols() + ` FROM ledger_line WHERE 1=1` + where + ` ORDER BY seq`
	}
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.Line
	var amount string
	for rows.Next() {
		var l ledger.Line
		if err := scanLine(rows, &l, &amount); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, x.d.err(err)
	}
	rows.Close()
	if p.WithTraces {
		if err := x.overlayTraces(ctx, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LedgerScope's order is byte order on both backends: ledger_line's text
// columns are COLLATE "C" on Postgres (schema v3).
func (x queries) LedgerScope(ctx context.Context, periodLabel string) (map[string][]string, error) {
	rows, err := x.query(ctx, `SELECT DISTINCT plan, person FROM ledger_line WHERE period = ? AND ledger NOT IN (?, ?) ORDER BY plan, person`, periodLabel, ledger.PayableLedger, ledger.BalanceLedger)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var plan, person string
		if err := rows.Scan(&plan, &person); err != nil {
			return nil, x.d.err(err)
		}
		out[plan] = append(out[plan], person)
	}
	return out, x.d.err(rows.Err())
}

// settledLedger reports whether ledger_line_settled holds name's lines.
func settledLedger(name string) bool {
	return name == ledger.PayableLedger || name == ledger.BalanceLedger
}

// ledgerIs is the condition ledger = name. The settlement ledgers are
// named by a literal (one of two constants, never input), so that the
// database can use ledger_line_settled, a partial index: neither backend
// can prove a bound parameter within an index's WHERE.
func ledgerIs(name string, args *[]any) string {
	if settledLedger(name) {
		return `ledger = '` + name + `'`
	}
	*args = append(*args, name)
	return `ledger = ?`
}

// LedgerHasLines reports whether a period has a line of any of ledgers:
// one index seek (ledger_line_settled for the settlement ledgers).
func (x queries) LedgerHasLines(ctx context.Context, periodLabel string, ledgers []string) (bool, error) {
	if len(ledgers) == 0 {
		return false, nil
	}
	args := []any{periodLabel}
	terms := make([]string, len(ledgers))
	for i, l := range ledgers {
		terms[i] = ledgerIs(l, &args)
	}
	var one int
	err := x.queryRow(ctx, `SELECT 1 FROM ledger_line WHERE period = ? AND (`+strings.Join(terms, ` OR `)+`) LIMIT 1`, args, &one)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// LedgerDigest adds up the period's digest parts (ledger_digest_part)
// when they count every line of the period; otherwise (lines posted before
// schema v14) it streams the period's lines through a Digester.
func (x queries) LedgerDigest(ctx context.Context, periodLabel string) (string, int, error) {
	where, args := ``, []any(nil)
	if periodLabel != "" {
		where, args = ` WHERE period = ?`, []any{periodLabel}
	}
	var count int
	if err := x.queryRow(ctx, `SELECT COUNT(*) FROM ledger_line`+where, args, &count); err != nil {
		return "", 0, err
	}
	rows, err := x.query(ctx, `SELECT sum, lines FROM ledger_digest_part`+where, args...)
	if err != nil {
		return "", 0, err
	}
	var sum ledger.DigestSum
	parts := 0
	for rows.Next() {
		var h string
		var n int
		if err := rows.Scan(&h, &n); err != nil {
			rows.Close()
			return "", 0, x.d.err(err)
		}
		s, err := ledger.ParseDigestSum(h)
		if err != nil {
			rows.Close()
			return "", 0, err
		}
		sum.Add(s)
		parts += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", 0, x.d.err(err)
	}
	if parts == count {
		return ledger.DigestOf(sum, count), count, nil
	}
	return x.LedgerDigestFromLines(ctx, periodLabel)
}

// LedgerDigestFromLines streams the period's lines (every period's when
// empty) through a Digester.
func (x queries) LedgerDigestFromLines(ctx context.Context, periodLabel string) (string, int, error) {
	q := `SELECT ` + x.ledgerCols() + ` FROM ledger_line`
	var args []any
	if periodLabel != "" {
		q += ` WHERE period = ?`
		args = append(args, periodLabel)
	}
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return "", 0, err
	}
	defer rows.Close()
	var d ledger.Digester
	var l ledger.Line
	var amount string
	for rows.Next() {
		if err := scanLine(rows, &l, &amount); err != nil {
			return "", 0, x.d.err(err)
		}
		d.Add(l)
	}
	if err := rows.Err(); err != nil {
		return "", 0, x.d.err(err)
	}
	return d.Sum(), d.Lines, nil
}

// ledgerRowsPerInsert keeps multi-row INSERTs under SQLite's variable limit.
const ledgerRowsPerInsert = 1000

// LedgerColumns are ledger_line's columns after seq, in insert order.
var LedgerColumns = []string{"key", "ledger", "kind", "supersedes", "run_id", "plan", "plan_hash", "period", "posted_period", "person", "subject",
	"currency", "earning_code", "amount", "basis", "reason", "detail"}

// LedgerAmountColumn is the index of amount in LedgerColumns.
const LedgerAmountColumn = 13

func ledgerRow(l ledger.Line) []any {
	return []any{l.Key, l.Ledger, l.Kind, l.Supersedes, l.RunID, l.Plan, l.PlanHash, l.Period, l.PostedPeriod, l.Person, l.Subject,
		l.Currency, l.EarningCode, l.Amount.String(), l.Basis, l.Reason, l.Detail}
}

func (t *tx) LedgerLineInsert(ctx context.Context, lines []ledger.Line) (int, error) {
	n, err := t.ledgerLineInsert(ctx, lines)
	if err != nil || n != len(lines) {
		// Lines skipped (their keys exist) add no digest part: the
		// period's parts then count fewer lines than it has, and its
		// digest is computed from its lines.
		return n, err
	}
	return n, t.digestParts(ctx, lines)
}

// digestParts appends the digest sum of lines, per period, to
// ledger_digest_part (see LedgerDigest).
func (t *tx) digestParts(ctx context.Context, lines []ledger.Line) error {
	byPeriod := map[string]*ledger.Digester{}
	var order []string
	for _, l := range lines {
		d := byPeriod[l.Period]
		if d == nil {
			d = new(ledger.Digester)
			byPeriod[l.Period] = d
			order = append(order, l.Period)
		}
		d.Add(l)
	}
	sort.Strings(order)
	for _, p := range order {
		d := byPeriod[p]
		if _, err := t.exec(ctx, `INSERT INTO ledger_digest_part (period, sum, lines) VALUES (?, ?, ?)`, p, d.DigestSum().String(), d.Lines); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) ledgerLineInsert(ctx context.Context, lines []ledger.Line) (int, error) {
	if err := t.refuseClosed(ctx, lines); err != nil {
		return 0, err
	}
	if t.d.InsertLedgerLines != nil {
		rows := make([][]any, len(lines))
		for i, l := range lines {
			rows[i] = ledgerRow(l)
		}
		return t.d.InsertLedgerLines(ctx, t.tc, rows)
	}
	total := 0
	cols := len(LedgerColumns)
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", LedgerAmountColumn), ",") + "," + t.castMoney("?") + "," +
		strings.TrimSuffix(strings.Repeat("?,", cols-LedgerAmountColumn-1), ",") + "),"
	for len(lines) > 0 {
		n := bulkChunk(len(lines), ledgerRowsPerInsert)
		chunk := lines[:n]
		lines = lines[n:]
		q := `INSERT INTO ledger_line (` + strings.Join(LedgerColumns, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(one, len(chunk)), ",") + ` ON CONFLICT (key) DO NOTHING`
		args := make([]any, 0, len(chunk)*cols)
		for _, l := range chunk {
			args = append(args, ledgerRow(l)...)
		}
		added, err := t.execPrepared(ctx, q, args...)
		if err != nil {
			return total, err
		}
		total += int(added)
	}
	return total, nil
}

// refuseClosed returns ErrPeriodClosed when a line would be posted into a
// closed period: storage checks before the database's trigger does, to
// say which period and how to proceed.
func (t *tx) refuseClosed(ctx context.Context, lines []ledger.Line) error {
	seen := map[string]bool{}
	for _, l := range lines {
		if l.PostedPeriod == "" {
			return fmt.Errorf("invariant: ledger line %s has no posted period", l.Key)
		}
		if seen[l.PostedPeriod] {
			continue
		}
		seen[l.PostedPeriod] = true
		p, err := t.PeriodGet(ctx, l.PostedPeriod)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if p.Status == storage.PeriodClosed {
			return fmt.Errorf("%w: %s was closed by %s at %s; nothing can be posted into it", storage.ErrPeriodClosed, p.Label, p.ClosedBy, p.ClosedAt)
		}
	}
	return nil
}
