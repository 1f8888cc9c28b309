package imports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// planNameRE is the plan loader's rule for names.
var planNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// TargetColumns are the targets file's columns: target_plan, measure,
// period, amount and one of person or role are required.
var TargetColumns = []string{"target_plan", "person", "role", "measure", "period", "amount"}

// TargetResult says what a targets import published.
type TargetResult struct {
	// Published holds the target plan versions stored, and Unchanged the
	// ones identical to their latest version.
	Published, Unchanged []storage.PlanVersion
	Rows                 int
}

type targetKey struct{ plan, person, role, measure string }

// Targets imports quotas as target plan versions: the rows of each
// target_plan name become one target plan (in the same YAML a comp admin
// would write, so it is validated like one), published in one transaction.
// A target plan that is already published keeps its targets: the file's
// rows add targets or change them (per person or role, measure and
// period), and the new version holds the rest unchanged; with
// Options.Replace the new version holds the file's rows only.
// The fiscal calendar is that of the comp plan naming the target plan,
// else of its latest version, else a January start.
func Targets(ctx context.Context, st storage.Store, r io.Reader, o Options) (TargetResult, error) {
	var res TargetResult
	probs := &problems{file: o.File}
	rr, err := newRowReader(o.File, o.Format, r, TargetColumns, []string{"target_plan", "measure", "period", "amount"}, probs)
	if err != nil {
		return res, err
	}
	type cell struct {
		amount decimal.Decimal
		line   int
	}
	entries := map[targetKey]map[string]cell{}
	lines := map[targetKey]int{}
	labels := map[string]map[string]int{} // plan → period label → first line
	for {
		rec, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, err
		}
		res.Rows++
		if rowShapeProblems(rec, probs) {
			continue
		}
		before := probs.n
		k := targetKey{rec.get("target_plan"), rec.get("person"), rec.get("role"), rec.get("measure")}
		for _, f := range []struct{ field, value string }{{"target_plan", k.plan}, {"measure", k.measure}} {
			switch {
			case f.value == "":
				probs.add(rec.line, f.field, "required")
			case !planNameRE.MatchString(f.value):
				probs.add(rec.line, f.field, "%s is not a valid name; want letters, digits, '-', '_' or '.', starting with a letter", echo(f.value))
			}
		}
		if (k.person == "") == (k.role == "") {
			probs.add(rec.line, "person", "give exactly one of person or role")
		}
		checkID(rec, "person", false, probs)
		label := rec.get("period")
		if _, err := (period.Calendar{}).Parse(label); err != nil {
			probs.add(rec.line, "period", "%v", err)
		}
		v := rec.get("amount")
		var amount decimal.Decimal
		if m := exponentProblem(v, "250000"); m != "" {
			probs.add(rec.line, "amount", "%s", m)
		} else if amount, err = decimal.NewFromString(v); err != nil {
			probs.add(rec.line, "amount", "%s is not a decimal amount such as 250000", echo(v))
		} else if amount.Sign() < 0 {
			probs.add(rec.line, "amount", "a target cannot be negative")
		}
		if probs.n > before {
			continue
		}
		if entries[k] == nil {
			entries[k] = map[string]cell{}
			lines[k] = rec.line
		}
		if prev, dup := entries[k][label]; dup {
			probs.add(rec.line, "period", "%s already has a target for this person/role and measure on line %d", label, prev.line)
			continue
		}
		entries[k][label] = cell{amount, rec.line}
		if labels[k.plan] == nil {
			labels[k.plan] = map[string]int{}
		}
		if _, ok := labels[k.plan][label]; !ok {
			labels[k.plan][label] = rec.line
		}
	}
	if err := probs.err(); err != nil {
		return res, err
	}
	byPlan := map[string][]targetKey{}
	for k := range entries {
		byPlan[k.plan] = append(byPlan[k.plan], k)
	}
	names := make([]string, 0, len(byPlan))
	for n := range byPlan {
		names = append(names, n)
	}
	sort.Strings(names)
	err = st.InTx(ctx, func(tx storage.Tx) error {
		if err := periods.GuardInputs(ctx, tx, "importing"); err != nil {
			return err
		}
		for _, name := range names {
			keys := byPlan[name]
			sort.Slice(keys, func(i, j int) bool { return lines[keys[i]] < lines[keys[j]] })
			cal, err := targetCalendar(ctx, tx, name)
			if err != nil {
				return err
			}
			freq, err := frequencyOf(labels[name], cal, probs)
			if err != nil {
				return err
			}
			var prev []plans.TargetEntry
			if !o.Replace {
				if prev, err = previousTargets(ctx, tx, name, freq, labels[name], probs); err != nil {
					return err
				}
			}
			doc := targetPlanDoc{Kind: plans.KindTargetPlan, Name: name, Period: string(freq), FiscalYearStart: cal.FiscalYearStartMonth}
			// The published version's entries come first, in their order,
			// each with the file's targets laid over its own; then the
			// file's new entries, in file order.
			type merged struct {
				key     targetKey
				periods map[string]decimal.Decimal
			}
			var all []merged
			index := map[targetKey]int{}
			for _, e := range prev {
				k := targetKey{name, e.Person, e.Role, e.Measure}
				m := merged{key: k, periods: map[string]decimal.Decimal{}}
				for _, pt := range e.Periods {
					m.periods[pt.Period.Label] = pt.Amount
				}
				index[k] = len(all)
				all = append(all, m)
			}
			for _, k := range keys {
				i, ok := index[k]
				if !ok {
					i = len(all)
					index[k] = i
					all = append(all, merged{key: k, periods: map[string]decimal.Decimal{}})
				}
				for l, c := range entries[k] {
					all[i].periods[l] = c.amount
				}
			}
			for _, m := range all {
				k := m.key
				e := targetEntryDoc{Person: k.person, Role: k.role, Measure: k.measure, Periods: yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}}
				ls := make([]string, 0, len(m.periods))
				for l := range m.periods {
					ls = append(ls, l)
				}
				sort.Strings(ls)
				for _, l := range ls {
					e.Periods.Content = append(e.Periods.Content,
						&yaml.Node{Kind: yaml.ScalarNode, Value: l},
						&yaml.Node{Kind: yaml.ScalarNode, Value: m.periods[l].String()})
				}
				doc.Targets = append(doc.Targets, e)
			}
			// The version label is the content's own hash, so the same
			// rows always make the same version.
			body, err := yaml.Marshal(doc)
			if err != nil {
				return err
			}
			doc.Version = "import-" + plans.HashSource(body)[:12]
			src, err := yaml.Marshal(doc)
			if err != nil {
				return err
			}
			src = append([]byte("# Imported from "+o.File+" by icomp import targets.\n"), src...)
			f, diags := plans.Load(o.File+"#"+name, src)
			if len(diags) > 0 {
				return fmt.Errorf("target plan %s from %s does not validate:\n%w", name, o.File, diags)
			}
			v := storage.PlanVersion{Hash: f.Target.Hash, Kind: plans.KindTargetPlan, Name: name, Version: doc.Version, File: o.File, Source: string(src)}
			inserted, err := tx.PlanVersionInsert(ctx, v)
			if err != nil {
				return err
			}
			if inserted {
				res.Published = append(res.Published, v)
			} else {
				res.Unchanged = append(res.Unchanged, v)
			}
		}
		return nil
	})
	var ie *Error
	if errors.As(err, &ie) {
		return TargetResult{}, err
	}
	if err != nil {
		return TargetResult{}, err
	}
	return res, nil
}

type targetPlanDoc struct {
	Kind            string           `yaml:"kind"`
	Name            string           `yaml:"name"`
	Version         string           `yaml:"version"`
	Period          string           `yaml:"period"`
	FiscalYearStart int              `yaml:"fiscal_year_start"`
	Targets         []targetEntryDoc `yaml:"targets"`
}

type targetEntryDoc struct {
	Person  string    `yaml:"person,omitempty"`
	Role    string    `yaml:"role,omitempty"`
	Measure string    `yaml:"measure"`
	Periods yaml.Node `yaml:"periods"`
}

// previousTargets returns the entries of the latest published version of
// target plan name, which the file's targets are merged into; none when
// the plan was never published. A published version of another frequency
// than the file's is a problem at the file's first row of the plan: its
// targets cannot be merged, only replaced (Options.Replace).
func previousTargets(ctx context.Context, r storage.Reader, name string, freq period.Frequency, labels map[string]int, probs *problems) ([]plans.TargetEntry, error) {
	v, err := r.PlanVersionLatest(ctx, plans.KindTargetPlan, name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f, diags := plans.Load(v.File, []byte(v.Source))
	if len(diags) > 0 || f.Target == nil {
		return nil, fmt.Errorf("published target plan %s version %s does not load, so the file's targets cannot be merged into it (import with --replace to replace it):\n%w", name, v.Version, diags)
	}
	if f.Target.Frequency != freq {
		first, line := "", 0
		for l, n := range labels {
			if line == 0 || n < line {
				first, line = l, n
			}
		}
		probs.add(line, "period", "%s is a %s period, but the published target plan %s (version %s) is %s; its targets cannot be merged with these (import with --replace to replace them)",
			first, freq, name, v.Version, f.Target.Frequency)
		return nil, probs.err()
	}
	return f.Target.Entries, nil
}

// targetCalendar finds the fiscal calendar of target plan name.
func targetCalendar(ctx context.Context, r storage.Reader, name string) (period.Calendar, error) {
	comps, err := r.PlanVersionListLatest(ctx, plans.KindCompPlan)
	if err != nil {
		return period.Calendar{}, err
	}
	for _, v := range comps {
		f, diags := plans.Load(v.File, []byte(v.Source))
		if len(diags) == 0 && f.Comp != nil && f.Comp.Targets == name {
			return f.Comp.Calendar, nil
		}
	}
	v, err := r.PlanVersionLatest(ctx, plans.KindTargetPlan, name)
	if err == nil {
		if f, diags := plans.Load(v.File, []byte(v.Source)); len(diags) == 0 && f.Target != nil {
			return f.Target.Calendar, nil
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return period.Calendar{}, err
	}
	return period.Calendar{FiscalYearStartMonth: 1}, nil
}

// frequencyOf checks that a target plan's period labels share one frequency.
func frequencyOf(labels map[string]int, cal period.Calendar, probs *problems) (period.Frequency, error) {
	var freq period.Frequency
	var firstLabel string
	sorted := make([]string, 0, len(labels))
	for l := range labels {
		sorted = append(sorted, l)
	}
	sort.Slice(sorted, func(i, j int) bool { return labels[sorted[i]] < labels[sorted[j]] })
	for _, l := range sorted {
		p, err := cal.Parse(l)
		if err != nil {
			probs.add(labels[l], "period", "%v", err)
			continue
		}
		if freq == "" {
			freq, firstLabel = p.Frequency, l
		} else if p.Frequency != freq {
			probs.add(labels[l], "period", "%s is a %s period, but %s (line %d) is %s: one target plan has one frequency", l, p.Frequency, firstLabel, labels[firstLabel], freq)
		}
	}
	return freq, probs.err()
}
