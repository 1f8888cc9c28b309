package sqlstore

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// ---- the change sequence (schema v14) ----

func (x queries) InputChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := x.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM input_change`, nil, &seq)
	return seq, err
}

func (x queries) InputChangesSince(ctx context.Context, after int64, limit int) ([]storage.InputChange, bool, error) {
	rows, err := x.query(ctx, `SELECT seq, kind, ref FROM input_change WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []storage.InputChange
	for rows.Next() {
		var c storage.InputChange
		if err := rows.Scan(&c.Seq, &c.Kind, &c.Ref); err != nil {
			return nil, false, x.d.err(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, x.d.err(err)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// changeRowsPerInsert keeps multi-row INSERTs under SQLite's variable limit.
const changeRowsPerInsert = 400

func (t *tx) InputChangeRecord(ctx context.Context, kind string, refs ...string) error {
	if err := t.LockInputs(ctx); err != nil {
		return err
	}
	if len(refs) == 0 {
		refs = []string{""}
	}
	for start := 0; start < len(refs); start += changeRowsPerInsert {
		end := min(start+changeRowsPerInsert, len(refs))
		args := make([]any, 0, 2*(end-start))
		for _, r := range refs[start:end] {
			args = append(args, kind, r)
		}
		q := `INSERT INTO input_change (kind, ref) VALUES ` + strings.TrimSuffix(strings.Repeat(`(?, ?),`, end-start), ",")
		if _, err := t.exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// recordStagedChanges appends the staged transactions that are new or
// changed to the change sequence (before the merge makes them current):
// one entry each, or one ChangeTransactions entry beyond ChangeBulk.
func (t *tx) recordStagedChanges(ctx context.Context, changed int) error {
	if changed > storage.ChangeBulk {
		return t.InputChangeRecord(ctx, storage.ChangeTransactions)
	}
	if err := t.LockInputs(ctx); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO input_change (kind, ref)
		SELECT ?, s.id FROM txn_stage s LEFT JOIN txn t ON t.id = s.id WHERE t.id IS NULL OR t.hash <> s.hash ORDER BY s.id`, storage.ChangeTransaction)
	return err
}

func (t *tx) RunSetScope(ctx context.Context, id int64, scope storage.RunScope) error {
	b, err := json.Marshal(scope)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `UPDATE run SET scope = ? WHERE id = ?`, string(b), id)
	return err
}

func (x queries) TransactionVersions(ctx context.Context, ids []string) ([]facts.Transaction, error) {
	var out []facts.Transaction
	for start := 0; start < len(ids); start += changeRowsPerInsert {
		chunk := strArgs(ids[start:min(start+changeRowsPerInsert, len(ids))])
		in := `(` + placeholders(len(chunk)) + `)`
		rows, err := x.query(ctx, x.txnSelect()+` WHERE id IN `+in+`
			UNION ALL `+x.txnSelectFrom("txn_version")+` WHERE id IN `+in,
			append(chunk, chunk...)...)
		if err != nil {
			return nil, err
		}
		ts, err := x.scanTxns(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

func (x queries) TransactionsCancelling(ctx context.Context, ids []string) ([]facts.Transaction, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	// One pass over the transactions that cancel anything (attrs are
	// canonical JSON, attrsJSON), whatever the number of ids.
	rows, err := x.query(ctx, x.txnSelect()+` WHERE attrs LIKE ?`, `%"`+plans.CancelsAttr+`":%`)
	if err != nil {
		return nil, err
	}
	ts, err := x.scanTxns(rows)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ts, func(t facts.Transaction) bool { return !want[t.Attrs[plans.CancelsAttr]] }), nil
}

func (x queries) PersonLinks(ctx context.Context) ([]storage.PersonLink, error) {
	rows, err := x.query(ctx, `SELECT DISTINCT id, manager, territory FROM person_version ORDER BY id, manager, territory`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.PersonLink
	for rows.Next() {
		var l storage.PersonLink
		if err := rows.Scan(&l.ID, &l.Manager, &l.Territory); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, l)
	}
	return out, x.d.err(rows.Err())
}

func (x queries) RunPeople(ctx context.Context, runID int64) ([]string, error) {
	return x.runDistinct(ctx, `SELECT DISTINCT person FROM ledger_line WHERE run_id = ? ORDER BY person`, runID)
}

func (x queries) RunLedgers(ctx context.Context, runID int64) ([]string, error) {
	return x.runDistinct(ctx, `SELECT DISTINCT ledger FROM ledger_line WHERE run_id = ? ORDER BY ledger`, runID)
}

// runDistinct reads one text column of a query on a run's lines.
func (x queries) runDistinct(ctx context.Context, q string, runID int64) ([]string, error) {
	rows, err := x.query(ctx, q, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, p)
	}
	return out, x.d.err(rows.Err())
}
