package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

// planDiffChoice is a plan the plans page offers to compare: it has
// versions of more than one content.
type planDiffChoice struct {
	Name, Kind string
	// Versions are its publications, newest first.
	Versions []storage.PlanVersion
	// From and To are the default pair: the version in force and the
	// newest earlier one with other content (hashes).
	From, To string
}

// planDiffs returns the plans of versions (grouped newest first by plan,
// as the plans page lists them) that have two contents or more, and the
// publications (name#seq) that have an earlier one with other content,
// which link to their diff.
func planDiffs(versions []storage.PlanVersion) ([]planDiffChoice, map[string]bool) {
	var out []planDiffChoice
	linked := map[string]bool{}
	index := map[string]int{}
	for _, v := range versions {
		k := v.Kind + "\x00" + v.Name
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, planDiffChoice{Name: v.Name, Kind: v.Kind, To: v.Hash})
		}
		out[i].Versions = append(out[i].Versions, v)
	}
	var keep []planDiffChoice
	for _, c := range out {
		// Versions are newest first: a publication links to its diff when
		// an older one has other content.
		for i, v := range c.Versions {
			for _, older := range c.Versions[i+1:] {
				if older.Hash != v.Hash {
					linked[fmt.Sprintf("%s#%d", v.Name, v.Seq)] = true
					if i == 0 && c.From == "" {
						c.From = older.Hash
					}
					break
				}
			}
		}
		if c.From != "" {
			keep = append(keep, c)
		}
	}
	return keep, linked
}

// planDiffPage shows the line diff of two published versions of a plan
// (?from= and ?to=, labels or hash prefixes; by default the version in
// force against the one before), with forms to run the what-if of either
// comp plan version.
func (s *Server) planDiffPage(w http.ResponseWriter, r *http.Request, p *principal) {
	name := r.PathValue("name")
	q := r.URL.Query()
	d, err := reports.DiffPlanVersions(r.Context(), s.cfg.Store, name, strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to")))
	if err != nil {
		all, herr := s.cfg.Store.PlanVersionHistory(r.Context(), name)
		switch {
		case herr != nil:
			s.serverError(w, r, errors.Join(err, herr))
		case len(all) == 0:
			s.notFound(w, r)
		default:
			s.fail(w, r, false, http.StatusBadRequest, planDiffPageError(err))
		}
		return
	}
	ps, err := s.periodLabels(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	period := ""
	if len(ps) > 0 {
		period = ps[0].Label
	}
	hunks := make([]hunkView, 0, len(d.Hunks))
	for _, h := range d.Hunks {
		hunks = append(hunks, hunkView{Label: "lines " + lineSpan(h.FromLine, h.FromCount) + " of version " + d.From.Version + ", " +
			lineSpan(h.ToLine, h.ToCount) + " of version " + d.To.Version, Lines: h.Lines})
	}
	s.render(w, r, p, "plandiff", map[string]any{"Title": "Plan " + name + ": version " + d.From.Version + " → " + d.To.Version,
		"D": d, "Hunks": hunks, "Periods": ps, "Period": period, "WhatIf": d.To.Kind == plans.KindCompPlan,
		"Sides": []storage.PlanVersion{d.From, d.To}})
}

// cliFromHint is how reports.DiffPlanVersions, written for icomp plan
// diff, tells to name the older version: a flag a web page has not.
const cliFromHint = "name one with --from"

// planDiffPageError is the message of a diff the page cannot show, worded
// for the page: the older version is chosen under Compare versions on the
// Plans page or with from= in the address, not with the command's --from.
func planDiffPageError(err error) string {
	return strings.Replace(err.Error(), cliFromHint,
		"choose one under Compare versions on the Plans page, or add from=VERSION to this page's address", 1)
}

// hunkView is a hunk of the diff page with its heading.
type hunkView struct {
	Label string
	Lines []reports.DiffLine
}

// lineSpan names count lines from line: "3–7", "3", or "none" (a hunk
// that only adds or only removes has no lines on one side).
func lineSpan(line, count int) string {
	switch count {
	case 0:
		return "none"
	case 1:
		return fmt.Sprint(line)
	}
	return fmt.Sprintf("%d–%d", line, line+count-1)
}
