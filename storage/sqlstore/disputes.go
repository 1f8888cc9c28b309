package sqlstore

import (
	"context"
	"sort"

	"github.com/icomp/icomp/storage"
)

// ---- disputes ----

func (x queries) DisputeGet(ctx context.Context, id int64) (storage.Dispute, error) {
	ds, err := x.disputes(ctx, ` WHERE id = ?`, id)
	if err != nil {
		return storage.Dispute{}, err
	}
	if len(ds) == 0 {
		return storage.Dispute{}, storage.ErrNotFound
	}
	return ds[0], nil
}

func (x queries) DisputeList(ctx context.Context, p storage.DisputeListParams) ([]storage.Dispute, error) {
	where := ` WHERE 1=1`
	var args []any
	if p.Person != "" {
		where += ` AND person = ?`
		args = append(args, p.Person)
	}
	if p.Period != "" {
		where += ` AND period = ?`
		args = append(args, p.Period)
	}
	ds, err := x.disputes(ctx, where, args...)
	if err != nil || p.State == "" {
		return ds, err
	}
	out := ds[:0]
	for _, d := range ds {
		if d.State() == p.State {
			out = append(out, d)
		}
	}
	return out, nil
}

// disputes reads the disputes where selects, with their events, by id.
func (x queries) disputes(ctx context.Context, where string, args ...any) ([]storage.Dispute, error) {
	rows, err := x.query(ctx, `SELECT id, person, period, plan, subject, txn, text, opened_by, opened_at FROM dispute`+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	var out []storage.Dispute
	index := map[int64]int{}
	for rows.Next() {
		var d storage.Dispute
		if err := rows.Scan(&d.ID, &d.Person, &d.Period, &d.Plan, &d.Subject, &d.Txn, &d.Text, &d.OpenedBy, &d.OpenedAt); err != nil {
			rows.Close()
			return nil, x.d.err(err)
		}
		index[d.ID] = len(out)
		out = append(out, d)
	}
	rows.Close()
	if err := x.d.err(rows.Err()); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = x.query(ctx, `SELECT dispute_id, seq, state, resolution, note, adjustment_id, actor, at FROM dispute_event
		WHERE dispute_id IN (SELECT id FROM dispute`+where+`) ORDER BY dispute_id, seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e storage.DisputeEvent
		if err := rows.Scan(&e.DisputeID, &e.Seq, &e.State, &e.Resolution, &e.Note, &e.AdjustmentID, &e.By, &e.At); err != nil {
			return nil, x.d.err(err)
		}
		if i, ok := index[e.DisputeID]; ok {
			out[i].Events = append(out[i].Events, e)
		}
	}
	for i := range out {
		sort.Slice(out[i].Events, func(a, b int) bool { return out[i].Events[a].Seq < out[i].Events[b].Seq })
	}
	return out, x.d.err(rows.Err())
}

func (t *tx) DisputeInsert(ctx context.Context, d storage.Dispute) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `INSERT INTO dispute (person, period, plan, subject, txn, text, opened_by, opened_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id`,
		[]any{d.Person, d.Period, d.Plan, d.Subject, d.Txn, d.Text, d.OpenedBy, d.OpenedAt}, &id)
	if err != nil {
		return 0, err
	}
	return id, t.DisputeEventInsert(ctx, storage.DisputeEvent{DisputeID: id, Seq: 1, State: storage.DisputeOpen, Note: d.Text, By: d.OpenedBy, At: d.OpenedAt})
}

func (t *tx) DisputeEventInsert(ctx context.Context, e storage.DisputeEvent) error {
	_, err := t.exec(ctx, `INSERT INTO dispute_event (dispute_id, seq, state, resolution, note, adjustment_id, actor, at) VALUES (?,?,?,?,?,?,?,?)`,
		e.DisputeID, e.Seq, e.State, e.Resolution, e.Note, e.AdjustmentID, e.By, e.At)
	return err
}
