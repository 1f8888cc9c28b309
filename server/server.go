// Package server is icomp's web app: server-rendered HTML pages
// (html/template, no JavaScript) for reps, managers, payroll and admins,
// and a JSON API under /api/ (docs/api.md), with sessions, CSRF tokens,
// API bearer tokens and one authorization rule per route.
package server

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/storage"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 12 * time.Hour

// Cookie names.
const (
	sessionCookie = "icomp_session"
	preCSRFCookie = "icomp_signin_csrf"
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
	bearerPrefix  = "Bearer "
	defaultAuditN = 200
	// maxFormBytes bounds the body of a POST (forms are a few fields);
	// maxPlanBytes that of a what-if, which carries a plan file.
	maxFormBytes = 64 << 10
	maxPlanBytes = 1 << 20
)

// Config is what a Server serves.
type Config struct {
	Store storage.Store
	// Runner starts period runs (admin); it must be working its queue.
	// Nil refuses to start runs.
	Runner jobs.Service
	// TLS marks cookies Secure (set it when serving HTTPS or behind a TLS
	// proxy).
	TLS bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// IdleTimeout ends a session unused for this long (default
	// DefaultIdleTimeout; negative: none), on top of SessionTTL.
	IdleTimeout time.Duration
	// Log receives server errors (default the standard logger).
	Log *log.Logger
}

// Route is one registered route: its method and pattern and who may use it.
type Route struct {
	Method, Path string
	// Roles may use the route; nil means anyone, signed in or not.
	Roles []string
	// API routes answer 401 to the anonymous and take bearer tokens.
	API bool
}

// Pattern is the route's net/http pattern.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Server is the web app.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	routes  []Route
	tmpl    map[string]*template.Template
	limiter *limiter
	// hashSlots bounds the password checks running at once.
	hashSlots chan struct{}
}

// principal is who makes a request.
type principal struct {
	User    storage.User
	Session *storage.Session
	// Token is true when a bearer token authenticated the request.
	Token bool
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *principal)

// Role sets of routes.
var (
	public     []string
	signedIn   = storage.Roles
	adminOnly  = []string{storage.RoleAdmin}
	payrollers = []string{storage.RoleAdmin, storage.RolePayroll}
	readers    = []string{storage.RoleAdmin, storage.RoleManager, storage.RoleRep}
	managers   = []string{storage.RoleAdmin, storage.RoleManager}
)

// New returns a Server over cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = log.Default()
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), limiter: newLimiter(), hashSlots: make(chan struct{}, runtime.NumCPU())}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.registerRoutes()
	return s, nil
}

// Routes lists every registered route, in registration order.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) registerRoutes() {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	s.handle("GET", "/static/", public, false, func(w http.ResponseWriter, r *http.Request, _ *principal) { files.ServeHTTP(w, r) })
	s.handle("GET", "/static/statement.css", public, false, s.statementCSS)
	s.handle("GET", "/{$}", signedIn, false, s.home)
	s.handle("GET", "/signin", public, false, s.signinForm)
	s.handle("POST", "/signin", public, false, s.signin)
	s.handle("POST", "/signout", signedIn, false, s.signout)

	s.handle("GET", "/statements", readers, false, s.statementsPage)
	s.handle("GET", "/statements/{person}/{period}", readers, false, s.statementPage)
	s.handle("GET", "/statements/{person}/{period}/payouts/{plan}/{component}", readers, false, s.payoutPage)
	s.handle("GET", "/statements/{person}/{period}/pdf", readers, false, s.statementPDF)
	s.handle("POST", "/statements/{person}/{period}/disputes", readers, false, s.disputeOpen)
	s.handle("GET", "/explain", readers, false, s.explainPage)
	s.handle("GET", "/disputes", readers, false, s.myDisputes)
	s.handle("GET", "/team", managers, false, s.teamPage)

	s.handle("GET", "/admin", adminOnly, false, s.adminPage)
	s.handle("POST", "/admin/periods/{period}/run", adminOnly, false, s.adminRun)
	s.handle("POST", "/admin/runs", adminOnly, false, s.adminRun)
	s.handle("POST", "/admin/periods/{period}/approve", adminOnly, false, s.adminApprove)
	s.handle("POST", "/admin/periods/{period}/close", adminOnly, false, s.adminClose)
	s.handle("GET", "/admin/runs/{id}", adminOnly, false, s.runPage)
	s.handle("GET", "/admin/plans", adminOnly, false, s.plansPage)
	s.handle("GET", "/admin/plans/{name}/diff", adminOnly, false, s.planDiffPage)
	s.handle("GET", "/admin/audit", adminOnly, false, s.auditPage)
	s.handle("GET", "/admin/whatif", adminOnly, false, s.whatIfPage)
	s.handle("POST", "/admin/whatif", adminOnly, false, s.whatIfPage)
	s.handle("GET", "/admin/users", adminOnly, false, s.adminUsers)
	s.handle("POST", "/admin/users/{id}/disable", adminOnly, false, s.adminUserDisable)
	s.handle("POST", "/admin/users/{id}/enable", adminOnly, false, s.adminUserEnable)
	s.handle("POST", "/admin/tokens/{id}/revoke", adminOnly, false, s.adminTokenRevoke)
	s.handle("GET", "/admin/disputes", adminOnly, false, s.adminDisputes)
	s.handle("POST", "/admin/disputes/{id}/review", adminOnly, false, s.adminDisputeReview)
	s.handle("POST", "/admin/disputes/{id}/resolve", adminOnly, false, s.adminDisputeResolve)

	s.handle("GET", "/payroll", payrollers, false, s.payrollPage)
	s.handle("GET", "/payroll/{id}/csv", payrollers, false, s.payrollCSV)

	s.handle("GET", "/api/me", signedIn, true, s.apiMe)
	s.handle("GET", "/api/periods", signedIn, true, s.apiPeriods)
	s.handle("GET", "/api/statements/{person}/{period}", readers, true, s.apiStatement)
	s.handle("GET", "/api/explain", readers, true, s.apiExplain)
	s.handle("GET", "/api/disputes", readers, true, s.apiDisputes)
	s.handle("POST", "/api/statements/{person}/{period}/disputes", readers, true, s.apiDisputeOpen)
	s.handle("GET", "/api/disputes/{id}", readers, true, s.apiDisputeGet)
	s.handle("POST", "/api/disputes/{id}/review", adminOnly, true, s.apiDisputeReview)
	s.handle("POST", "/api/disputes/{id}/resolve", adminOnly, true, s.apiDisputeResolve)
	s.handle("GET", "/api/team/{period}", managers, true, s.apiTeam)
	s.handle("POST", "/api/periods/{period}/runs", adminOnly, true, s.apiRunStart)
	s.handle("GET", "/api/runs/{id}", adminOnly, true, s.apiRun)
	s.handle("GET", "/api/payroll", payrollers, true, s.apiPayroll)
	s.handle("GET", "/api/payroll/{id}/csv", payrollers, true, s.payrollCSV)
	s.handle("POST", "/api/whatif", adminOnly, true, s.apiWhatIf)
	s.handle("GET", "/api/audit", adminOnly, true, s.apiAudit)
}

// handle registers a route: every request is authenticated, checked
// against roles, and (for a non-GET with a session) its CSRF token.
func (s *Server) handle(method, path string, roles []string, api bool, h handlerFunc) {
	rt := Route{Method: method, Path: path, Roles: roles, API: api}
	s.routes = append(s.routes, rt)
	s.mux.HandleFunc(rt.Pattern(), func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		if r.Method != http.MethodGet {
			limit := int64(maxFormBytes)
			if strings.HasSuffix(path, "/whatif") {
				limit = maxPlanBytes
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			var err error
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				err = r.ParseMultipartForm(limit)
			} else {
				err = r.ParseForm()
			}
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				s.fail(w, r, api, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request is larger than %d KiB", limit>>10))
				return
			}
		}
		if roles == nil {
			h(w, r, nil)
			return
		}
		p, err := s.authenticate(r, api)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if p == nil {
			if api {
				writeJSONError(w, http.StatusUnauthorized, "sign in or send an API token (Authorization: Bearer …)")
				return
			}
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		if !slices.Contains(roles, p.User.Role) {
			s.fail(w, r, api, http.StatusForbidden, "your role ("+p.User.Role+") may not use this page")
			return
		}
		if method != http.MethodGet && p.Session != nil {
			got := r.Header.Get(csrfHeader)
			if got == "" {
				got = r.PostFormValue(csrfField)
			}
			if !equal(got, p.Session.CSRF) {
				s.fail(w, r, api, http.StatusForbidden, "missing or wrong CSRF token; reload the page and try again")
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), p)
	})
}

// principalKey holds the request's principal in its context, for pages
// (errors) rendered without it in hand.
type principalKey struct{}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// authenticate finds the session (cookie) or, on API routes, the bearer
// token; nil when neither is valid: a revoked token, a session past its
// expiry or idle timeout, a disabled user's session or token.
func (s *Server) authenticate(r *http.Request, api bool) (*principal, error) {
	ctx := r.Context()
	if auth := r.Header.Get("Authorization"); api && strings.HasPrefix(auth, bearerPrefix) {
		tok, err := s.cfg.Store.APITokenGet(ctx, HashSecret(strings.TrimPrefix(auth, bearerPrefix)))
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if tok.Revoked() {
			return nil, nil
		}
		u, err := s.cfg.Store.UserGetByID(ctx, tok.UserID)
		if err != nil {
			return nil, err
		}
		if u.Disabled() {
			return nil, nil
		}
		return &principal{User: u, Token: true}, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess, err := s.cfg.Store.SessionGet(ctx, HashSecret(c.Value))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := s.cfg.Store.UserGetByID(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled() {
		return nil, nil
	}
	if ok, err := s.sessionUsable(ctx, &sess); !ok || err != nil {
		return nil, err
	}
	return &principal{User: u, Session: &sess}, nil
}

// fail answers an error status: JSON on the API, a page otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, api bool, status int, msg string) {
	if api || strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSONError(w, status, msg)
		return
	}
	p, _ := r.Context().Value(principalKey{}).(*principal)
	s.renderStatus(w, r, p, status, "error", map[string]any{"Status": status, "StatusText": http.StatusText(status), "Message": msg})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, false, http.StatusNotFound, "no such page")
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.cfg.Log.Printf("icomp serve: %s %s: %v", r.Method, r.URL.Path, err)
	s.fail(w, r, false, http.StatusInternalServerError, "something went wrong; the server log says what")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// clientIP is the request's remote address without the port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// secure reports whether cookies must be Secure: the request came over
// TLS, or a TLS proxy serves the app (Config.TLS).
func (s *Server) secure(r *http.Request) bool { return s.cfg.TLS || r.TLS != nil }

func (s *Server) nowText() string { return s.cfg.Now().UTC().Format(time.RFC3339) }

// audit appends an admin action to the audit log.
func (s *Server) audit(ctx context.Context, p *principal, action, detail string) error {
	return s.cfg.Store.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.AuditInsert(ctx, storage.AuditEntry{At: s.nowText(), Actor: p.User.Email, Action: action, Detail: detail})
		return err
	})
}
