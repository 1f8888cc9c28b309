package reports

import (
	"context"
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/icomp/icomp/storage"
)

// PlanDiffContextLines is how many unchanged lines a hunk of a plan diff
// shows around each change (as diff -u).
const PlanDiffContextLines = 3

// PlanDiff is the line diff between two published versions of one plan
// (`icomp plan diff`, the admin's plan diff page).
type PlanDiff struct {
	Name     string
	From, To storage.PlanVersion
	// Versions are the plan's publications of To's kind, newest first:
	// what one may pick from.
	Versions []storage.PlanVersion
	// Hunks are the changed regions with their context; none when the
	// two versions have the same content.
	Hunks []DiffHunk
	// Added and Removed count the lines.
	Added, Removed int
}

// DiffHunk is one region of a diff: the lines from FromLine (1-based,
// FromCount of them) of From and ToLine (ToCount) of To.
type DiffHunk struct {
	FromLine, FromCount, ToLine, ToCount int
	Lines                                []DiffLine
}

// DiffLine is one line of a hunk: Op is ' ' (in both), '-' (only in
// From) or '+' (only in To); FromNo and ToNo are its 1-based line numbers
// in each (0 where it is absent).
type DiffLine struct {
	Op           byte
	Text         string
	FromNo, ToNo int
}

// Kind is "same", "removed" or "added": a class name for the page.
func (l DiffLine) Kind() string {
	switch l.Op {
	case '-':
		return "removed"
	case '+':
		return "added"
	}
	return "same"
}

// PickPlanVersion finds the newest publication whose label is want or
// whose content hash starts with want (6 hex digits at least); the newest
// of all when want is empty. all is oldest first.
func PickPlanVersion(all []storage.PlanVersion, want string) (storage.PlanVersion, error) {
	for i := len(all) - 1; i >= 0; i-- {
		v := all[i]
		if want == "" || v.Version == want || (len(want) >= 6 && strings.HasPrefix(v.Hash, want)) {
			return v, nil
		}
	}
	if len(all) == 0 {
		return storage.PlanVersion{}, fmt.Errorf("no published version %q", want)
	}
	labels := make([]string, 0, len(all))
	for _, v := range all {
		labels = append(labels, v.Version)
	}
	return storage.PlanVersion{}, fmt.Errorf("plan %s has no version %q; published versions: %s", all[0].Name, want, strings.Join(labels, ", "))
}

// DiffPlanVersions diffs two published versions of the named plan, each
// named by label or hash prefix. to defaults to the version in force
// (the newest publication); from to the newest publication before it
// with other content. Both must be of one kind (a comp plan and a target
// plan of one name are not compared).
func DiffPlanVersions(ctx context.Context, r storage.PlanReader, name, from, to string) (*PlanDiff, error) {
	all, err := r.PlanVersionHistory(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no published plan named %q", name)
	}
	d := &PlanDiff{Name: name}
	if d.To, err = PickPlanVersion(all, to); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	var same []storage.PlanVersion
	for _, v := range all {
		if v.Kind == d.To.Kind {
			same = append(same, v)
		}
	}
	for i := len(same) - 1; i >= 0; i-- {
		d.Versions = append(d.Versions, same[i])
	}
	if from == "" {
		found := false
		for i := len(same) - 1; i >= 0 && !found; i-- {
			if same[i].Seq < d.To.Seq && same[i].Hash != d.To.Hash {
				d.From, found = same[i], true
			}
		}
		if !found {
			return nil, fmt.Errorf("from: plan %s has no version published before %s with other content; name one with --from (published versions: %s)",
				name, d.To.Version, versionLabels(same))
		}
	} else if d.From, err = PickPlanVersion(same, from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	a, b := sourceLines(d.From.Source), sourceLines(d.To.Source)
	m := difflib.NewMatcher(a, b)
	for _, group := range m.GetGroupedOpCodes(PlanDiffContextLines) {
		first, last := group[0], group[len(group)-1]
		h := DiffHunk{FromLine: first.I1 + 1, FromCount: last.I2 - first.I1, ToLine: first.J1 + 1, ToCount: last.J2 - first.J1}
		for _, op := range group {
			if op.Tag == 'e' {
				for k := 0; k < op.I2-op.I1; k++ {
					h.Lines = append(h.Lines, DiffLine{Op: ' ', Text: a[op.I1+k], FromNo: op.I1 + k + 1, ToNo: op.J1 + k + 1})
				}
				continue
			}
			if op.Tag == 'r' || op.Tag == 'd' {
				for k := op.I1; k < op.I2; k++ {
					h.Lines = append(h.Lines, DiffLine{Op: '-', Text: a[k], FromNo: k + 1})
					d.Removed++
				}
			}
			if op.Tag == 'r' || op.Tag == 'i' {
				for k := op.J1; k < op.J2; k++ {
					h.Lines = append(h.Lines, DiffLine{Op: '+', Text: b[k], ToNo: k + 1})
					d.Added++
				}
			}
		}
		d.Hunks = append(d.Hunks, h)
	}
	return d, nil
}

// sourceLines splits a plan source into lines without their newlines.
func sourceLines(src string) []string {
	src = strings.TrimSuffix(src, "\n")
	if src == "" {
		return nil
	}
	return strings.Split(src, "\n")
}

func versionLabels(vs []storage.PlanVersion) string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Version)
	}
	return strings.Join(out, ", ")
}

// diffHeader names a version in a diff: plan, label, hash and file as
// published.
func diffHeader(v storage.PlanVersion) string {
	return fmt.Sprintf("%s version %s (%s, publication %d) %s", v.Name, v.Version, short(v.Hash), v.Seq, v.File)
}

// Unified is the diff in the unified format of diff -u (difflib's
// writer), headed by the two versions; empty when they have the same
// content.
func (d *PlanDiff) Unified() (string, error) {
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(strings.TrimSuffix(d.From.Source, "\n")), B: difflib.SplitLines(strings.TrimSuffix(d.To.Source, "\n")),
		FromFile: diffHeader(d.From), ToFile: diffHeader(d.To), Context: PlanDiffContextLines,
	})
}
