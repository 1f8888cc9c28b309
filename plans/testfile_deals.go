package plans

import (
	"sort"

	"gopkg.in/yaml.v3"
)

// expectDeals reads expect.deals: person → per-deal component → deal
// (transaction ID) → what the component paid for that deal, rounded.
func (r *reader) expectDeals(n *yaml.Node, what string, people map[string]bool, tf *TestFile) map[string]map[string]map[string]Expected {
	if n == nil {
		return nil
	}
	var known []string
	if tf.Plan != nil {
		for _, c := range tf.Plan.Components {
			if c.ByDeal() {
				known = append(known, c.Name)
			}
		}
	}
	sort.Strings(known)
	pm := r.mapping(n, what)
	out := map[string]map[string]map[string]Expected{}
	for person, kn := range pm.keys {
		if !people[person] {
			r.errorf(kn, "%s: no person %q in this case%s", what, person, peopleHint(people))
		}
		cm := r.mapping(pm.values[person], what+"."+person)
		row := map[string]map[string]Expected{}
		for comp, ck := range cm.keys {
			if tf.Plan != nil && !contains(known, comp) {
				r.errorf(ck, "%s: plan %q has no per-deal rate table %q (only rate tables with per: deal pay by deal)%s", cm.what, tf.Plan.Name, comp, didYouMean(comp, known))
				continue
			}
			dm := r.mapping(cm.values[comp], cm.what+"."+comp)
			deals := map[string]Expected{}
			for deal := range dm.keys {
				if v, ok := r.decimalNode(dm.values[deal], dm.what+"."+deal); ok {
					deals[deal] = Expected{Value: v, Pos: r.pos(dm.values[deal])}
				}
			}
			row[comp] = deals
		}
		out[person] = row
	}
	return out
}
