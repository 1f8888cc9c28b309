package imports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
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
	// latest versions the file changes nothing in.
	Published, Unchanged []storage.PlanVersion
	// Rerun[i] lists the calculated or approved periods that publishing
	// Published[i] sent back for a re-run, as icomp plan publish does
	// (periods.MarkPublished).
	Rerun [][]string
	// Closed[i] lists the closed periods Published[i] may change.
	Closed [][]string
	Rows   int
}

type targetKey struct{ plan, person, role, measure string }

// targetRow is a checked row of a targets file.
type targetRow struct {
	line   int
	key    targetKey
	label  string
	amount decimal.Decimal
}

// Targets imports quotas as target plan versions: the rows of each
// target_plan name become one target plan version (YAML a comp admin
// could have written, validated like one), published in one transaction.
// A target plan that is already published keeps everything it has (its
// proration, description, each entry's ramp, the other targets): the
// file's rows add targets or change them (per person or role, measure
// and period) and nothing else changes; with Options.Replace the new
// version holds the file's targets only, still with the published
// version's settings and the ramps of the entries the file gives again.
// A file that changes nothing publishes nothing.
//
// Rows that could never apply are refused: an unknown person, a role no
// person has, a target plan that no published comp plan reads and that
// is not published itself, a measure no comp plan reading the target
// plan has, an amount with more decimal places than those comp plans'
// currency. Publishing marks periods for a re-run as icomp plan publish
// does.
//
// The fiscal calendar of a new target plan is that of the comp plan
// naming it, else a January start.
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
	var rows []targetRow
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
		rows = append(rows, targetRow{line: rec.line, key: k, label: label, amount: amount})
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
		w, err := loadTargetWorld(ctx, tx)
		if err != nil {
			return err
		}
		for _, row := range rows {
			w.check(row, probs)
		}
		if err := probs.err(); err != nil {
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
			prevV, prev, err := previousTargets(ctx, tx, name, freq, labels[name], o.Replace, probs)
			if err != nil {
				return err
			}
			file := make([]fileEntry, 0, len(keys))
			for _, k := range keys {
				fe := fileEntry{key: k, periods: map[string]decimal.Decimal{}}
				for l, c := range entries[k] {
					fe.periods[l] = c.amount
				}
				file = append(file, fe)
			}
			var base []byte
			if prev != nil {
				base = prev.Source
			} else {
				doc := targetPlanDoc{Kind: plans.KindTargetPlan, Name: name, Period: string(freq), FiscalYearStart: cal.FiscalYearStartMonth, Targets: []targetEntryDoc{}}
				if base, err = yaml.Marshal(doc); err != nil {
					return err
				}
			}
			src, label, err := mergeTargets(base, prev, freq, file, o.Replace, o.File)
			if err != nil {
				return fmt.Errorf("target plan %s: %w", name, err)
			}
			f, diags := plans.Load(o.File+"#"+name, src)
			if len(diags) > 0 {
				return fmt.Errorf("target plan %s from %s does not validate:\n%w", name, o.File, diags)
			}
			if prev != nil {
				if sameTargets(prev, f.Target) {
					res.Unchanged = append(res.Unchanged, prevV)
					continue
				}
				if err := keepsSettings(prev, f.Target, o.Replace); err != nil {
					return fmt.Errorf("target plan %s: the new version would not keep what published version %s has (%v); nothing was imported", name, prev.Version, err)
				}
			}
			v := storage.PlanVersion{Hash: f.Target.Hash, Kind: plans.KindTargetPlan, Name: name, Version: label, File: o.File, Source: string(src)}
			inserted, err := tx.PlanVersionInsert(ctx, v)
			if err != nil {
				return err
			}
			if !inserted {
				res.Unchanged = append(res.Unchanged, v)
				continue
			}
			marked, closed, err := periods.MarkPublished(ctx, tx, f)
			if err != nil {
				return err
			}
			res.Published = append(res.Published, v)
			res.Rerun = append(res.Rerun, marked)
			res.Closed = append(res.Closed, closed)
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

// targetPlanDoc is the start of a target plan the file's rows are the
// first targets of.
type targetPlanDoc struct {
	Kind            string           `yaml:"kind"`
	Name            string           `yaml:"name"`
	Version         string           `yaml:"version"`
	Period          string           `yaml:"period"`
	FiscalYearStart int              `yaml:"fiscal_year_start"`
	Targets         []targetEntryDoc `yaml:"targets"`
}

type targetEntryDoc struct {
	Person  string `yaml:"person,omitempty"`
	Role    string `yaml:"role,omitempty"`
	Measure string `yaml:"measure"`
}

// fileEntry is the file's targets of one person or role and measure, in
// the order of their first row.
type fileEntry struct {
	key     targetKey
	periods map[string]decimal.Decimal
}

// importHeader is the comment heading an imported target plan version.
const importHeaderSuffix = " by icomp import targets."

// mergeTargets returns the source of the new version of a target plan
// and its version label: base (the published version's source, prev its
// loaded form; or a new plan without targets, prev nil) edited in its
// YAML tree, so that every key the file does not speak to stays as it
// was: the plan's settings, each entry's ramp, the comments. The file's
// targets are laid over the entries they name (an entry written with
// annual and seasonality is written out per period first, to the same
// amounts), and entries the file adds come last, in file order. With
// replace, only the file's entries are kept, each with the file's
// periods only.
func mergeTargets(base []byte, prev *plans.TargetPlan, freq period.Frequency, file []fileEntry, replace bool, fileName string) ([]byte, string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(base, &doc); err != nil {
		return nil, "", err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, "", errors.New("the published version is not a YAML mapping")
	}
	root := doc.Content[0]
	stripImportHeader(&doc)
	setScalar(root, "period", string(freq))
	targets := mapValue(root, "targets")
	if targets == nil || targets.Kind != yaml.SequenceNode {
		return nil, "", errors.New("the published version has no targets list")
	}
	targets.Style = 0
	if prev != nil && len(prev.Entries) != len(targets.Content) {
		return nil, "", fmt.Errorf("the published version has %d targets but loads %d", len(targets.Content), len(prev.Entries))
	}
	index := map[targetKey]int{}
	if prev != nil {
		for i, pe := range prev.Entries {
			index[targetKey{"", pe.Person, pe.Role, pe.Measure}] = i
		}
	}
	inFile := map[int]bool{}
	var added []*yaml.Node
	for _, fe := range file {
		k := targetKey{"", fe.key.person, fe.key.role, fe.key.measure}
		i, ok := index[k]
		if !ok {
			e := &yaml.Node{Kind: yaml.MappingNode}
			if k.person != "" {
				e.Content = append(e.Content, yamlString("person"), yamlString(k.person))
			} else {
				e.Content = append(e.Content, yamlString("role"), yamlString(k.role))
			}
			e.Content = append(e.Content, yamlString("measure"), yamlString(k.measure), yamlString("periods"), periodsNode(fe.periods))
			added = append(added, e)
			continue
		}
		inFile[i] = true
		e := targets.Content[i]
		ps := map[string]decimal.Decimal{}
		if !replace {
			for _, pt := range prev.Entries[i].Periods {
				ps[pt.Period.Label] = pt.Amount
			}
		}
		for l, a := range fe.periods {
			ps[l] = a
		}
		// Drop the annual form (annual, fiscal_year, seasonality) and
		// write the periods where the targets were.
		at := -1
		for j := 0; j+1 < len(e.Content); j += 2 {
			switch e.Content[j].Value {
			case "periods", "annual":
				if at < 0 {
					at = j
				}
			}
		}
		pn := periodsNode(ps)
		if old := mapValue(e, "periods"); old != nil && old.Kind == yaml.MappingNode {
			pn.Style = old.Style
		}
		var content []*yaml.Node
		for j := 0; j+1 < len(e.Content); j += 2 {
			switch key := e.Content[j].Value; {
			case j == at:
				content = append(content, yamlString("periods"), pn)
			case key == "periods" || key == "annual" || key == "fiscal_year" || key == "seasonality":
			default:
				content = append(content, e.Content[j], e.Content[j+1])
			}
		}
		if at < 0 {
			content = append(content, yamlString("periods"), pn)
		}
		e.Content = content
	}
	var kept []*yaml.Node
	for i, e := range targets.Content {
		if !replace || inFile[i] {
			kept = append(kept, e)
		}
	}
	targets.Content = append(kept, added...)
	// The version label is the content's own hash, so the same targets
	// always make the same version.
	setScalar(root, "version", "")
	body, err := marshalYAML(&doc)
	if err != nil {
		return nil, "", err
	}
	label := "import-" + plans.HashSource(body)[:12]
	setScalar(root, "version", label)
	src, err := marshalYAML(&doc)
	if err != nil {
		return nil, "", err
	}
	return append([]byte("# Imported from "+fileName+importHeaderSuffix+"\n"), src...), label, nil
}

// marshalYAML writes doc indented by two spaces, as plans are written.
func marshalYAML(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// stripImportHeader removes the comment an earlier import put at the top.
func stripImportHeader(doc *yaml.Node) {
	strip := func(c *string) {
		var keep []string
		for _, l := range strings.Split(*c, "\n") {
			if !(strings.HasPrefix(l, "# Imported from ") && strings.HasSuffix(l, importHeaderSuffix)) {
				keep = append(keep, l)
			}
		}
		*c = strings.TrimLeft(strings.Join(keep, "\n"), "\n")
	}
	strip(&doc.HeadComment)
	root := doc.Content[0]
	strip(&root.HeadComment)
	if len(root.Content) > 0 {
		strip(&root.Content[0].HeadComment)
	}
}

func yamlString(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

// periodsNode is a flow mapping of period label to target, by label.
func periodsNode(ps map[string]decimal.Decimal) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	ls := make([]string, 0, len(ps))
	for l := range ps {
		ls = append(ls, l)
	}
	sort.Strings(ls) // canonical labels of one frequency sort in time order
	for _, l := range ls {
		n.Content = append(n.Content, yamlString(l), &yaml.Node{Kind: yaml.ScalarNode, Value: ps[l].String()})
	}
	return n
}

// mapValue is the value of key in mapping m, nil when there is none.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			return m.Content[j+1]
		}
	}
	return nil
}

// setScalar sets key in mapping m to the string v, adding it if missing.
func setScalar(m *yaml.Node, key, v string) {
	if n := mapValue(m, key); n != nil {
		n.Kind, n.Tag, n.Style, n.Value, n.Content = yaml.ScalarNode, "!!str", 0, v, nil
		return
	}
	m.Content = append(m.Content, yamlString(key), yamlString(v))
}

// sameTargets reports whether b holds the same targets and settings as a.
func sameTargets(a, b *plans.TargetPlan) bool {
	if !reflect.DeepEqual(targetSettings(a), targetSettings(b)) || len(a.Entries) != len(b.Entries) {
		return false
	}
	for i := range a.Entries {
		x, y := a.Entries[i], b.Entries[i]
		if !reflect.DeepEqual(entrySettings(x), entrySettings(y)) || len(x.Periods) != len(y.Periods) {
			return false
		}
		for j := range x.Periods {
			if x.Periods[j].Period.Label != y.Periods[j].Period.Label || !x.Periods[j].Amount.Equal(y.Periods[j].Amount) {
				return false
			}
		}
	}
	return true
}

// keepsSettings checks that the new version next keeps what the
// published version prev has besides targets: the plan's settings and,
// for each entry next still has, everything but its periods. It guards
// against a key of the target plan format the merge would drop.
func keepsSettings(prev, next *plans.TargetPlan, replace bool) error {
	a, b := targetSettings(prev), targetSettings(next)
	if replace {
		a.Frequency = b.Frequency
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("plan settings differ: %+v, now %+v", a, b)
	}
	old := map[targetKey]plans.TargetEntry{}
	for _, e := range prev.Entries {
		old[targetKey{"", e.Person, e.Role, e.Measure}] = entrySettings(e)
	}
	for _, e := range next.Entries {
		if o, ok := old[targetKey{"", e.Person, e.Role, e.Measure}]; ok && !reflect.DeepEqual(o, entrySettings(e)) {
			return fmt.Errorf("entry %s%s %s differs: %+v, now %+v", e.Person, e.Role, e.Measure, o, entrySettings(e))
		}
	}
	return nil
}

// targetSettings is t without its targets and what names the version.
func targetSettings(t *plans.TargetPlan) plans.TargetPlan {
	c := *t
	c.File, c.Version, c.Hash, c.Source, c.Entries = "", "", "", nil, nil
	return c
}

// entrySettings is e without its periods and position.
func entrySettings(e plans.TargetEntry) plans.TargetEntry {
	e.Pos, e.Periods = plans.Pos{}, nil
	return e
}

// previousTargets returns the latest published version of target plan
// name, loaded, which the file's targets are merged into; none when the
// plan was never published. A published version of another frequency
// than the file's is a problem at the file's first row of the plan: its
// targets cannot be merged, only replaced. With replace, a published
// version that does not load is replaced as if there were none.
func previousTargets(ctx context.Context, r storage.Reader, name string, freq period.Frequency, labels map[string]int, replace bool, probs *problems) (storage.PlanVersion, *plans.TargetPlan, error) {
	v, err := r.PlanVersionLatest(ctx, plans.KindTargetPlan, name)
	if errors.Is(err, storage.ErrNotFound) {
		return v, nil, nil
	}
	if err != nil {
		return v, nil, err
	}
	f, diags := plans.Load(v.File, []byte(v.Source))
	if len(diags) > 0 || f.Target == nil {
		if replace {
			return v, nil, nil
		}
		return v, nil, fmt.Errorf("published target plan %s version %s does not load, so the file's targets cannot be merged into it (import with --replace to replace it):\n%w", name, v.Version, diags)
	}
	if f.Target.Frequency != freq && !replace {
		first, line := "", 0
		for l, n := range labels {
			if line == 0 || n < line {
				first, line = l, n
			}
		}
		probs.add(line, "period", "%s is a %s period, but the published target plan %s (version %s) is %s; its targets cannot be merged with these (import with --replace to replace them)",
			first, freq, name, v.Version, f.Target.Frequency)
		return v, nil, probs.err()
	}
	return v, f.Target, nil
}

// targetWorld is what a targets file's rows are checked against: the
// people, the roles they have had, the published target plans and the
// comp plans reading each.
type targetWorld struct {
	people    map[string]bool
	roles     map[string]bool
	published map[string]bool
	// readers lists, per target plan name, every published version of a
	// comp plan that reads it (targets:), older versions included: they
	// still compute the periods before a newer one takes effect.
	readers map[string][]*plans.CompPlan
	// names are the target plan names known: published or read.
	names []string
}

func loadTargetWorld(ctx context.Context, r storage.Reader) (*targetWorld, error) {
	w := &targetWorld{roles: map[string]bool{}, published: map[string]bool{}, readers: map[string][]*plans.CompPlan{}}
	var err error
	if w.people, err = r.PersonIDs(ctx); err != nil {
		return nil, err
	}
	hist, err := r.PersonHistory(ctx, period.Range{Start: period.MustDate("0001-01-01"), End: period.MustDate("9999-12-31")})
	if err != nil {
		return nil, err
	}
	for _, p := range hist {
		if p.Role != "" {
			w.roles[p.Role] = true
		}
	}
	tps, err := r.PlanVersionListLatest(ctx, plans.KindTargetPlan)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, v := range tps {
		w.published[v.Name] = true
		known[v.Name] = true
	}
	comps, err := r.PlanVersionListLatest(ctx, plans.KindCompPlan)
	if err != nil {
		return nil, err
	}
	for _, latest := range comps {
		vs, err := r.PlanVersionHistory(ctx, latest.Name)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, v := range vs {
			if v.Kind != plans.KindCompPlan || seen[v.Hash] {
				continue
			}
			seen[v.Hash] = true
			f, diags := plans.Load(v.File, []byte(v.Source))
			if len(diags) > 0 || f.Comp == nil || f.Comp.Targets == "" {
				continue
			}
			w.readers[f.Comp.Targets] = append(w.readers[f.Comp.Targets], f.Comp)
			known[f.Comp.Targets] = true
		}
	}
	w.names = slices.Sorted(maps.Keys(known))
	return w, nil
}

// check reports what makes row never apply.
func (w *targetWorld) check(row targetRow, probs *problems) {
	k := row.key
	readers := w.readers[k.plan]
	if len(readers) == 0 && !w.published[k.plan] {
		msg := fmt.Sprintf("no published comp plan reads target plan %s (with targets: %s) and none of that name is published, so its targets would never apply", echo(k.plan), k.plan)
		if s := rules.Suggest(k.plan, w.names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else if len(w.names) > 0 {
			msg += "; known target plans: " + strings.Join(w.names[:min(len(w.names), publishedNamesMax)], ", ")
		} else {
			msg += "; publish the comp plan that reads it first (icomp plan publish)"
		}
		probs.add(row.line, "target_plan", "%s", msg)
	}
	if k.person != "" && !w.people[k.person] {
		msg := fmt.Sprintf("unknown person %s; import people first", echo(k.person))
		if len(w.people) <= suggestIDsMax {
			if s := rules.Suggest(k.person, slices.Sorted(maps.Keys(w.people))); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
		}
		probs.add(row.line, "person", "%s", msg)
	}
	if k.role != "" && !w.roles[k.role] {
		msg := fmt.Sprintf("no person has role %s, so its targets would never apply", echo(k.role))
		roles := slices.Sorted(maps.Keys(w.roles))
		if i := slices.IndexFunc(roles, func(r string) bool { return strings.EqualFold(r, k.role) }); i >= 0 {
			msg += fmt.Sprintf("; roles are case-sensitive: did you mean %q?", roles[i])
		} else if s := rules.Suggest(k.role, roles); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		probs.add(row.line, "role", "%s", msg)
	}
	if len(readers) == 0 {
		return // a published target plan no comp plan reads yet: nothing to check against
	}
	var measures, planNames []string
	prec, currency, by := int32(-1), "", ""
	for _, c := range readers {
		if !slices.Contains(planNames, c.Name) {
			planNames = append(planNames, c.Name)
		}
		for _, m := range c.Measures {
			if !slices.Contains(measures, m.Name) {
				measures = append(measures, m.Name)
			}
			if m.Name == k.measure && c.Precision() > prec {
				prec, currency, by = c.Precision(), c.Currency, c.Name
			}
		}
	}
	sort.Strings(measures)
	if prec < 0 {
		msg := fmt.Sprintf("%s is not a measure of comp plan %s, which reads target plan %s", echo(k.measure), strings.Join(planNames, ", "), k.plan)
		if len(planNames) > 1 {
			msg = fmt.Sprintf("%s is not a measure of comp plans %s, which read target plan %s", echo(k.measure), strings.Join(planNames, ", "), k.plan)
		}
		if s := rules.Suggest(k.measure, measures); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else if len(measures) > 0 {
			msg += "; measures: " + strings.Join(measures[:min(len(measures), publishedNamesMax)], ", ")
		}
		probs.add(row.line, "measure", "%s", msg)
		return
	}
	if -row.amount.Exponent() > prec {
		probs.add(row.line, "amount", "%s has more decimal places than %s allows (%d), the currency of comp plan %s", row.amount.String(), currency, prec, by)
	}
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
