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
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080]",
		Short: "Serve the web app and JSON API (docs/api.md) for reps, managers, payroll and admins",
		Long: `Serve the web app: reps read their statements, managers their team's, payroll
downloads batches, admins run, approve and close periods. The JSON API is under
/api/ (docs/api.md). Add users first with icomp users add. Runs started from
the web app are worked by this process (and by icomp worker processes on
Postgres). Stop with Ctrl-C.

--tls-proxy marks cookies Secure: set it when a TLS proxy serves HTTPS in front.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, e, dbTarget(*db), addr, tls, nil)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultAddr, "address to listen on")
	cmd.Flags().BoolVar(&tls, "tls-proxy", false, "a TLS proxy serves HTTPS in front: mark cookies Secure")
	return cmd
}

// serve opens the workspace, works its run queue and serves until ctx
// ends. ready, when not nil, gets the listening address.
func serve(ctx context.Context, e *env, target, addr string, tls bool, ready func(string)) error {
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
	srv, err := server.New(server.Config{Store: ws.store, Runner: ws.runner, TLS: tls, Log: log.New(e.errOut, "", log.LstdFlags)})
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

func newUsersCmd(e *env, db *string) *cobra.Command {
	cmd := group("users", "Manage the web app's users and API tokens")
	var email, role, person, passwordFile string
	add := &cobra.Command{
		Use:   "add --email E --role admin|payroll|manager|rep [--person ID] [--password-file F]",
		Short: "Add a user; the password is read from --password-file or stdin, never from a flag",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pw, err := readPassword(e, passwordFile)
			if err != nil {
				return err
			}
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			u, err := server.AddUser(ctx, ws.store, server.AddUserParams{Email: email, Role: role, Person: person, Password: pw, By: whoami()}, time.Now())
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintf(e.out, "added %s (%s%s)\n", u.Email, u.Role, map[bool]string{true: " of " + u.Person, false: ""}[u.Person != ""])
			return nil
		},
	}
	add.Flags().StringVar(&email, "email", "", "the user's email, which they sign in with")
	add.Flags().StringVar(&role, "role", "", "admin, payroll, manager or rep")
	add.Flags().StringVar(&person, "person", "", "the person id the user is (needed for a rep or manager)")
	add.Flags().StringVar(&passwordFile, "password-file", "", "read the password from this file's first line (default: stdin)")
	_ = add.MarkFlagRequired("email")
	_ = add.MarkFlagRequired("role")

	var tokenEmail string
	token := &cobra.Command{
		Use:   "token --email E",
		Short: "Make an API bearer token for a user; printed once, only its hash is kept",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			tok, err := server.NewAPIToken(ctx, ws.store, tokenEmail, whoami(), time.Now())
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintln(e.out, tok)
			fmt.Fprintln(e.errOut, "Keep this token: it is not shown again. Send it as: Authorization: Bearer <token>")
			return nil
		},
	}
	token.Flags().StringVar(&tokenEmail, "email", "", "the user's email")
	_ = token.MarkFlagRequired("email")

	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			us, err := ws.store.UserList(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "%-32s  %-8s  %-10s  %s\n", "email", "role", "person", "added")
			for _, u := range us {
				fmt.Fprintf(e.out, "%-32s  %-8s  %-10s  %s\n", u.Email, u.Role, orDash(u.Person), u.CreatedAt)
			}
			return nil
		},
	}
	cmd.AddCommand(add, token, list)
	return cmd
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
