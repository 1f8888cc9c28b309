package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/examples"
	"github.com/icomp/icomp/examples/datagen"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/pgstore"
)

// demoQuarter and demoMonths are the periods the demo runs.
var (
	demoQuarter = "2027-Q1"
	demoMonths  = []string{"2027-M01", "2027-M02", "2027-M03"}
)

func newDemoCmd(e *env, db *string) *cobra.Command {
	var dir, addr string
	var serveDemo bool
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR] [--db postgres://…]",
		Short: "Create a workspace with example data and plans, run a quarter, and show the results",
		Long: `Create a workspace with example data and plans, run a quarter, and show the
results. The plans, CSV files and payroll files go into a fresh directory
(--dir, default a new icomp-demo directory here); the data goes into a
SQLite file there, or into the database --db names: a SQLite file that does
not exist yet, or an empty Postgres database (migrated if it has no icomp
schema yet). ICOMP_DATABASE_URL is not used: the demo writes only where
it is told to.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !serveDemo {
				return demo(cmd.Context(), e, dir, *db)
			}
			d, target, err := demoDirFor(dir, *db)
			if err != nil {
				return err
			}
			if err := demo(cmd.Context(), e, d, *db); err != nil {
				return err
			}
			return demoServe(cmd.Context(), e, target, addr)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "workspace directory to create (default: a new icomp-demo directory here)")
	cmd.Flags().BoolVar(&serveDemo, "serve", false, "then serve the web app on the demo data (icomp serve) and print demo sign-ins")
	cmd.Flags().StringVar(&addr, "addr", defaultAddr, "with --serve: address to listen on")
	return cmd
}

func newDemoDir() (string, error) {
	for i := 1; i < 1000; i++ {
		name := "icomp-demo"
		if i > 1 {
			name = fmt.Sprintf("icomp-demo-%d", i)
		}
		if _, err := os.Stat(name); os.IsNotExist(err) {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free icomp-demo directory name here; pass --dir")
}

// openDemoPostgres opens the Postgres database at dbURL for the demo,
// migrating it first if it has no icomp schema, and refuses one that holds
// icomp data already.
func openDemoPostgres(ctx context.Context, dbURL string) (*workspace, error) {
	pool, err := pgstore.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	v, err := pgstore.SchemaVersionOf(ctx, pool)
	if err == nil && v == 0 {
		_, err = pgstore.Migrate(ctx, pool)
	}
	pool.Close()
	if err != nil {
		return nil, err
	}
	ws, err := openWorkspace(ctx, dbURL, workspaceOptions{})
	if err != nil {
		return nil, err
	}
	if err := refuseUsedDatabase(ctx, ws.store, redactURL(dbURL)); err != nil {
		ws.close()
		return nil, err
	}
	return ws, nil
}

// refuseUsedDatabase returns a usage error if st holds people,
// transactions, published plans or runs.
func refuseUsedDatabase(ctx context.Context, st storage.Reader, name string) error {
	people, err := st.PersonCount(ctx)
	if err != nil {
		return err
	}
	txns, err := st.TransactionCount(ctx)
	if err != nil {
		return err
	}
	var planCount int
	for _, kind := range []string{plans.KindCompPlan, plans.KindTargetPlan} {
		vs, err := st.PlanVersionListLatest(ctx, kind)
		if err != nil {
			return err
		}
		planCount += len(vs)
	}
	runs, err := st.RunList(ctx)
	if err != nil {
		return err
	}
	if people+txns+planCount+len(runs) > 0 {
		return usageError{fmt.Errorf("%s already holds icomp data (%d people, %d transactions, %d plans, %d runs); the demo needs an empty database",
			name, people, txns, planCount, len(runs))}
	}
	return nil
}

// redactURL hides the password of a database URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the database"
	}
	return u.Redacted()
}

func demo(ctx context.Context, e *env, dir, dbFlag string) error {
	start := time.Now()
	if dir == "" {
		var err error
		if dir, err = newDemoDir(); err != nil {
			return err
		}
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return usageError{fmt.Errorf("--dir %s exists and is not empty; the demo needs a fresh directory", dir)}
	}
	// The database: checked (and on Postgres opened) before anything is
	// written, so that a refusal leaves no half-made workspace behind.
	dbPath, dbShown := filepath.Join(dir, "icomp.db"), ""
	var ws *workspace
	switch {
	case isPostgres(dbFlag):
		var err error
		if ws, err = openDemoPostgres(ctx, dbFlag); err != nil {
			return err
		}
		defer ws.close()
		dbShown = redactURL(dbFlag)
	case dbFlag != "":
		if _, err := os.Stat(dbFlag); !errors.Is(err, fs.ErrNotExist) {
			return usageError{fmt.Errorf("--db %s exists; the demo needs a new database", dbFlag)}
		}
		dbPath = dbFlag
	}
	if dbShown == "" {
		dbShown = dbPath
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "icomp demo: workspace %s\n", dir)
	if isPostgres(dbFlag) {
		fmt.Fprintf(e.out, "database %s\n", dbShown)
	}
	fmt.Fprintln(e.out)

	// 1. Example plans, written out so the workspace is self-contained.
	plansDir := filepath.Join(dir, "plans")
	if err := writeExamplePlans(plansDir); err != nil {
		return err
	}

	// 2. A seeded dataset.
	// Some deals are cancelled, for the AE plan's clawback.
	cfg := datagen.Config{CancelPercent: demoCancelPercent}
	peopleCSV, txnCSV := filepath.Join(dir, "people.csv"), filepath.Join(dir, "transactions.csv")
	if err := writeFile(peopleCSV, func(f *os.File) error { return datagen.WritePeople(f, cfg) }); err != nil {
		return err
	}
	if err := writeFile(txnCSV, func(f *os.File) error { return datagen.WriteTransactions(f, cfg) }); err != nil {
		return err
	}

	if ws == nil {
		var err error
		if ws, err = openWorkspace(ctx, dbPath, workspaceOptions{}); err != nil {
			return err
		}
		defer ws.close()
	}

	fmt.Fprintln(e.out, "1. Import people and a fiscal year of transactions")
	if err := runImport(ctx, e, ws.store, "people", peopleCSV); err != nil {
		return err
	}
	if err := runImport(ctx, e, ws.store, "transactions", txnCSV); err != nil {
		return err
	}

	fmt.Fprintln(e.out, "\n2. Check, test and publish the example plans")
	files, diags, err := plans.Check([]string{plansDir})
	if err != nil {
		return err
	}
	if len(diags) > 0 {
		return fmt.Errorf("example plans have problems:\n%w", diags)
	}
	if err := planTest(e, []string{plansDir}); err != nil {
		return err
	}
	if err := publish(ctx, e, ws.store, files, []string{plansDir}); err != nil {
		return err
	}
	if err := demoEMEA(ctx, e, ws, dir, cfg); err != nil {
		return err
	}

	fmt.Fprintf(e.out, "\n3. Run %s (quarterly plans) and its months (the monthly SDR plan) as River jobs\n", demoQuarter)
	periods := append([]string{demoQuarter}, demoMonths...)
	for _, p := range periods {
		if _, err := runPeriod(ctx, e, ws, jobs.StartParams{Period: p}, false, true); err != nil {
			return err
		}
	}

	fmt.Fprintf(e.out, "\n4. Summary for %s\n", demoQuarter)
	top, err := demoSummary(ctx, e, ws.store, periods)
	if err != nil {
		return err
	}

	fmt.Fprintf(e.out, "\n5. Statement of the top earner, %s\n\n", top)
	s, err := reports.BuildStatement(ctx, ws.store, top, demoQuarter)
	if err != nil {
		return err
	}
	if err := s.WriteText(e.out); err != nil {
		return err
	}

	who, err := demoDrawAndClawback(ctx, ws.store, demoQuarter)
	if err != nil {
		return err
	}
	if who != "" {
		fmt.Fprintf(e.out, "\n   And %s, who was advanced a draw and had a deal clawed back:\n\n", who)
		s, err := reports.BuildStatement(ctx, ws.store, who, demoQuarter)
		if err != nil {
			return err
		}
		if err := s.WriteText(e.out); err != nil {
			return err
		}
	}

	fmt.Fprintln(e.out, "\n6. Approve the periods and export payroll batches")
	var written []string
	for _, p := range periods {
		if _, err := setPeriodStatus(ctx, ws.store, p, storage.PeriodApproved, "demo"); err != nil {
			return err
		}
		out := filepath.Join(dir, "payroll-"+p+".csv")
		pe, err := reports.ExportPayroll(ctx, ws.store, reports.PayrollRequest{Period: p, PayDate: demoPayDate(p), Now: nowText()})
		if err != nil {
			return err
		}
		if err := writeFile(out, func(f *os.File) error { _, err := f.WriteString(pe.Export.CSV); return err }); err != nil {
			return err
		}
		written = append(written, fmt.Sprintf("   %s (%d rows)", out, pe.Rows))
	}
	fmt.Fprintln(e.out, strings.Join(written, "\n"))

	db := "--db " + dbShown
	fmt.Fprintf(e.out, `
Done in %s. Next, try:
  icomp statement %s --person %s --period %s --format json
  icomp ledger digest %s --period %s
  icomp run %s --period %s          # unchanged inputs: posts nothing new
  icomp plan test %s
  icomp export payroll %s --period %s --again   # the batch again, byte for byte
  icomp ledger verify %s
  icomp period list %s
(with go run ./cmd/icomp in place of icomp from a checkout)
`, time.Since(start).Round(time.Millisecond), db, top, demoQuarter, db, demoQuarter, db, demoQuarter, plansDir, db, demoQuarter, db, db)
	return nil
}

// demoCancelPercent is the share of new deals the demo's customers cancel.
const demoCancelPercent = 3

// demoDrawAndClawback returns the first person (by id) who in period was
// both topped up by a draw and had a deal clawed back, or "" if nobody was.
func demoDrawAndClawback(ctx context.Context, st storage.Store, period string) (string, error) {
	lines, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{Period: period})
	if err != nil {
		return "", err
	}
	drawn, clawed := map[string]bool{}, map[string]bool{}
	for _, c := range ledger.Fold(lines) {
		l := c.Current
		if l == nil || l.Amount.IsZero() {
			continue
		}
		switch {
		case l.Ledger == ledger.PayableLedger && strings.HasPrefix(l.Subject, ledger.DrawSubjectPrefix):
			drawn[l.Person] = true
		case l.Ledger == ledger.PayoutLedger && strings.HasPrefix(l.Subject, plans.ClawbackLinePrefix):
			clawed[l.Person] = true
		}
	}
	var both []string
	for p := range drawn {
		if clawed[p] {
			both = append(both, p)
		}
	}
	sort.Strings(both)
	if len(both) == 0 {
		return "", nil
	}
	return both[0], nil
}

// demoPayDate is the 15th of the month after the period ends.
func demoPayDate(label string) string {
	ends := map[string]string{"2027-Q1": "2027-04-15", "2027-M01": "2027-02-15", "2027-M02": "2027-03-15", "2027-M03": "2027-04-15"}
	return ends[label]
}

// Modes of the files and directories icomp creates: pay data is for their
// owner only.
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// writeFile creates the file at path, with fileMode, and writes it with
// fn. A file that exists already is an error, never overwritten.
func writeFile(path string, fn func(*os.File) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// demoSummary prints payouts by person and the attainment spread, and
// returns the top earner.
func demoSummary(ctx context.Context, e *env, st storage.Store, periods []string) (string, error) {
	totals := map[string]decimal.Decimal{}
	roles := map[string]string{}
	currency := map[string]string{}
	var ratios []decimal.Decimal
	for _, p := range periods {
		lines, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{Period: p})
		if err != nil {
			return "", err
		}
		for _, c := range ledger.Fold(lines) {
			l := c.Current
			if l == nil {
				continue
			}
			switch l.Ledger {
			case ledger.PayoutLedger:
				totals[l.Person] = totals[l.Person].Add(l.Amount)
				roles[l.Person] = l.Plan
				currency[l.Person] = l.Currency
			case ledger.AttainmentLedger:
				if _, att := calc.ParseAttainmentBasis(l.Basis); att != "" {
					ratios = append(ratios, decimal.RequireFromString(att))
				}
			}
		}
	}
	// People grouped by the currency they earned in, the biggest group
	// first; each group by earnings, with its own total: amounts in
	// different currencies do not add up.
	count := map[string]int{}
	people := make([]string, 0, len(totals))
	for p := range totals {
		people = append(people, p)
		count[currency[p]]++
	}
	sort.Slice(people, func(i, j int) bool {
		a, b := people[i], people[j]
		if ca, cb := currency[a], currency[b]; ca != cb {
			if count[ca] != count[cb] {
				return count[ca] > count[cb]
			}
			return ca < cb
		}
		if c := totals[a].Cmp(totals[b]); c != 0 {
			return c > 0
		}
		return a < b
	})
	fmt.Fprintf(e.out, "   %-10s  %-22s  %12s\n", "person", "plan", "earned")
	for i := 0; i < len(people); {
		cur := currency[people[i]]
		grand, n := decimal.Zero, 0
		for ; i < len(people) && currency[people[i]] == cur; i++ {
			p := people[i]
			fmt.Fprintf(e.out, "   %-10s  %-22s  %12s %s\n", p, roles[p], totals[p].StringFixed(2), cur)
			grand = grand.Add(totals[p])
			n++
		}
		fmt.Fprintf(e.out, "   %-10s  %-22s  %12s %s\n", "total", fmt.Sprintf("%d people", n), grand.StringFixed(2), cur)
	}
	buckets := []struct {
		label  string
		lo, hi string
	}{{"below 50%", "-999", "0.5"}, {"50-100%", "0.5", "1"}, {"100-150%", "1", "1.5"}, {"150% and up", "1.5", "999999"}}
	fmt.Fprintf(e.out, "\n   attainment spread (%d person-measures with targets)\n", len(ratios))
	for _, b := range buckets {
		lo, hi := decimal.RequireFromString(b.lo), decimal.RequireFromString(b.hi)
		n := 0
		for _, r := range ratios {
			if !r.LessThan(lo) && r.LessThan(hi) {
				n++
			}
		}
		fmt.Fprintf(e.out, "   %-12s %3d %s\n", b.label, n, strings.Repeat("#", n))
	}
	if len(people) == 0 {
		return "", fmt.Errorf("the demo run paid nobody")
	}
	return people[0], nil
}

// writeExamplePlans writes the embedded example plans under dir.
func writeExamplePlans(dir string) error {
	return fs.WalkDir(examples.Plans, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := examples.Plans.ReadFile(path)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(out), dirMode); err != nil {
			return err
		}
		return writeFile(out, func(f *os.File) error { _, err := f.Write(src); return err })
	})
}

var defaultCalendar = period.Calendar{FiscalYearStartMonth: 1}

// demoEMEA imports the EMEA team (assigned to the EMEA plan, so after it
// is published), their deals in EUR and GBP, and the exchange rates that
// convert the deals into the plan's EUR and the reps' pay into GBP.
func demoEMEA(ctx context.Context, e *env, ws *workspace, dir string, cfg datagen.Config) error {
	fmt.Fprintln(e.out, "\n   EMEA: a plan in EUR, deals in EUR and GBP, reps paid in GBP")
	files := []struct {
		kind, name string
		write      func(io.Writer, datagen.Config) error
	}{
		{"people", "people-emea.csv", datagen.WriteEMEAPeople},
		{"fx", "fx.csv", datagen.WriteFX},
		{"transactions", "transactions-emea.csv", datagen.WriteEMEATransactions},
	}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := writeFile(path, func(out *os.File) error { return f.write(out, cfg) }); err != nil {
			return err
		}
		if err := runImport(ctx, e, ws.store, f.kind, path); err != nil {
			return err
		}
	}
	return nil
}
