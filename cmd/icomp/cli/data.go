package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newImportCmd(e *env, db *string) *cobra.Command {
	var replace bool
	cmd := &cobra.Command{
		Use:   "import people|transactions|targets|adjustments|mbo|fx FILE",
		Short: "Import people, transactions, targets, adjustments, MBO scores or exchange rates from CSV (with a header) or JSON Lines",
		Long: `Import people, transactions or targets. Every row is validated first; a file with
any bad row imports nothing and each problem is printed as FILE:LINE: field: reason.
Importing the same file again changes nothing. Files ending in .jsonl are JSON Lines.

people columns:       ` + fmt.Sprint(imports.PeopleColumns) + ` (id required; name for new people), attr.NAME
transactions columns: ` + fmt.Sprint(imports.TransactionColumns) + ` (id, date, amount, currency required), attr.NAME
targets columns:      ` + fmt.Sprint(imports.TargetColumns) + ` (person or role; one target plan version
                      per target_plan name, published like icomp plan publish (periods marked
                      for a re-run), holding the published version, ramps and proration
                      included, with the file's targets added or changed; --replace: the
                      file's targets only; rows that could never apply are refused, see
                      docs/plans.md §8)
adjustments columns:  ` + fmt.Sprint(imports.AdjustmentColumns) + ` (all required; the next run of
                      each period makes them payable)
mbo columns:          ` + fmt.Sprint(imports.MBOColumns) + ` (all required; a score per person, pay
                      period and objective of an mbo component, 1 meaning met in full)

fx columns:           ` + fmt.Sprint(imports.FXColumns) + ` (all required; one unit of from is rate units
                      of to for amounts dated in month, YYYY-MM; a changed rate marks the
                      computed periods of its month for a re-run; see docs/plans.md §18)`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{})
			if err != nil {
				return err
			}
			defer ws.close()
			if replace && args[0] != "targets" {
				return usageError{fmt.Errorf("--replace applies to targets only")}
			}
			return runImportWith(cmd.Context(), e, ws.store, args[0], args[1], imports.Options{Replace: replace})
		},
	}
	cmd.Flags().BoolVar(&replace, "replace", false, "targets: replace each target plan named with the file's rows only, instead of merging them into its published version")
	return cmd
}

func runImport(ctx context.Context, e *env, st storage.Store, kind, path string) error {
	return runImportWith(ctx, e, st, kind, path, imports.Options{})
}

// runImportWith imports with the settings of o other than the file's, and
// today's date as the import date.
func runImportWith(ctx context.Context, e *env, st storage.Store, kind, path string, o imports.Options) error {
	if err := refuseDuringRun(ctx, st); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	var r io.Reader = f
	var bar *progressbar.ProgressBar
	if isTerminal(e.errOut) {
		bar = progressbar.DefaultBytes(info.Size(), "importing "+filepath.Base(path))
		r = io.TeeReader(f, bar)
	}
	o.File, o.Format, o.Today = path, imports.FormatOf(path), period.NewDate(time.Now().Date())
	start := time.Now()
	var counts storage.ImportCounts
	var late imports.Late
	var adj imports.AdjustmentResult
	var adjClosed []string
	switch kind {
	case "people":
		counts, late, err = imports.PeopleLate(ctx, st, r, o)
	case "transactions":
		counts, late, err = imports.TransactionsLate(ctx, st, r, o)
	case "targets":
		var tr imports.TargetResult
		tr, err = imports.Targets(ctx, st, r, o)
		if err == nil {
			for i, v := range tr.Published {
				fmt.Fprintf(e.out, "published target plan %s version %s (%s)\n", v.Name, v.Version, v.Hash[:12])
				printPublishedMarks(e, v, tr.Rerun[i], tr.Closed[i])
			}
			for _, v := range tr.Unchanged {
				fmt.Fprintf(e.out, "unchanged target plan %s version %s (%s)\n", v.Name, v.Version, v.Hash[:12])
			}
			counts.Inserted = tr.Rows
		}
	case "fx":
		counts, late, err = imports.FXLate(ctx, st, r, o)
	case "adjustments":
		adj, err = imports.Adjustments(ctx, st, r, o, imports.AdjustmentRecorder{By: whoami(), At: nowText()})
		if err == nil {
			err = st.InTx(ctx, func(tx storage.Tx) error {
				var err error
				adjClosed, err = periods.MarkAdjusted(ctx, tx, adj.Recorded)
				return err
			})
			counts.Inserted, counts.Unchanged = len(adj.Recorded), len(adj.Already)
		}
	case "mbo":
		var changed []string
		counts, changed, err = imports.MBOScores(ctx, st, r, o)
		if err == nil {
			err = st.InTx(ctx, func(tx storage.Tx) error { return markScored(ctx, tx, changed) })
		}
	default:
		return usageError{fmt.Errorf("import %q: want people, transactions, targets, adjustments, mbo or fx", kind)}
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(e.errOut)
	}
	var ie *imports.Error
	if errors.As(err, &ie) {
		fmt.Fprint(e.out, ie.Error()+"\n")
		return errFailed
	}
	if err != nil {
		return err
	}
	rows := counts.Inserted + counts.Changed + counts.Unchanged
	err = st.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.ImportBatchInsert(ctx, storage.ImportBatch{Kind: kind, File: path, Inserted: counts.Inserted, Changed: counts.Changed,
			Unchanged: counts.Unchanged, CreatedAt: nowText()})
		return err
	})
	if err != nil {
		return err
	}
	if kind == "adjustments" {
		for _, a := range adj.Already {
			fmt.Fprintf(e.errOut, "%s:%d: not recorded: the same person, period, amount, currency, earning code and reason as adjustment %d (from %s, by %s at %s); give it its own reason to record another\n",
				path, a.Line, a.Same.ID, a.Same.Source, a.Same.CreatedBy, a.Same.CreatedAt)
		}
		for _, n := range adjClosed {
			fmt.Fprintln(e.errOut, n)
		}
		fmt.Fprintf(e.out, "adjustments: %d recorded, %d already recorded; run their periods to make them payable\n", len(adj.Recorded), len(adj.Already))
		return nil
	}
	if kind == "targets" {
		fmt.Fprintf(e.out, "targets: %d rows in %s\n", rows, time.Since(start).Round(time.Millisecond))
		return nil
	}
	fmt.Fprintf(e.out, "%s (%d rows in %s)\n", imports.String(kind, counts), rows, time.Since(start).Round(time.Millisecond))
	what := "deals or payment dates in it"
	switch kind {
	case "people":
		what = "people from a day in or before it"
	case "fx":
		what = "exchange rates in it"
	}
	for _, p := range late.Rerun {
		fmt.Fprintf(e.errOut, "%s needs a re-run: the import changed %s (icomp run --period %s)\n", p, what, p)
	}
	for _, p := range late.Closed {
		fmt.Fprintf(e.errOut, "warning: %s is closed and the import changed %s: run it (icomp run --period %s) to post the changes into the next open period as prior-period adjustments\n", p, what, p)
	}
	return nil
}

func newPublishCmd(e *env, db *string) *cobra.Command {
	return &cobra.Command{
		Use:   "publish PATH...",
		Short: "Store validated, tested comp plan and target plan versions (directories are searched)",
		Long: `Publish the comp plans and target plans under PATH. Every file must check
without problems, and the plan tests of each plan (plan_test files given
or beside the plan, in its directory) must pass: otherwise the problems
and failures are printed, nothing is published and the exit code is 1.
Publishing identical content again changes nothing, and publishing an
older version's exact content makes it the latest again; a version label
already published for the plan name with other content is refused (give
the changed plan a new version label).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			files, diags, err := plans.Check(args)
			if err != nil {
				return err
			}
			if len(diags) > 0 {
				for _, d := range diags {
					fmt.Fprintln(e.out, d.String())
				}
				fmt.Fprintf(e.out, "%d problem(s); nothing was published\n", len(diags))
				return errFailed
			}
			if err := refuseFailingPlanTests(e, files); err != nil {
				return err
			}
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{})
			if err != nil {
				return err
			}
			defer ws.close()
			err = publish(ctx, e, ws.store, files, args)
			var re *relabelError
			if errors.As(err, &re) {
				fmt.Fprintf(e.errOut, "icomp: %v\n", err)
				return errFailed
			}
			return err
		},
	}
}

// publish stores the plan versions of files, found under the paths
// roots (the files and directories `plan publish` was given). Each
// version's File is its name as published (publishedName), not the
// path on this machine.
func publish(ctx context.Context, e *env, st storage.Store, files []*plans.File, roots []string) error {
	return st.InTx(ctx, func(tx storage.Tx) error {
		for _, f := range files {
			var v storage.PlanVersion
			switch {
			case f.Comp != nil:
				if err := periods.AgreeCalendar(ctx, tx, f.Comp.Name, f.Comp.Calendar); err != nil {
					return fmt.Errorf("%s: %w", f.Path, err)
				}
				if err := refuseTakeover(ctx, tx, f.Comp); err != nil {
					return fmt.Errorf("%s: %w", f.Path, err)
				}
				if err := refuseFrequencySeam(ctx, tx, f.Comp); err != nil {
					return fmt.Errorf("%s: %w", f.Path, err)
				}
				v = storage.PlanVersion{Hash: f.Comp.Hash, Kind: plans.KindCompPlan, Name: f.Comp.Name, Version: f.Comp.Version, File: f.Path, Source: string(f.Comp.Source)}
			case f.Target != nil:
				v = storage.PlanVersion{Hash: f.Target.Hash, Kind: plans.KindTargetPlan, Name: f.Target.Name, Version: f.Target.Version, File: f.Path, Source: string(f.Target.Source)}
			case f.Settlement != nil:
				v = storage.PlanVersion{Hash: f.Settlement.Hash, Kind: plans.KindSettlementPolicy, Name: f.Settlement.Name, Version: f.Settlement.Version, File: f.Path, Source: string(f.Settlement.Source)}
			default:
				continue
			}
			v.File = publishedName(roots, f.Path)
			if err := refuseRelabel(ctx, tx, v); err != nil {
				return fmt.Errorf("%s: %w", f.Path, err)
			}
			inserted, err := tx.PlanVersionInsert(ctx, v)
			if err != nil {
				return err
			}
			state := "unchanged"
			if inserted {
				state = "published"
			}
			fmt.Fprintf(e.out, "%s %s %s version %s (%s) from %s\n", state, kindLabel(v.Kind), v.Name, v.Version, v.Hash[:12], v.File)
			if !inserted {
				continue
			}
			marked, closed, err := periods.MarkPublished(ctx, tx, f)
			if err != nil {
				return err
			}
			printPublishedMarks(e, v, marked, closed)
			if f.Comp != nil {
				warnEnding(e, f.Comp)
				if err := warnDropped(ctx, e, tx, f.Comp); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// warnDropped warns when a version drops the clawback or hold of the
// version in force before it: cancellations from its from date of deals
// the earlier version paid are then no clawbacks (a refund, which a hold
// may even hold for want of a payment date), and a hold of the earlier
// version has no release line (the run stops on the first such payment).
func warnDropped(ctx context.Context, e *env, tx storage.Tx, p *plans.CompPlan) error {
	others, err := otherVersions(ctx, tx, p)
	if err != nil {
		return err
	}
	day := p.Effective.Start.AddDays(-1)
	for _, o := range others {
		if o.Effective.Start.After(day) || (!o.Effective.End.IsZero() && o.Effective.End.Before(day)) {
			continue
		}
		if o.Clawback != nil && p.Clawback == nil {
			fmt.Fprintf(e.errOut, "warning: plan %s version %s has no clawback: section, and version %s had one: a deal %s paid and cancelled from %s on, even within its %d-day window, is not clawed back\n",
				p.Name, p.Version, o.Version, o.Version, p.Effective.Start, o.Clawback.WindowDays)
		}
		if o.Hold != nil && p.Hold == nil {
			fmt.Fprintf(e.errOut, "warning: plan %s version %s has no hold: section, and version %s had one: a run from %s on stops when a deal %s held is paid for, since it has no line to release it on\n",
				p.Name, p.Version, o.Version, p.Effective.Start, o.Version)
		}
		return nil
	}
	return nil
}

// warnEnding warns when a version ending the plan holds deals until
// payment or claws them back: after its end no run computes the plan, so
// deals still held then are never released, and cancellations then are
// not clawed back.
func warnEnding(e *env, p *plans.CompPlan) {
	end := p.Effective.End
	if end.IsZero() || (p.Hold == nil && p.Clawback == nil) {
		return
	}
	var what []string
	if p.Hold != nil {
		what = append(what, "deals still held then (until "+p.Hold.Until+") are never released")
	}
	if p.Clawback != nil {
		what = append(what, fmt.Sprintf("deals cancelled then, even within the %d-day window, are not clawed back", p.Clawback.WindowDays))
	}
	fmt.Fprintf(e.errOut, "warning: plan %s version %s ends on %s; unless a later version takes over, no run computes it after that, so %s\n", p.Name, p.Version, end, strings.Join(what, ", and "))
}

// relabelError reports a version label already published for the plan
// with other content.
type relabelError struct {
	v         storage.PlanVersion
	published string
}

func (e *relabelError) Error() string {
	return fmt.Sprintf("%s %s version %s is already published with different content (hash %s); give this version a new label",
		kindLabel(e.v.Kind), e.v.Name, e.v.Version, e.published[:min(len(e.published), 12)])
}

// refuseRelabel returns a *relabelError when v's version label is
// published for its plan with other content. The same content under the
// same label (publishing it again, or going back to it) is fine.
func refuseRelabel(ctx context.Context, tx storage.Tx, v storage.PlanVersion) error {
	published, err := tx.PlanVersionListByLabel(ctx, v.Kind, v.Name, v.Version)
	if err != nil {
		return err
	}
	for _, p := range published {
		if p.Hash == v.Hash {
			return nil
		}
	}
	if len(published) > 0 {
		return &relabelError{v: v, published: published[len(published)-1].Hash}
	}
	return nil
}

// refuseTakeover refuses a comp plan version that would take over, by
// being published last, the periods a version with a later effective
// from date computes: a period runs the newest publication that takes
// effect by its last day (plans.VersionFor), so a correction of this
// year's version published after next year's, open-ended, would compute
// next year too.
func refuseTakeover(ctx context.Context, tx storage.Tx, p *plans.CompPlan) error {
	vs, err := otherVersions(ctx, tx, p)
	if err != nil {
		return err
	}
	reaches := func(r period.Range, day period.Date) bool {
		return !r.Start.After(day) && (r.End.IsZero() || !r.End.Before(day))
	}
	for j, v := range vs {
		start := v.Effective.Start
		if !start.After(p.Effective.Start) || !reaches(p.Effective, start) {
			continue
		}
		taken := false // a later publication already took over from v's start
		for _, w := range vs[:j] {
			taken = taken || reaches(w.Effective, start)
		}
		if taken {
			continue
		}
		return fmt.Errorf("plan %s version %s takes effect %s, so published now it would take over the periods version %s computes from %s (a period runs the newest version that takes effect by its end): give it to: %s to leave them to version %s, or start it from %s or later to replace version %s",
			p.Name, p.Version, p.EffectiveText(), v.Version, start, start.AddDays(-1), v.Version, start, v.Version)
	}
	return nil
}

// otherVersions lists the published versions of p's plan other than p,
// newest publication first (those that no longer load left out).
func otherVersions(ctx context.Context, tx storage.Tx, p *plans.CompPlan) ([]*plans.CompPlan, error) {
	history, err := tx.PlanVersionHistory(ctx, p.Name)
	if err != nil {
		return nil, err
	}
	var out []*plans.CompPlan
	for i := len(history) - 1; i >= 0; i-- {
		h := history[i]
		if h.Kind != plans.KindCompPlan || h.Hash == p.Hash {
			continue
		}
		if f, diags := plans.Load(h.File, []byte(h.Source)); len(diags) == 0 && f.Comp != nil {
			out = append(out, f.Comp)
		}
	}
	return out, nil
}

// refuseFrequencySeam refuses a version that pays at another frequency
// than the version it follows (the one in force the day before its from
// date, or the day after its to date) when that date is not where a
// period of both frequencies starts: the days between would be paid by
// both versions, or by neither (a monthly version from 2027-08-01 after
// a quarterly one leaves July to nobody).
func refuseFrequencySeam(ctx context.Context, tx storage.Tx, p *plans.CompPlan) error {
	others, err := otherVersions(ctx, tx, p)
	if err != nil {
		return err
	}
	inForce := func(d period.Date) *plans.CompPlan {
		for _, o := range others {
			if !o.Effective.Start.After(d) && (o.Effective.End.IsZero() || !o.Effective.End.Before(d)) {
				return o
			}
		}
		return nil
	}
	seam := func(day period.Date, o *plans.CompPlan) error {
		if o == nil || o.Frequency == p.Frequency {
			return nil
		}
		if engine.PeriodOf(o, day).Start != day || engine.PeriodOf(p, day).Start != day {
			return fmt.Errorf("plan %s version %s pays %s from %s, and version %s pays %s: %s starts no period of both, so the days around it would be paid twice or not at all; change frequency where both a %s and a %s period start (the first of a quarter, for quarterly and monthly)",
				p.Name, p.Version, p.Frequency, day, o.Version, o.Frequency, day, o.Frequency, p.Frequency)
		}
		return nil
	}
	before := inForce(p.Effective.Start.AddDays(-1))
	if err := seam(p.Effective.Start, before); err != nil {
		return err
	}
	if err := renamedYearToDate(p, before); err != nil {
		return err
	}
	if end := p.Effective.End; !end.IsZero() {
		return seam(end.AddDays(1), inForce(end.AddDays(1)))
	}
	return nil
}

// renamedYearToDate refuses a version taking over from o during a fiscal
// year when o has a cumulative or once component that p lacks by name
// while p has one o lacks: such a component nets what earlier periods of
// the year paid under its own name, so a renamed one pays the year to
// date again (or the milestone twice).
func renamedYearToDate(p, o *plans.CompPlan) error {
	if o == nil || engine.PeriodOf(o, p.Effective.Start).FiscalYear != engine.PeriodOf(o, p.Effective.Start.AddDays(-1)).FiscalYear {
		return nil
	}
	netting := func(pl *plans.CompPlan) map[string]bool {
		out := map[string]bool{}
		for _, c := range pl.Components {
			if c.Cumulative || c.Once {
				out[c.Name] = true
			}
		}
		return out
	}
	had, has := netting(o), netting(p)
	var gone, added []string
	for n := range had {
		if !has[n] {
			gone = append(gone, n)
		}
	}
	for n := range has {
		if !had[n] {
			added = append(added, n)
		}
	}
	if len(gone) == 0 || len(added) == 0 {
		return nil
	}
	slices.Sort(gone)
	slices.Sort(added)
	return fmt.Errorf("plan %s version %s takes over from version %s on %s, inside a fiscal year, with cumulative or once component %s where version %s has %s: each nets what earlier periods of the year paid under its own name, so the new name would pay the year to date again; keep the name %s",
		p.Name, p.Version, o.Version, p.Effective.Start, strings.Join(added, ", "), o.Version, strings.Join(gone, ", "), gone[0])
}

// printPublishedMarks says which periods publishing v marked as needing
// a re-run, and which closed ones it may change.
func printPublishedMarks(e *env, v storage.PlanVersion, marked, closed []string) {
	for _, p := range marked {
		fmt.Fprintf(e.errOut, "%s needs a re-run: %s %s version %s was published (icomp run --period %s)\n", p, kindLabel(v.Kind), v.Name, v.Version, p)
	}
	for _, p := range closed {
		fmt.Fprintf(e.errOut, "warning: %s is closed and %s %s version %s may change it: run it (icomp run --period %s) to post the changes into the next open period as prior-period adjustments\n", p, kindLabel(v.Kind), v.Name, v.Version, p)
	}
}

func kindLabel(kind string) string {
	switch kind {
	case plans.KindTargetPlan:
		return "target plan"
	case plans.KindSettlementPolicy:
		return "settlement policy"
	}
	return "plan"
}

func newStatementCmd(e *env, db *string) *cobra.Command {
	var person, periodLabel, format, linkBase string
	cmd := &cobra.Command{
		Use:   "statement --person ID --period P",
		Short: "Print a person's statement: credits, measures, attainment and each payout with its working",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(statementFormats, format) {
				return usageError{fmt.Errorf("--format %q: want text, json, html or pdf", format)}
			}
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			s, err := reports.BuildStatement(cmd.Context(), ws.store, person, periodLabel)
			if err != nil {
				return err
			}
			return writeStatement(e.out, s, format, linkBase)
		},
	}
	cmd.Flags().StringVar(&person, "person", "", "person id (required)")
	cmd.Flags().StringVar(&periodLabel, "period", "", "period label, e.g. 2027-Q1 (required)")
	cmd.Flags().StringVar(&format, "format", "text", "text, json, html (a standalone page) or pdf")
	cmd.Flags().StringVar(&linkBase, "link-base", "", "html and pdf: "+linkBaseHelp)
	_ = cmd.MarkFlagRequired("person")
	_ = cmd.MarkFlagRequired("period")
	return cmd
}

func newExportCmd(e *env, db *string) *cobra.Command {
	cmd := group("export", "Export data for other systems")
	var periodLabel, out, payDate string
	var again bool
	payroll := &cobra.Command{
		Use:   "payroll --period P [--pay-date YYYY-MM-DD] [--out FILE] [--again]",
		Short: "Write the period's next payroll batch: the payable lines no earlier batch paid",
		Long: `Write the period's next payroll batch. Only approved or closed periods export,
and only after the ledger verifies (icomp ledger verify). Each payable line is
paid in exactly one batch; the batch is recorded (id, pay date, rows, SHA-256)
and icomp export show ID returns it byte for byte. When nothing is left to pay,
the request repeats the newest batch: that is said on stderr and exits 1
unless --again. The pay date defaults to the period's last day; lines already
paid cannot be paid again under another pay date.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			return exportPayroll(cmd.Context(), e, ws.store, reports.PayrollRequest{Period: periodLabel, PayDate: payDate, Now: nowText()}, out, again)
		},
	}
	payroll.Flags().StringVar(&periodLabel, "period", "", "period label, e.g. 2027-Q1 (required)")
	payroll.Flags().StringVar(&out, "out", "", "file to write (default standard output)")
	payroll.Flags().StringVar(&payDate, "pay-date", "", "pay date written on each row, YYYY-MM-DD (default the period's last day)")
	payroll.Flags().BoolVar(&again, "again", false, "when nothing is new, write the newest batch again and exit 0")
	_ = payroll.MarkFlagRequired("period")
	var listPeriod string
	list := &cobra.Command{
		Use:   "list [--period P]",
		Short: "List payroll batches: id, period, pay date, rows, SHA-256, created",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			batches, err := ws.store.ExportList(cmd.Context(), listPeriod)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "batch	period	pay date	rows	sha256	created\n")
			for _, b := range batches {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", b.ID, b.Period, b.PayDate, b.Lines, b.Digest, b.CreatedAt)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&listPeriod, "period", "", "only this period's batches")
	var showOut string
	show := &cobra.Command{
		Use:   "show ID [--out FILE]",
		Short: "Write payroll batch ID again, byte for byte",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageError{fmt.Errorf("batch id %q: want a number from icomp export list", args[0])}
			}
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			b, err := ws.store.ExportGet(cmd.Context(), id)
			if errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("no payroll batch %d (icomp export list)", id)
			}
			if err != nil {
				return err
			}
			return writeBatch(e, b, showOut, false)
		},
	}
	show.Flags().StringVar(&showOut, "out", "", "file to write (default standard output)")
	cmd.AddCommand(payroll, list, show, newExportStatementsCmd(e, db))
	return cmd
}

func newLedgerCmd(e *env, db *string) *cobra.Command {
	cmd := group("ledger", "Inspect the ledgers")
	var periodLabel string
	digest := &cobra.Command{
		Use:   "digest [--period P]",
		Short: "Print a SHA-256 over the canonical posted ledger lines (the same on any backend)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			if periodLabel != "" {
				if _, err := periods.Parse(cmd.Context(), ws.store, periodLabel); err != nil {
					return usageError{err}
				}
			}
			digest, n, err := ws.store.LedgerDigest(cmd.Context(), periodLabel)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "%s  %d lines\n", digest, n)
			return nil
		},
	}
	digest.Flags().StringVar(&periodLabel, "period", "", "only this period")
	cmd.AddCommand(digest, newVerifyCmd(e, db))
	return cmd
}

// publishedName is the name a plan file at path is stored (and shown in
// explanations, statements and rule positions) under: its path relative
// to the directory it was published from, under that directory's own
// name (publishing /tmp/x/examples stores examples/golden-ae/plan.yaml,
// and so does publishing examples or . from inside it); a file given
// by name is named from its directory (golden-ae/plan.yaml). So what the admin's machine and
// working directory were never shows, and the same publication reads
// the same everywhere. The first root that holds path wins.
func publishedName(roots []string, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	for _, root := range roots {
		r, err := filepath.Abs(root)
		if err != nil {
			continue
		}
		if r == abs {
			// A file given by name: from its directory.
			r = filepath.Dir(r)
		}
		rel, err := filepath.Rel(r, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if base := filepath.Base(r); base != string(filepath.Separator) && base != "." {
			rel = filepath.Join(base, rel)
		}
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(abs)), filepath.Base(abs)))
}
