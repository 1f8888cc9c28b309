package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/icomp/icomp/examples"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/server"
	"github.com/icomp/icomp/storage"
)

// The statement bench's workspace: one AE with --deals credited deals in
// the quarter, teammates with a few deals each, and their manager, on the
// example AE plan (examples/account-executive).
const (
	benchStatementPeriod   = "2027-Q1"
	benchStatementRep      = "bench-ae-01"
	benchStatementManager  = "bench-mgr"
	benchStatementPlanDir  = "account-executive"
	benchTeammateDeals     = 100
	benchStatementRequests = 20
)

func newBenchStatementCmd(e *env) *cobra.Command {
	var deals, teammates, requests int
	var dir, cpuProfile string
	cmd := &cobra.Command{
		Use:   "statement [--deals 5000] [--requests 20] [--dir D]",
		Short: "Time one big statement: the HTML page, the JSON API, the PDF and the team view, over 127.0.0.1",
		Long: `Build a workspace (SQLite) where one account executive, ` + benchStatementRep + `, has
--deals credited deals in ` + benchStatementPeriod + ` under the example AE plan (marginal
step rates paid deal by deal up to a cap, a quota bonus, a per-credit
new-logo SPIFF and renewal commission, a recoverable draw), with
--teammates other AEs of ` + strconv.Itoa(benchTeammateDeals) + ` deals each and their manager. Run the
period, serve the web app on 127.0.0.1, and GET, one request at a time,
--requests times each (after one unmeasured request):
  the rep's statement page (HTML, signed in as the rep),
  the JSON statement (/api/statements/…, with the rep's API token),
  the PDF statement (/statements/…/pdf),
  the manager's team page and /api/team/… (every teammate's totals).
Prints the median, p99 and max time of each, the response size and the
CPU time this process spent per request (server and client: on a busy
machine a steadier measure than the wall-clock times). The
in-process time to build the statement (reports.BuildStatement) is printed
too. A measurement, not a pass/fail check. With --dir the workspace is
made there (a new or empty directory) and kept; --requests 0 only builds it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if deals < 1 || teammates < 0 || requests < 0 {
				return usageError{fmt.Errorf("--deals must be positive, --teammates and --requests not negative")}
			}
			return benchStatement(cmd.Context(), e, benchStatementParams{deals: deals, teammates: teammates, requests: requests,
				dir: dir, cpuProfile: cpuProfile})
		},
	}
	cmd.Flags().IntVar(&deals, "deals", 5000, "credited deals of the rep whose statement is timed")
	cmd.Flags().IntVar(&teammates, "teammates", 9, "other AEs on the manager's team, "+strconv.Itoa(benchTeammateDeals)+" deals each")
	cmd.Flags().IntVar(&requests, "requests", benchStatementRequests, "measured requests of each kind (0: only build the workspace)")
	cmd.Flags().StringVar(&dir, "dir", "", "build the workspace in this new or empty directory and keep it (default: temporary, removed after)")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the requests to this file")
	return cmd
}

type benchStatementParams struct {
	deals, teammates, requests int
	dir, cpuProfile            string
}

func benchStatement(ctx context.Context, e *env, p benchStatementParams) error {
	dir := p.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "icomp-bench-statement-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return usageError{fmt.Errorf("--dir %s is not empty; bench statement needs a new or empty directory", dir)}
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	t0 := time.Now()
	ws, err := buildStatementBench(ctx, dir, p.deals, p.teammates)
	if err != nil {
		return err
	}
	defer ws.close()
	fmt.Fprintf(e.out, "workspace    %s (%s); %d CPUs, load average %s\n", dir, ws.store.Backend(), runtime.NumCPU(), loadAverage())
	fmt.Fprintf(e.out, "data         %s: %d credited deals in %s; %d teammates of %d deals; manager %s; built and run in %s\n",
		benchStatementRep, p.deals, benchStatementPeriod, p.teammates, benchTeammateDeals, benchStatementManager, time.Since(t0).Round(time.Millisecond))
	if p.requests == 0 {
		return nil
	}

	st, err := reports.BuildStatement(ctx, ws.store, benchStatementRep, benchStatementPeriod)
	if err != nil {
		return err
	}
	credits := 0
	for _, ps := range st.Plans {
		credits += len(ps.Credits)
	}
	if credits < p.deals {
		return fmt.Errorf("%s's statement lists %d credits, want at least %d", benchStatementRep, credits, p.deals)
	}
	build := make([]time.Duration, p.requests)
	for i := range build {
		t := time.Now()
		if _, err := reports.BuildStatement(ctx, ws.store, benchStatementRep, benchStatementPeriod); err != nil {
			return err
		}
		build[i] = time.Since(t)
	}
	fmt.Fprintf(e.out, "statement    reports.BuildStatement in process (%d credit rows): %s\n", credits, latencies(build))

	now := time.Now()
	rep, err := benchUser(ctx, ws.store, "bench-rep@example.com", storage.RoleRep, benchStatementRep, now)
	if err != nil {
		return err
	}
	mgr, err := benchUser(ctx, ws.store, "bench-mgr@example.com", storage.RoleManager, benchStatementManager, now)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{Store: ws.store, Log: log.New(e.errOut, "", 0)})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer shutdownBench(hs)
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 5 * time.Minute}
	stPath := "/statements/" + benchStatementRep + "/" + benchStatementPeriod
	targets := []struct {
		name, path string
		auth       http.Header
	}{
		{"html", stPath, rep.cookie},
		{"json", "/api" + stPath, rep.bearer},
		{"pdf", stPath + "/pdf", rep.cookie},
		{"team html", "/team?period=" + benchStatementPeriod, mgr.cookie},
		{"team json", "/api/team/" + benchStatementPeriod, mgr.bearer},
	}
	if p.cpuProfile != "" {
		f, err := os.OpenFile(p.cpuProfile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, tg := range targets {
		lat := make([]time.Duration, 0, p.requests)
		size := 0
		var cpu0 time.Duration
		for i := 0; i <= p.requests; i++ {
			if i == 1 {
				cpu0, _ = processCPU()
			}
			t := time.Now()
			n, err := benchGet(ctx, client, base+tg.path, tg.auth)
			if err != nil {
				return fmt.Errorf("GET %s: %w", tg.path, err)
			}
			if i > 0 { // the first request warms up
				lat = append(lat, time.Since(t))
			}
			size = n
		}
		cpu := "cpu unknown"
		if cpu1, ok := processCPU(); ok {
			cpu = fmt.Sprintf("cpu %s/request", ((cpu1 - cpu0) / time.Duration(p.requests)).Round(100*time.Microsecond))
		}
		fmt.Fprintf(e.out, "%-12s GET %s: %s; %d bytes; %s\n", tg.name, tg.path, latencies(lat), size, cpu)
	}
	return nil
}

// loadAverage is the system's load average over the last minute, from
// /proc/loadavg ("unknown" elsewhere): on a shared machine, the times
// above depend on it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}

// latencies summarises request times: the count, median, p99 and max.
func latencies(d []time.Duration) string {
	if len(d) == 0 {
		return "no requests"
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	round := func(x time.Duration) time.Duration { return x.Round(100 * time.Microsecond) }
	return fmt.Sprintf("%d requests, median %s, p99 %s, max %s", len(s), round(s[len(s)/2]), round(s[min(len(s)-1, len(s)*99/100)]), round(s[len(s)-1]))
}

// benchGet GETs url with the headers and returns the body's size; any
// status other than 200 is an error.
func benchGet(ctx context.Context, client *http.Client, url string, h http.Header) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header = h.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	return int(n), nil
}

// benchCredentials are a bench user's session cookie and API token, as
// request headers.
type benchCredentials struct{ cookie, bearer http.Header }

// benchUser adds a user linked to person with a session (made directly,
// without a password check) and an API token.
func benchUser(ctx context.Context, st storage.Store, email, role, person string, now time.Time) (benchCredentials, error) {
	u, err := server.AddUser(ctx, st, server.AddUserParams{Email: email, Role: role, Person: person, Password: server.NewSecret(), By: "bench"}, now)
	if err != nil {
		return benchCredentials{}, err
	}
	token, err := server.NewAPIToken(ctx, st, email, "bench", now)
	if err != nil {
		return benchCredentials{}, err
	}
	session := server.NewSecret()
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		return tx.SessionInsert(ctx, storage.Session{IDHash: server.HashSecret(session), UserID: u.ID, CSRF: server.NewSecret(),
			CreatedAt: now.UTC().Format(time.RFC3339), ExpiresAt: now.Add(time.Hour).UTC().Format(time.RFC3339)})
	}); err != nil {
		return benchCredentials{}, err
	}
	return benchCredentials{cookie: http.Header{"Cookie": {"icomp_session=" + session}}, bearer: http.Header{"Authorization": {"Bearer " + token}}}, nil
}

// buildStatementBench writes the bench's people, deals and plans into
// dir, imports and publishes them into a new SQLite database there and
// runs the period.
func buildStatementBench(ctx context.Context, dir string, deals, teammates int) (*workspace, error) {
	peopleCSV, txnCSV := filepath.Join(dir, "people.csv"), filepath.Join(dir, "transactions.csv")
	if err := writeFile(peopleCSV, func(f *os.File) error { return writeBenchStatementPeople(f, teammates) }); err != nil {
		return nil, err
	}
	if err := writeFile(txnCSV, func(f *os.File) error { return writeBenchStatementDeals(f, deals, teammates) }); err != nil {
		return nil, err
	}
	plansDir := filepath.Join(dir, "plans")
	if err := fs.WalkDir(examples.Plans, benchStatementPlanDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := examples.Plans.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(plansDir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(out), dirMode); err != nil {
			return err
		}
		return writeFile(out, func(f *os.File) error { _, err := f.Write(src); return err })
	}); err != nil {
		return nil, err
	}
	ws, err := openWorkspace(ctx, filepath.Join(dir, "icomp.db"), workspaceOptions{})
	if err != nil {
		return nil, err
	}
	quiet := &env{stdin: nil, out: io.Discard, errOut: io.Discard}
	err = func() error {
		if err := runImport(ctx, quiet, ws.store, "people", peopleCSV); err != nil {
			return err
		}
		if err := runImport(ctx, quiet, ws.store, "transactions", txnCSV); err != nil {
			return err
		}
		files, diags, err := plans.Check([]string{plansDir})
		if err != nil {
			return err
		}
		if len(diags) > 0 {
			return diags
		}
		if err := publish(ctx, quiet, ws.store, files, []string{plansDir}); err != nil {
			return err
		}
		_, err = runPeriod(ctx, quiet, ws, jobs.StartParams{Period: benchStatementPeriod}, false, true)
		return err
	}()
	if err != nil {
		ws.close()
		return nil, err
	}
	return ws, nil
}

// benchTeammate is the id of the i-th AE (1 is the rep whose statement is
// timed).
func benchTeammate(i int) string { return fmt.Sprintf("bench-ae-%02d", i) }

func writeBenchStatementPeople(w io.Writer, teammates int) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "name", "role", "territory", "manager", "currency", "hire_date"})
	_ = cw.Write([]string{benchStatementManager, "Bench Manager", "Sales Manager", "bench", "", "USD", "2024-01-01"})
	for i := 1; i <= teammates+1; i++ {
		_ = cw.Write([]string{benchTeammate(i), fmt.Sprintf("Bench AE %d", i), "AE", "bench", benchStatementManager, "USD", "2024-01-01"})
	}
	cw.Flush()
	return cw.Error()
}

// writeBenchStatementDeals writes deals dated through the period: the
// rep's, then each teammate's. Mostly small new and upsell deals with
// renewals and refunds among them; one deal in 1,000 is a 50,000 new
// logo (the SPIFF). Seeded: the same arguments give the same file.
func writeBenchStatementDeals(w io.Writer, deals, teammates int) error {
	per, err := defaultCalendar.Parse(benchStatementPeriod)
	if err != nil {
		return err
	}
	days := int(per.End.Time().Sub(per.Start.Time()).Hours()/24) + 1
	rng := rand.New(rand.NewPCG(11, 5000))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "date", "type", "owner", "product", "amount", "currency", "attr.new_logo"})
	n := 0
	write := func(owner string, count int) {
		for i := 0; i < count; i++ {
			n++
			date := per.Start.Time().AddDate(0, 0, i*days/count)
			typ, logo := "new", "false"
			amount := decimal.New(int64(1000+rng.IntN(9001)), -2) // 10.00 to 100.00
			switch k := i % 20; {
			case i%1000 == 999:
				logo, amount = "true", decimal.NewFromInt(50000)
			case k >= 10 && k < 16:
				typ = "upsell"
			case k >= 16 && k < 19:
				typ = "renewal"
			case k == 19:
				typ, amount = "refund", amount.Div(decimal.NewFromInt(4)).Round(2).Neg()
			}
			_ = cw.Write([]string{fmt.Sprintf("B%07d", n), date.Format(time.DateOnly), typ, owner, "core", amount.StringFixed(2), "USD", logo})
		}
	}
	write(benchStatementRep, deals)
	for i := 2; i <= teammates+1; i++ {
		write(benchTeammate(i), benchTeammateDeals)
	}
	cw.Flush()
	return cw.Error()
}

// shutdownBench stops a bench's server, waiting (up to a minute) for the
// requests it is still answering: the database closes after it, and a
// request cut off by the load test's deadline must not find it closed.
func shutdownBench(hs *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		_ = hs.Close()
	}
}
