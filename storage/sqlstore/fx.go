package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/storage"
)

// ---- exchange rates ----

func (x queries) FXRateList(ctx context.Context) ([]facts.FXRate, error) {
	rows, err := x.query(ctx, `SELECT from_currency, to_currency, month, `+x.money("rate")+` FROM fx_rate ORDER BY from_currency, to_currency, month`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []facts.FXRate
	for rows.Next() {
		var r facts.FXRate
		var rate string
		if err := rows.Scan(&r.From, &r.To, &r.Month, &rate); err != nil {
			return nil, x.d.err(err)
		}
		if r.Rate, err = decimal.NewFromString(rate); err != nil {
			return nil, fmt.Errorf("fx rate %s→%s %s: %q: %w", r.From, r.To, r.Month, rate, err)
		}
		out = append(out, r)
	}
	return out, x.d.err(rows.Err())
}

func (t *tx) FXRateUpsert(ctx context.Context, rates []facts.FXRate) (storage.ImportCounts, error) {
	var counts storage.ImportCounts
	for _, r := range rates {
		var stored string
		err := t.queryRow(ctx, `SELECT `+t.money("rate")+` FROM fx_rate WHERE from_currency = ? AND to_currency = ? AND month = ?`,
			[]any{r.From, r.To, r.Month}, &stored)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			if _, err := t.exec(ctx, `INSERT INTO fx_rate (from_currency, to_currency, month, rate) VALUES (?, ?, ?, `+t.castMoney("?")+`)`,
				r.From, r.To, r.Month, r.Rate.String()); err != nil {
				return counts, err
			}
			counts.Inserted++
		case err != nil:
			return counts, err
		default:
			old, err := decimal.NewFromString(stored)
			if err == nil && old.Equal(r.Rate) {
				counts.Unchanged++
				continue
			}
			if _, err := t.exec(ctx, `UPDATE fx_rate SET rate = `+t.castMoney("?")+` WHERE from_currency = ? AND to_currency = ? AND month = ?`,
				r.Rate.String(), r.From, r.To, r.Month); err != nil {
				return counts, err
			}
			counts.Changed++
		}
	}
	if counts.Inserted+counts.Changed > 0 {
		return counts, t.InputChangeRecord(ctx, storage.ChangeFX)
	}
	return counts, nil
}
