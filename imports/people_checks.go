package imports

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
	"github.com/icomp/icomp/storage"
)

// personIn is a people row on its way in.
type personIn struct {
	storage.PersonRecord
	// given holds the columns (fields) the row has; attrCols the
	// attributes.
	given    map[string]bool
	attrCols []string
	// stored says the person was stored before the import.
	stored bool
	// unchanged says the row, with the columns it lacks filled in,
	// equals the person's stored version (for a row with effective_from,
	// the version stored with that very effective date): nothing is
	// written, and no computed period is marked for it.
	unchanged bool
	// base is the stored version the row's missing columns came from
	// (stored rows only).
	base storage.PersonRecord
}

// since is the first day the row can change pay from: its effective
// date, or an earlier hire or termination date it sets or moves (a new
// person's hire date, when given).
func (in *personIn) since() period.Date {
	if !in.stored {
		if !in.HireDate.IsZero() {
			return in.HireDate
		}
		return in.EffectiveFrom
	}
	d := in.EffectiveFrom
	earlier := func(a, b period.Date) {
		for _, x := range []period.Date{a, b} {
			if !x.IsZero() && x.Before(d) {
				d = x
			}
		}
	}
	if in.HireDate != in.base.HireDate {
		earlier(in.HireDate, in.base.HireDate)
	}
	if in.TerminationDate != in.base.TerminationDate {
		earlier(in.TerminationDate, in.base.TerminationDate)
	}
	return d
}

// publishedPlans are the latest versions of the published comp plans, by
// name, with their currencies.
type publishedPlans struct {
	names []string // sorted
}

func publishedCompPlans(ctx context.Context, r storage.Reader) (publishedPlans, error) {
	vs, err := r.PlanVersionListLatest(ctx, plans.KindCompPlan)
	if err != nil {
		return publishedPlans{}, err
	}
	var pp publishedPlans
	for _, v := range vs {
		pp.names = append(pp.names, v.Name)
	}
	sort.Strings(pp.names)
	return pp, nil
}

// publishedNamesMax bounds how many published plan names a problem lists.
const publishedNamesMax = 10

// check reports each of names that is not a published comp plan, at line,
// with a suggestion; it returns false when there is one.
func (pp publishedPlans) check(line int, names []string, probs *problems) bool {
	ok := true
	for _, n := range names {
		if slices.Contains(pp.names, n) {
			continue
		}
		ok = false
		if len(pp.names) == 0 {
			probs.add(line, "plans", "comp plan %s is not published; no comp plan is published yet (icomp plan publish)", echo(n))
			continue
		}
		msg := fmt.Sprintf("comp plan %s is not published", echo(n))
		if s := rules.Suggest(n, pp.names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		list := pp.names
		more := ""
		if len(list) > publishedNamesMax {
			list, more = list[:publishedNamesMax], fmt.Sprintf(" and %d more", len(pp.names)-publishedNamesMax)
		}
		probs.add(line, "plans", "%s; published comp plans: %s%s", msg, strings.Join(list, ", "), more)
	}
	return ok
}

// latestDay is a day after every effective date: the people as of it are
// everyone's latest versions.
var latestDay = period.MustDate("9999-12-31")

// resolvePeople gives each row of a stored person the columns it lacks,
// from the person's version in effect on the row's effective_from (or,
// when none is, their latest version), and an effective_from when it has
// none: today, or for a new person the start of time. It marks rows that
// change nothing, and reports rows of new people without a name and rows
// that repeat a person and effective date.
func resolvePeople(ctx context.Context, r storage.Reader, rows []personIn, today period.Date, probs *problems) error {
	stored, err := r.PersonIDs(ctx)
	if err != nil {
		return err
	}
	// Stored versions are looked up by day, one query per distinct day.
	byDay := map[period.Date][]string{}
	for i := range rows {
		in := &rows[i]
		in.stored = stored[in.ID]
		if !in.stored {
			continue
		}
		day := in.EffectiveFrom
		if day.IsZero() {
			day = today
		}
		if day.IsZero() {
			day = latestDay
		}
		byDay[day] = append(byDay[day], in.ID)
	}
	bases := map[period.Date]map[string]storage.PersonRecord{}
	var missing []string
	days := slices.SortedFunc(maps.Keys(byDay), func(a, b period.Date) int { return a.Time().Compare(b.Time()) })
	for _, day := range days {
		got, err := personMap(ctx, r, day, byDay[day])
		if err != nil {
			return err
		}
		bases[day] = got
		for _, id := range byDay[day] {
			if _, ok := got[id]; !ok {
				missing = append(missing, id)
			}
		}
	}
	// A person whose versions all start after the row's day: their latest.
	latest, err := personMap(ctx, r, latestDay, missing)
	if err != nil {
		return err
	}
	seen := map[string]int{}
	for i := range rows {
		in := &rows[i]
		if in.stored {
			day := in.EffectiveFrom
			if day.IsZero() {
				day = today
			}
			if day.IsZero() {
				day = latestDay
			}
			base, ok := bases[day][in.ID]
			if !ok {
				base = latest[in.ID]
			}
			in.fillFrom(base)
			in.base = base
			if !in.HireDate.IsZero() && !in.TerminationDate.IsZero() && in.TerminationDate.Before(in.HireDate) && (in.given["hire_date"] || in.given["termination_date"]) {
				field, other := "termination_date", "hire_date"
				if !in.given["termination_date"] {
					field, other = "hire_date", "termination_date"
				}
				probs.add(in.Line, field, "%s %s and %s %s (stored): termination_date is before hire_date", field, in.dateOf(field), other, in.dateOf(other))
			}
			if in.EffectiveFrom.IsZero() {
				in.unchanged = samePerson(in.PersonRecord, base)
				in.EffectiveFrom = today
				if today.IsZero() {
					in.EffectiveFrom = base.EffectiveFrom
				}
			} else {
				// The version stored for that very day again (a file
				// imported twice): nothing changes from that day on.
				in.unchanged = in.EffectiveFrom == base.EffectiveFrom && samePerson(in.PersonRecord, base)
			}
		} else {
			if in.Name == "" {
				probs.add(in.Line, "name", "required for a person not imported before")
			}
			if in.EffectiveFrom.IsZero() {
				in.EffectiveFrom = defaultEffectiveFrom
			}
		}
		key := in.ID + "\x00" + in.EffectiveFrom.String()
		if first, dup := seen[key]; dup {
			probs.add(in.Line, "id", "person %s with effective_from %s already appears on line %d", in.ID, in.EffectiveFrom, first)
		}
		seen[key] = in.Line
	}
	return probs.err()
}

// personMap returns the stored versions in effect on day of the people
// ids, by id.
func personMap(ctx context.Context, r storage.Reader, day period.Date, ids []string) (map[string]storage.PersonRecord, error) {
	out := map[string]storage.PersonRecord{}
	for len(ids) > 0 {
		n := min(len(ids), chunkRows)
		got, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: day, IDs: ids[:n]})
		if err != nil {
			return nil, err
		}
		for _, p := range got {
			out[p.ID] = p
		}
		ids = ids[n:]
	}
	return out, nil
}

func (in *personIn) dateOf(field string) period.Date {
	if field == "hire_date" {
		return in.HireDate
	}
	return in.TerminationDate
}

// fillFrom sets the columns the row lacks to base's values.
func (in *personIn) fillFrom(base storage.PersonRecord) {
	p := &in.PersonRecord
	for _, f := range []struct {
		col       string
		dst       *string
		baseValue string
	}{
		{"name", &p.Name, base.Name}, {"role", &p.Role, base.Role}, {"territory", &p.Territory, base.Territory},
		{"manager", &p.Manager, base.Manager}, {"currency", &p.Currency, base.Currency},
	} {
		if !in.given[f.col] {
			*f.dst = f.baseValue
		}
	}
	if !in.given["hire_date"] {
		p.HireDate = base.HireDate
	}
	if !in.given["termination_date"] {
		p.TerminationDate = base.TerminationDate
	}
	if !in.given["plans"] {
		p.Plans = base.Plans
	}
	attrs := maps.Clone(base.Attrs)
	for _, k := range in.attrCols {
		if v, ok := p.Attrs[k]; ok {
			if attrs == nil {
				attrs = map[string]string{}
			}
			attrs[k] = v
		} else {
			delete(attrs, k)
		}
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	p.Attrs = attrs
}

// samePerson reports whether a and b are the same but for their
// effective dates.
func samePerson(a, b storage.PersonRecord) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Role == b.Role && a.Territory == b.Territory && a.Manager == b.Manager &&
		a.Currency == b.Currency && a.HireDate == b.HireDate && a.TerminationDate == b.TerminationDate &&
		slices.Equal(a.Plans, b.Plans) && maps.Equal(a.Attrs, b.Attrs)
}

// suggestIDsMax bounds the people a manager's did-you-mean compares with.
const suggestIDsMax = 5000

// checkPeople reports managers who are neither in the file nor stored,
// and manager cycles.
func checkPeople(ctx context.Context, r storage.Reader, rows []personIn, published publishedPlans, probs *problems) error {
	stored, err := r.PersonIDs(ctx)
	if err != nil {
		return err
	}
	inFile := map[string]bool{}
	for _, in := range rows {
		inFile[in.ID] = true
	}
	var known []string
	for _, in := range rows {
		if in.Manager == "" || inFile[in.Manager] || stored[in.Manager] {
			continue
		}
		msg := fmt.Sprintf("unknown person %s: neither in this file nor imported before", echo(in.Manager))
		if known == nil {
			known = slices.Sorted(maps.Keys(inFile))
			for id := range stored {
				if !inFile[id] {
					known = append(known, id)
				}
			}
		}
		if len(known) <= suggestIDsMax {
			if s := rules.Suggest(in.Manager, known); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
		}
		probs.add(in.Line, "manager", "%s", msg)
	}
	// A person may be paid in another currency than their plans': their
	// payable lines are converted at settlement (docs/plans.md §18).
	if probs.n > 0 {
		return probs.err()
	}
	if err := checkManagerCycles(ctx, r, rows, probs); err != nil {
		return err
	}
	if err := checkPayrollIDs(ctx, r, stored, rows, probs); err != nil {
		return err
	}
	return probs.err()
}

// payrollIDAttr is the person attribute payroll files key people by
// (reports.ExportPayroll): two people may not share one.
const payrollIDAttr = "payroll_id"

// checkPayrollIDs reports a row whose payroll_id another person has, in
// the file or stored (their latest version): the payroll file would pay
// both people's amounts to one employee.
func checkPayrollIDs(ctx context.Context, r storage.Reader, stored map[string]bool, rows []personIn, probs *problems) error {
	type holder struct {
		id   string
		line int // 0: stored
	}
	byPayrollID := map[string]holder{}
	inFile := map[string]bool{}
	for _, in := range rows {
		inFile[in.ID] = true
	}
	var others []string
	for id := range stored {
		if !inFile[id] {
			others = append(others, id)
		}
	}
	slices.Sort(others)
	latest, err := personMap(ctx, r, latestDay, others)
	if err != nil {
		return err
	}
	for _, id := range others {
		if v := latest[id].Attrs[payrollIDAttr]; v != "" {
			byPayrollID[v] = holder{id: id}
		}
	}
	for _, in := range rows {
		v := in.Attrs[payrollIDAttr]
		if v == "" {
			continue
		}
		h, ok := byPayrollID[v]
		switch {
		case !ok:
			byPayrollID[v] = holder{id: in.ID, line: in.Line}
		case h.id == in.ID:
		case h.line == 0:
			probs.add(in.Line, "attr."+payrollIDAttr, "%s is already %s's payroll id: a payroll file would pay both people to one employee", echo(v), echo(h.id))
		default:
			probs.add(in.Line, "attr."+payrollIDAttr, "%s is also %s's payroll id (line %d): a payroll file would pay both people to one employee", echo(v), echo(h.id), h.line)
		}
	}
	return nil
}

// checkManagerCycles reports each manager cycle that a row of the file
// takes part in, on the day the row starts and among everyone's latest
// versions, stored people included: on each such day, every person's
// manager is that of their file row in effect then, else of their stored
// version in effect then. A cycle is reported once, on the first line of
// the file that takes part in it.
func checkManagerCycles(ctx context.Context, r storage.Reader, rows []personIn, probs *problems) error {
	daySet := map[period.Date]bool{latestDay: true}
	for _, in := range rows {
		daySet[in.EffectiveFrom] = true
	}
	days := slices.SortedFunc(maps.Keys(daySet), func(a, b period.Date) int { return a.Time().Compare(b.Time()) })
	// Each person's file rows, by effective date.
	byPerson := map[string][]int{}
	for i, in := range rows {
		byPerson[in.ID] = append(byPerson[in.ID], i)
	}
	for _, idx := range byPerson {
		sort.Slice(idx, func(a, b int) bool { return rows[idx[a]].EffectiveFrom.Before(rows[idx[b]].EffectiveFrom) })
	}
	reported := map[string]bool{}
	for _, day := range days {
		storedNow, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: day})
		if err != nil {
			return err
		}
		manager := map[string]string{}
		line := map[string]int{} // person → line of their file row in effect
		for _, p := range storedNow {
			manager[p.ID] = p.Manager
		}
		for id, idx := range byPerson {
			for _, i := range idx {
				if rows[i].EffectiveFrom.After(day) {
					break
				}
				manager[id] = rows[i].Manager
				line[id] = rows[i].Line
			}
		}
		for _, cycle := range managerCycles(manager) {
			first := 0
			for _, id := range cycle {
				if l, ok := line[id]; ok && (first == 0 || l < first) {
					first = l
				}
			}
			key := canonicalCycle(cycle)
			if first == 0 || reported[key] {
				continue
			}
			reported[key] = true
			// Start the cycle at the person on the reported line.
			for i, id := range cycle {
				if line[id] == first {
					cycle = append(cycle[i:], cycle[:i]...)
					break
				}
			}
			when := "as of " + day.String()
			if day == latestDay {
				when = "in the latest versions"
			}
			probs.add(first, "manager", "manager cycle %s → %s (%s)", strings.Join(cycle, " → "), cycle[0], when)
		}
	}
	return nil
}

// managerCycles returns the cycles of the manager graph, each as the
// people on it in manager order, in a deterministic order.
func managerCycles(manager map[string]string) [][]string {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var cycles [][]string
	for _, start := range slices.Sorted(maps.Keys(manager)) {
		if state[start] != unseen {
			continue
		}
		var path []string
		id := start
		for id != "" && state[id] == unseen {
			state[id] = onPath
			path = append(path, id)
			id = manager[id]
		}
		if id != "" && state[id] == onPath {
			i := slices.Index(path, id)
			cycles = append(cycles, slices.Clone(path[i:]))
		}
		for _, p := range path {
			state[p] = done
		}
	}
	return cycles
}

// canonicalCycle names a cycle whatever person it starts at.
func canonicalCycle(cycle []string) string {
	i := slices.Index(cycle, slices.Min(cycle))
	return strings.Join(append(slices.Clone(cycle[i:]), cycle[:i]...), "\x00")
}
