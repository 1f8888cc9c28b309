package imports

import (
	"context"
	"slices"
	"sort"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// attrDecl is one typed attribute declaration of a published comp plan.
type attrDecl struct {
	plan string
	decl plans.AttributeDecl
}

// typedAttrs are the typed attribute declarations of the latest published
// comp plans (docs/plans.md §17), by attribute name, for transactions and
// for people. Imports keep attributes as text; these let them refuse a
// value that a published plan could not read as its declared type.
type typedAttrs struct {
	txn, person map[string][]attrDecl
	// holdDates are the transaction attributes the latest comp plans
	// hold deals until (hold.until: payment dates), sorted.
	holdDates []string
}

func publishedAttrs(ctx context.Context, r storage.Reader) (typedAttrs, error) {
	ta := typedAttrs{txn: map[string][]attrDecl{}, person: map[string][]attrDecl{}}
	vs, err := r.PlanVersionListLatest(ctx, plans.KindCompPlan)
	if err != nil {
		return ta, err
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
	for _, v := range vs {
		f, diags := plans.Load(v.File, []byte(v.Source))
		if len(diags) > 0 || f.Comp == nil {
			continue
		}
		if h := f.Comp.Hold; h != nil && !slices.Contains(ta.holdDates, h.Until) {
			ta.holdDates = append(ta.holdDates, h.Until)
			slices.Sort(ta.holdDates)
		}
		if f.Comp.Attributes == nil {
			continue
		}
		for _, d := range f.Comp.Attributes.Transaction {
			ta.txn[d.Name] = append(ta.txn[d.Name], attrDecl{plan: v.Name, decl: d})
		}
		for _, d := range f.Comp.Attributes.Person {
			ta.person[d.Name] = append(ta.person[d.Name], attrDecl{plan: v.Name, decl: d})
		}
	}
	return ta, nil
}

// check reports, at line and field attr.NAME, each attribute value that
// does not parse as the type a published plan declares it; it returns
// false when there is one. An empty value is no value.
func (ta typedAttrs) check(line int, attrs map[string]string, person bool, probs *problems) bool {
	decls := ta.txn
	if person {
		decls = ta.person
	}
	if len(decls) == 0 {
		return true
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	ok := true
	for _, k := range names {
		v := attrs[k]
		if v == "" {
			continue
		}
		for _, d := range decls[k] {
			if _, err := plans.ParseAttr(d.decl.Type, v); err != nil {
				probs.add(line, "attr."+k, "%v; comp plan %s declares %s a %s", err, d.plan, k, d.decl.Type)
				ok = false
				break
			}
		}
	}
	return ok
}
