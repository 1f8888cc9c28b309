package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/storage"
)

// ---- MBO scores (docs/plans.md §20) ----

// MBOScoreList reads the latest version of each score of the period.
func (x queries) MBOScoreList(ctx context.Context, p storage.MBOScoreListParams) ([]storage.MBOScore, error) {
	q := `SELECT s.person, s.objective, ` + x.money("s.score") + `, s.source FROM mbo_score s
		WHERE s.period = ? AND s.seq = (SELECT MAX(seq) FROM mbo_score v WHERE v.person = s.person AND v.period = s.period AND v.objective = s.objective)`
	args := []any{p.Period}
	if p.People != nil {
		q += ` AND s.person IN (` + placeholders(len(p.People)) + `)`
		args = append(args, strArgs(p.People)...)
	}
	rows, err := x.query(ctx, q+` ORDER BY s.person, s.objective`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.MBOScore
	for rows.Next() {
		s := storage.MBOScore{Period: p.Period}
		var score string
		if err := rows.Scan(&s.Person, &s.Objective, &score, &s.Source); err != nil {
			return nil, x.d.err(err)
		}
		if s.Score.Score, err = decimal.NewFromString(score); err != nil {
			return nil, fmt.Errorf("mbo score %s/%s/%s: %q: %w", s.Person, p.Period, s.Objective, score, err)
		}
		out = append(out, s)
	}
	return out, x.d.err(rows.Err())
}

// MBOScoreUpsertBatch appends a version for each new or changed score.
func (t *tx) MBOScoreUpsertBatch(ctx context.Context, rows []storage.MBOScore) (storage.ImportCounts, error) {
	var c storage.ImportCounts
	var changed []string
	for _, r := range rows {
		var cur string
		var seq int64
		err := t.queryRow(ctx, `SELECT `+t.money("score")+`, seq FROM mbo_score WHERE person = ? AND period = ? AND objective = ? ORDER BY seq DESC LIMIT 1`,
			[]any{r.Person, r.Period, r.Objective}, &cur, &seq)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			c.Inserted++
		case err != nil:
			return c, err
		default:
			if d, perr := decimal.NewFromString(cur); perr == nil && d.Equal(r.Score.Score) {
				c.Unchanged++
				continue
			}
			c.Changed++
		}
		if _, err := t.exec(ctx, `INSERT INTO mbo_score (person, period, objective, seq, score, source) VALUES (?,?,?,?,`+t.castMoney("?")+`,?)`,
			r.Person, r.Period, r.Objective, seq+1, r.Score.Score.String(), r.Source); err != nil {
			return c, err
		}
		changed = append(changed, r.Person)
	}
	return c, t.recordPeopleChanges(ctx, storage.ChangeScore, changed)
}

// ---- person versions over a span (plan changes, docs/plans.md §20) ----

// PersonVersionList lists the latest revision of each version in force on
// some day of the span.
func (x queries) PersonVersionList(ctx context.Context, p storage.PersonVersionListParams) ([]storage.PersonRecord, error) {
	q := `SELECT ` + personCols + ` FROM person_version p
		WHERE p.seq = (SELECT MAX(seq) FROM person_version v WHERE v.id = p.id AND v.effective_from = p.effective_from)
		  AND p.effective_from <= ?
		  AND p.effective_from >= COALESCE((SELECT MAX(effective_from) FROM person_version w WHERE w.id = p.id AND w.effective_from <= ?), '')`
	args := []any{p.Span.End.String(), p.Span.Start.String()}
	if p.IDs != nil {
		q += ` AND p.id IN (` + placeholders(len(p.IDs)) + `)`
		args = append(args, strArgs(p.IDs)...)
	}
	rows, err := x.query(ctx, q+` ORDER BY p.id, p.effective_from`, args...)
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
