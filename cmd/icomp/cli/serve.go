package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/server"
	"github.com/icomp/icomp/storage"
)

const defaultAddr = "127.0.0.1:8080"

func newServeCmd(e *env, db *string) *cobra.Command {
	var addr string
	var tls bool
	var idle time.Duration
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080]",
		Short: "Serve the web app and JSON API (docs/api.md) for reps, managers, payroll and admins",
		Long: `Serve the web app: reps read their statements, managers their team's, payroll
downloads batches, admins run, approve and close periods. The JSON API is under
/api/ (docs/api.md). Add users first with icomp users add. Runs started from
the web app are worked by this process (and by icomp worker processes on
Postgres). Stop with Ctrl-C.

--tls-proxy marks cookies Secure: set it when a TLS proxy serves HTTPS in front.
--idle-timeout ends a session unused for that long (default 30m, between 1m
and the 12-hour session lifetime).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if idle < time.Minute || idle > server.SessionTTL {
				return usageError{fmt.Errorf("--idle-timeout %v: want between 1m and the session lifetime, %v", idle, server.SessionTTL)}
			}
			return serveWith(ctx, e, dbTarget(*db), addr, serveOptions{tls: tls, idleTimeout: idle}, nil)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultAddr, "address to listen on")
	cmd.Flags().BoolVar(&tls, "tls-proxy", false, "a TLS proxy serves HTTPS in front: mark cookies Secure")
	cmd.Flags().DurationVar(&idle, "idle-timeout", server.DefaultIdleTimeout, "end a session unused for this long (1m to 12h)")
	return cmd
}

// serveOptions are icomp serve's settings beyond the address.
type serveOptions struct {
	tls bool
	// idleTimeout is the sessions' idle timeout (0: the default).
	idleTimeout time.Duration
}

// serve opens the workspace, works its run queue and serves until ctx
// ends. ready, when not nil, gets the listening address.
func serve(ctx context.Context, e *env, target, addr string, tls bool, ready func(string)) error {
	return serveWith(ctx, e, target, addr, serveOptions{tls: tls}, ready)
}

// serveWith is serve with every option.
func serveWith(ctx context.Context, e *env, target, addr string, o serveOptions, ready func(string)) error {
	ws, err := openWorkspace(ctx, target, workspaceOptions{existing: true})
	if err != nil {
		return err
	}
	defer ws.close()
	if err := ws.runner.Work(ctx); err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = ws.runner.Stop(stopCtx)
	}()
	users, err := ws.store.UserList(ctx)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		fmt.Fprintln(e.errOut, "icomp serve: no users yet; add one with icomp users add --email … --role admin")
	}
	srv, err := server.New(server.Config{Store: ws.store, Runner: ws.runner, TLS: o.tls, IdleTimeout: o.idleTimeout, Log: log.New(e.errOut, "", log.LstdFlags)})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	fmt.Fprintf(e.out, "icomp serve: http://%s (Ctrl-C to stop)\n", ln.Addr())
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// readPassword reads the first line of path, or of stdin when path is
// empty (without echo on a terminal).
func readPassword(e *env, path string) (string, error) {
	var r io.Reader = e.stdin
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return "", usageError{err}
		}
		defer f.Close()
		r = f
	} else if f, ok := e.stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(e.errOut, "Password: ")
		pw, err := readTerminalPassword(f)
		fmt.Fprintln(e.errOut)
		return pw, err
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageError{errors.New("no password: give it on stdin or with --password-file")}
	}
	return line, nil
}

// demoUser is a sign-in icomp demo --serve makes.
type demoUser struct{ email, role, person string }

// demoServe adds demo users with random passwords to the demo database,
// prints the sign-ins and serves it.
func demoServe(ctx context.Context, e *env, target, addr string) error {
	ws, err := openWorkspace(ctx, target, workspaceOptions{existing: true})
	if err != nil {
		return err
	}
	top := ""
	if s, err := topEarner(ctx, ws.store); err == nil {
		top = s
	}
	users := []demoUser{
		{"admin@example.com", storage.RoleAdmin, ""},
		{"payroll@example.com", storage.RolePayroll, ""},
		{"mgr-1@example.com", storage.RoleManager, "mgr-1"},
		{"ae-1@example.com", storage.RoleRep, "ae-1"},
		{"ae-6@example.com", storage.RoleRep, "ae-6"},
	}
	if top != "" && top != "ae-1" && top != "ae-6" {
		users = append(users, demoUser{top + "@example.com", storage.RoleRep, top})
	}
	fmt.Fprintf(e.out, "\nDemo sign-ins (passwords are new each time):\n")
	for _, u := range users {
		pw := server.NewSecret()[:20]
		if _, err := server.AddUser(ctx, ws.store, server.AddUserParams{Email: u.email, Role: u.role, Person: u.person, Password: pw, By: "demo"}, time.Now()); err != nil {
			ws.close()
			return err
		}
		fmt.Fprintf(e.out, "  %-8s %-22s %s\n", u.role, u.email, pw)
	}
	ws.close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, e, target, addr, false, nil)
}

// topEarner is the person who earned most in the demo quarter (the
// first by id on a tie), or "" for none.
func topEarner(ctx context.Context, st storage.Store) (string, error) {
	ids, err := st.PersonIDs(ctx)
	if err != nil {
		return "", err
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	best, bestAmt := "", decimal.Zero
	for _, id := range sorted {
		s, err := reports.BuildStatement(ctx, st, id, demoQuarter)
		if err != nil || len(s.Money.Earned) == 0 {
			continue
		}
		if amt := s.Money.Earned[0].Amount; best == "" || amt.GreaterThan(bestAmt) {
			best, bestAmt = id, amt
		}
	}
	return best, nil
}

// readTerminalPassword reads a password without echo.
func readTerminalPassword(f *os.File) (string, error) {
	b, err := term.ReadPassword(int(f.Fd()))
	return string(b), err
}

// demoDirFor is the directory and database demo --serve uses.
func demoDirFor(dir, dbFlag string) (string, string, error) {
	if dir == "" {
		var err error
		if dir, err = newDemoDir(); err != nil {
			return "", "", err
		}
	}
	if dbFlag != "" {
		return dir, dbFlag, nil
	}
	return dir, filepath.Join(dir, "icomp.db"), nil
}
