package imports

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
	"github.com/icomp/icomp/storage"
)

// MBOColumns are the MBO scores import's columns (docs/plans.md §20).
var MBOColumns = []string{"person", "period", "objective", "score"}

// mboScoreMax is the largest score accepted: a score is a fraction (1 =
// met in full), so 90 is almost surely 90% written as a percentage.
var mboScoreMax = decimal.NewFromInt(10)

var objectiveRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// MBOScores imports MBO scores, all or nothing: every row is checked (a
// known person, a canonical period of the company calendar that is not
// closed, an objective name, a score from 0 to 10, each person, period
// and objective once) before any is stored. An identical score is
// unchanged, a different one a new version. It returns the periods whose
// scores were added or changed, sorted.
func MBOScores(ctx context.Context, st storage.Store, r io.Reader, o Options) (storage.ImportCounts, []string, error) {
	probs := &problems{file: o.File}
	rr, err := newRowReader(o.File, o.Format, r, MBOColumns, MBOColumns, probs)
	if err != nil {
		return storage.ImportCounts{}, nil, err
	}
	ids, err := st.PersonIDs(ctx)
	if err != nil {
		return storage.ImportCounts{}, nil, err
	}
	if _, err := periods.Calendar(ctx, st); err != nil {
		return storage.ImportCounts{}, nil, fmt.Errorf("MBO scores are for periods of the company calendar: %w", err)
	}
	objectives, err := publishedObjectives(ctx, st)
	if err != nil {
		return storage.ImportCounts{}, nil, err
	}
	var rows []storage.MBOScore
	first := map[[3]string]int{}
	for {
		rec, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return storage.ImportCounts{}, nil, err
		}
		if rowShapeProblems(rec, probs) {
			continue
		}
		s := storage.MBOScore{Score: facts.Score{Person: rec.get("person"), Objective: rec.get("objective")}, Period: rec.get("period"),
			Source: o.File + ":" + strconv.Itoa(rec.line)}
		if p := checkMBOScore(ctx, st, ids, &s, rec.get("score")); p != nil {
			probs.add(rec.line, p.Field, "%s", p.Reason)
			continue
		}
		if !slices.Contains(objectives, s.Objective) {
			probs.add(rec.line, "objective", "%s", unknownObjective(s.Objective, objectives))
			continue
		}
		k := [3]string{s.Person, s.Period, s.Objective}
		if line, dup := first[k]; dup {
			probs.add(rec.line, "objective", "%s already has a score for %s in %s at line %d", s.Person, s.Objective, s.Period, line)
			continue
		}
		first[k] = rec.line
		rows = append(rows, s)
	}
	if err := probs.err(); err != nil {
		return storage.ImportCounts{}, nil, err
	}
	var counts storage.ImportCounts
	changed := map[string]bool{}
	err = st.InTx(ctx, func(tx storage.Tx) error {
		if err := periods.GuardInputs(ctx, tx, "importing"); err != nil {
			return err
		}
		counts = storage.ImportCounts{}
		for _, s := range rows {
			c, err := tx.MBOScoreUpsertBatch(ctx, []storage.MBOScore{s})
			if err != nil {
				return err
			}
			if c.Inserted+c.Changed > 0 {
				changed[s.Period] = true
			}
			counts.Add(c)
		}
		return nil
	})
	out := make([]string, 0, len(changed))
	for p := range changed {
		out = append(out, p)
	}
	sort.Strings(out)
	return counts, out, err
}

// checkMBOScore validates s, reading its score from text; ids are the
// known people. It returns the first problem, or nil.
func checkMBOScore(ctx context.Context, r storage.PeriodReader, ids map[string]bool, s *storage.MBOScore, score string) *FieldProblem {
	switch {
	case s.Person == "":
		return &FieldProblem{"person", "required"}
	case !ids[s.Person]:
		return &FieldProblem{"person", fmt.Sprintf("no person %s; import people first", echo(s.Person))}
	}
	p, err := periods.Parse(ctx, r, s.Period)
	if err != nil {
		return &FieldProblem{"period", err.Error()}
	}
	if p.Label != s.Period {
		return &FieldProblem{"period", fmt.Sprintf("write the period as %s", p.Label)}
	}
	rec, err := periods.Get(ctx, r, p)
	if err != nil {
		return &FieldProblem{"period", err.Error()}
	}
	if rec.Status == storage.PeriodClosed {
		return &FieldProblem{"period", fmt.Sprintf("%s is closed; its pay is final, so a score for it would never be paid", p.Label)}
	}
	if !objectiveRE.MatchString(s.Objective) {
		if s.Objective == "" {
			return &FieldProblem{"objective", "required: the name of an objective of an mbo component"}
		}
		return &FieldProblem{"objective", fmt.Sprintf("%s is not an objective name (letters, digits, '-', '_' and '.')", echo(s.Objective))}
	}
	d, err := decimal.NewFromString(score)
	if err != nil || strings.ContainsAny(score, "eE") {
		return &FieldProblem{"score", fmt.Sprintf("%s is not a decimal score such as 0.85", echo(score))}
	}
	if d.Sign() < 0 {
		return &FieldProblem{"score", fmt.Sprintf("%s is negative; a score is from 0 (nothing met) up, 1 meaning met in full", score)}
	}
	if d.GreaterThan(mboScoreMax) {
		return &FieldProblem{"score", fmt.Sprintf("%s is above %s; a score is a fraction, 1 meaning met in full: write 90%% as 0.9", score, mboScoreMax)}
	}
	s.Score.Score = d
	return nil
}

// publishedObjectives lists, sorted, the objectives of the mbo components
// of the published comp plans, every version of each (an earlier period
// may run an earlier version: plans.VersionFor).
func publishedObjectives(ctx context.Context, r storage.PlanReader) ([]string, error) {
	latest, err := r.PlanVersionListLatest(ctx, plans.KindCompPlan)
	if err != nil {
		return nil, err
	}
	var vs []storage.PlanVersion
	for _, v := range latest {
		history, err := r.PlanVersionHistory(ctx, v.Name)
		if err != nil {
			return nil, err
		}
		for _, h := range history {
			if h.Kind == plans.KindCompPlan && !slices.ContainsFunc(vs, func(x storage.PlanVersion) bool { return x.Hash == h.Hash }) {
				vs = append(vs, h)
			}
		}
	}
	var out []string
	for _, v := range vs {
		f, diags := plans.Load(v.File, []byte(v.Source))
		if len(diags) > 0 || f.Comp == nil {
			continue
		}
		for _, c := range f.Comp.Components {
			if c.MBO == nil {
				continue
			}
			for _, o := range c.MBO.Objectives {
				if !slices.Contains(out, o.Name) {
					out = append(out, o.Name)
				}
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// unknownObjective says that objective is no published plan's, with a
// suggestion.
func unknownObjective(objective string, known []string) string {
	if len(known) == 0 {
		return fmt.Sprintf("%s: no published comp plan has an mbo component (icomp plan publish)", echo(objective))
	}
	msg := fmt.Sprintf("%s is not an objective of a published comp plan's mbo component", echo(objective))
	if sug := rules.Suggest(objective, known); sug != "" {
		return msg + fmt.Sprintf("; did you mean %q?", sug)
	}
	if len(known) > publishedNamesMax {
		return msg + fmt.Sprintf("; known: %s, ...", strings.Join(known[:publishedNamesMax], ", "))
	}
	return msg + "; known: " + strings.Join(known, ", ")
}
