package cli

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/server"
	"github.com/icomp/icomp/storage"
)

func newBenchServeCmd(e *env) *cobra.Command {
	var reps int
	var duration time.Duration
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "serve [--reps 50] [--duration 10s]",
		Short: "Load-test the web app: concurrent reps reading their statements, on the demo data, over 127.0.0.1",
		Long: `Build the demo in a temporary directory, add --reps rep users (each a person
with a statement, several users per person when there are more users than
people), serve the web app on 127.0.0.1, and have every rep read their
statement over and over for --duration: first the JSON API
(/api/statements/…, with an API token), then the HTML page (with a session).
Prints requests per second, the p50, p99 and max latency of each and the
CPU time this process (server and clients) spent per request, steadier
than latencies on a busy machine; and the load average before. A
measurement, not a pass/fail check.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if reps < 1 || duration <= 0 {
				return usageError{fmt.Errorf("--reps and --duration must be positive")}
			}
			return benchServe(cmd.Context(), e, reps, duration, cpuProfile)
		},
	}
	cmd.Flags().IntVar(&reps, "reps", 50, "concurrent reps")
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long each phase runs")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the load phases to this file")
	return cmd
}

func benchServe(ctx context.Context, e *env, reps int, duration time.Duration, cpuProfile string) error {
	tmp, err := os.MkdirTemp("", "icomp-bench-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "demo")
	fmt.Fprintf(e.out, "building the demo in %s; %d CPUs, load average %s\n", dir, runtime.NumCPU(), loadAverage())
	quiet := &env{stdin: e.stdin, out: io.Discard, errOut: io.Discard}
	if err := demo(ctx, quiet, dir, ""); err != nil {
		return err
	}
	ws, err := openWorkspace(ctx, filepath.Join(dir, "icomp.db"), workspaceOptions{existing: true})
	if err != nil {
		return err
	}
	defer ws.close()
	ids, err := ws.store.PersonIDs(ctx)
	if err != nil {
		return err
	}
	var people []string
	for id := range ids {
		people = append(people, id)
	}
	sort.Strings(people)
	var withLines []string
	biggest, biggestCredits := "", -1
	for _, p := range people {
		s, err := reports.BuildStatement(ctx, ws.store, p, demoQuarter)
		if err != nil {
			continue
		}
		withLines = append(withLines, p)
		n := 0
		for _, ps := range s.Plans {
			n += len(ps.Credits)
		}
		if n > biggestCredits {
			biggest, biggestCredits = p, n
		}
	}
	if len(withLines) == 0 {
		return fmt.Errorf("the demo paid nobody in %s", demoQuarter)
	}
	fmt.Fprintf(e.out, "adding %d rep users over %d people with a %s statement\n", reps, len(withLines), demoQuarter)
	type client struct{ person, token, session string }
	clients := make([]client, reps)
	now := time.Now()
	for i := range clients {
		c := &clients[i]
		c.person = withLines[i%len(withLines)]
		email := fmt.Sprintf("bench-%d@example.com", i)
		u, err := server.AddUser(ctx, ws.store, server.AddUserParams{Email: email, Role: storage.RoleRep, Person: c.person, Password: server.NewSecret(), By: "bench"}, now)
		if err != nil {
			return err
		}
		if c.token, err = server.NewAPIToken(ctx, ws.store, email, "bench", now); err != nil {
			return err
		}
		c.session = server.NewSecret()
		if err := ws.store.InTx(ctx, func(tx storage.Tx) error {
			return tx.SessionInsert(ctx, storage.Session{IDHash: server.HashSecret(c.session), UserID: u.ID, CSRF: server.NewSecret(),
				CreatedAt: now.UTC().Format(time.RFC3339), ExpiresAt: now.Add(time.Hour).UTC().Format(time.RFC3339)})
		}); err != nil {
			return err
		}
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
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConns: reps, MaxIdleConnsPerHost: reps}, Timeout: time.Minute}

	// One statement alone first: the biggest (most credited deals).
	t0 := time.Now()
	if _, err := reports.BuildStatement(ctx, ws.store, biggest, demoQuarter); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "statement of %s (%d credited deals) built in %s\n", biggest, biggestCredits, time.Since(t0).Round(time.Microsecond))

	phases := []struct {
		name string
		req  func(c client) server.LoadRequest
	}{
		{"JSON API  GET /api/statements/{person}/" + demoQuarter, func(c client) server.LoadRequest {
			return server.LoadRequest{URL: base + "/api/statements/" + c.person + "/" + demoQuarter, Header: http.Header{"Authorization": {"Bearer " + c.token}}}
		}},
		{"HTML page GET /statements/{person}/" + demoQuarter, func(c client) server.LoadRequest {
			return server.LoadRequest{URL: base + "/statements/" + c.person + "/" + demoQuarter, Header: http.Header{"Cookie": {"icomp_session=" + c.session}}}
		}},
	}
	if cpuProfile != "" {
		f, err := os.OpenFile(cpuProfile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, ph := range phases {
		lcs := make([]server.LoadClient, len(clients))
		for i, c := range clients {
			lcs[i] = server.LoadClient{Requests: []server.LoadRequest{ph.req(c)}}
		}
		cpu0, _ := processCPU()
		res := server.Load(ctx, httpClient, lcs, duration)
		cpu := ""
		if cpu1, ok := processCPU(); ok && res.Requests > 0 {
			cpu = fmt.Sprintf("; cpu %s/request", ((cpu1 - cpu0) / time.Duration(res.Requests)).Round(10*time.Microsecond))
		}
		fmt.Fprintf(e.out, "%s, %d concurrent reps: %s%s\n", ph.name, reps, res, cpu)
		if res.Failures > 0 {
			return fmt.Errorf("%d requests failed", res.Failures)
		}
	}
	return nil
}
