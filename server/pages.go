package server

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

// page is what every template gets.
type page struct {
	User    *storage.User
	CSRF    string
	Title   string
	Refresh int
	Data    any
}

var funcs = template.FuncMap{
	"pct": func(ratio string) string {
		d, err := decimal.NewFromString(ratio)
		if err != nil {
			return ratio
		}
		return d.Shift(2).StringFixed(1) + "%"
	},
	// bar is the width (0..300) of an attainment bar: 100% is 200.
	"bar": func(ratio string) int {
		d, err := decimal.NewFromString(ratio)
		if err != nil || d.IsNegative() {
			return 0
		}
		w := d.Mul(decimal.NewFromInt(200)).IntPart()
		return int(min(w, 300))
	},
	"money":      func(d decimal.Decimal, currency string) string { return d.StringFixed(2) + " " + currency },
	"traceLines": reports.TraceLines,
	"has":        func(u *storage.User, role string) bool { return u != nil && u.Role == role },
}

func (s *Server) parseTemplates() error {
	s.tmpl = map[string]*template.Template{}
	names, err := templateFS.ReadDir("templates")
	if err != nil {
		return err
	}
	for _, n := range names {
		name := strings.TrimSuffix(n.Name(), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n.Name())
		if err != nil {
			return err
		}
		s.tmpl[name] = t
	}
	return nil
}

// render executes the named page into a buffer first, so that a template
// error is a 500, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, p *principal, name string, data any) {
	s.renderStatus(w, r, p, http.StatusOK, name, data)
}

// renderStatus is render with another status than 200.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, p *principal, status int, name string, data any) {
	pg := page{Data: data, Title: name}
	if p != nil {
		pg.User = &p.User
		if p.Session != nil {
			pg.CSRF = p.Session.CSRF
		}
	}
	if m, ok := data.(map[string]any); ok {
		if t, ok := m["Title"].(string); ok {
			pg.Title = t
		}
		if n, ok := m["Refresh"].(int); ok {
			pg.Refresh = n
		}
	}
	var buf bytes.Buffer
	if err := s.tmpl[name].ExecuteTemplate(&buf, "layout", pg); err != nil {
		s.cfg.Log.Printf("icomp serve: template %s: %v", name, err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// ---- sign-in ----

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request, _ *principal) {
	s.signinPage(w, r, http.StatusOK, "")
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	token := NewSecret()
	http.SetCookie(w, &http.Cookie{Name: preCSRFCookie, Value: token, Path: "/signin", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	s.renderStatus(w, r, nil, status, "signin", map[string]any{"Title": "Sign in", "Token": token, "Message": msg})
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request, _ *principal) {
	ctx := r.Context()
	c, err := r.Cookie(preCSRFCookie)
	if err != nil || c.Value == "" || !equal(r.PostFormValue(csrfField), c.Value) {
		s.signinPage(w, r, http.StatusForbidden, "The sign-in form expired; try again.")
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	now := s.cfg.Now()
	// The email is hashed: a key of bounded size, whatever was typed.
	keys := []string{"email:" + HashSecret(email), "ip:" + clientIP(r)}
	if !s.limiter.attempt(now, keys...) {
		s.signinPage(w, r, http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins: wait up to %d minutes.", int(FailureWindow.Minutes())))
		return
	}
	u, err := s.cfg.Store.UserGet(ctx, email)
	hash := u.PasswordHash
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			s.serverError(w, r, err)
			return
		}
		hash = dummyHash
	}
	// Each check takes 19 MiB and a core for a while: at most one per
	// core at once, the rest are asked to come back.
	select {
	case s.hashSlots <- struct{}{}:
	default:
		s.signinPage(w, r, http.StatusServiceUnavailable, "The server is busy signing people in; try again in a moment.")
		return
	}
	ok := CheckPassword(hash, r.PostFormValue("password"))
	<-s.hashSlots
	// A disabled user is told what a wrong password is told: the page
	// does not say which accounts exist or are disabled.
	if !ok || err != nil || u.Disabled() {
		s.signinPage(w, r, http.StatusUnauthorized, "Wrong email or password.")
		return
	}
	s.limiter.succeeded(now, keys[0], keys[1])
	id := NewSecret()
	sess := storage.Session{IDHash: HashSecret(id), UserID: u.ID, CSRF: NewSecret(),
		CreatedAt: now.UTC().Format(time.RFC3339), ExpiresAt: now.Add(SessionTTL).UTC().Format(time.RFC3339)}
	if err := s.cfg.Store.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.SessionDeleteExpired(ctx, sess.CreatedAt); err != nil {
			return err
		}
		return tx.SessionInsert(ctx, sess)
	}); err != nil {
		s.serverError(w, r, err)
		return
	}
	// Admins' cookie is SameSite=Strict: no admin page is reached signed
	// in from a link on another site. Lax for the others, so that a link
	// to a statement in an email opens it.
	same := http.SameSiteLaxMode
	if u.Role == storage.RoleAdmin {
		same = http.SameSiteStrictMode
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: s.secure(r),
		SameSite: same, Expires: now.Add(SessionTTL)})
	http.SetCookie(w, &http.Cookie{Name: preCSRFCookie, Value: "", Path: "/signin", MaxAge: -1})
	if u.Role == storage.RoleAdmin {
		if err := s.audit(ctx, &principal{User: u}, "signin", "from "+clientIP(r)); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request, p *principal) {
	if p.Session != nil {
		if err := s.cfg.Store.InTx(r.Context(), func(tx storage.Tx) error { return tx.SessionDelete(r.Context(), p.Session.IDHash) }); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r)})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, p *principal) {
	to := map[string]string{storage.RoleAdmin: "/admin", storage.RolePayroll: "/payroll", storage.RoleManager: "/team", storage.RoleRep: "/statements"}[p.User.Role]
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// ---- statements ----

// periodLabels lists the periods with a row (run or changed), the one
// ending last first, the longest first among those ending the same day (a
// quarter before its last month).
func (s *Server) periodLabels(r *http.Request) ([]storage.PeriodRecord, error) {
	ps, err := s.cfg.Store.PeriodList(r.Context())
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].End != ps[j].End {
			return ps[i].End > ps[j].End
		}
		return ps[i].Start < ps[j].Start
	})
	return ps, nil
}

func (s *Server) statementsPage(w http.ResponseWriter, r *http.Request, p *principal) {
	ctx := r.Context()
	person := r.URL.Query().Get("person")
	if person == "" {
		person = p.User.Person
	}
	ps, err := s.periodLabels(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var people []storage.PersonRecord
	if p.User.Role == storage.RoleAdmin {
		if people, err = s.cfg.Store.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: period.MustDate("9999-12-31")}); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	if person != "" && person != p.User.Person && len(ps) > 0 {
		if _, err := s.statementAccess(ctx, p, person, ps[0].Label); err != nil {
			s.notFound(w, r)
			return
		}
	}
	s.render(w, r, p, "statements", map[string]any{"Title": "Statements", "Person": person, "Periods": ps, "People": people})
}

func (s *Server) loadStatement(w http.ResponseWriter, r *http.Request, p *principal) (*reports.Statement, bool) {
	person, label := r.PathValue("person"), r.PathValue("period")
	if _, err := s.statementAccess(r.Context(), p, person, label); err != nil {
		if errors.Is(err, errHidden) {
			s.fail(w, r, false, http.StatusNotFound, "no such statement")
		} else {
			s.serverError(w, r, err)
		}
		return nil, false
	}
	st, err := buildStatement(r, s, person, label)
	if err != nil {
		s.serverError(w, r, err)
		return nil, false
	}
	return st, true
}

// buildStatement is the person's statement, empty when nothing was posted
// for them in the period.
func buildStatement(r *http.Request, s *Server, person, label string) (*reports.Statement, error) {
	st, err := reports.BuildStatement(r.Context(), s.cfg.Store, person, label)
	if errors.Is(err, reports.ErrNoLines) {
		st, err = &reports.Statement{Person: person, Period: label}, nil
		if people, perr := s.cfg.Store.PersonListAsOf(r.Context(), storage.PersonListAsOfParams{Date: period.MustDate("9999-12-31"), IDs: []string{person}}); perr == nil && len(people) > 0 {
			st.Name = people[0].Name
		}
	}
	return st, err
}

func (s *Server) payoutPage(w http.ResponseWriter, r *http.Request, p *principal) {
	st, ok := s.loadStatement(w, r, p)
	if !ok {
		return
	}
	plan, comp := r.PathValue("plan"), r.PathValue("component")
	for _, ps := range st.Plans {
		if ps.Plan != plan {
			continue
		}
		for _, po := range ps.Payouts {
			if po.Component == comp {
				s.render(w, r, p, "payout", map[string]any{"Title": comp + " · " + st.Period, "S": st, "Plan": ps, "Payout": po,
					"Back": "/statements/" + urlPart(st.Person) + "/" + urlPart(st.Period)})
				return
			}
		}
	}
	s.fail(w, r, false, http.StatusNotFound, "no such payout line")
}

// ---- team ----

// TeamRow is one person of a manager's team view.
type TeamRow struct {
	Person   string                     `json:"person"`
	Name     string                     `json:"name"`
	Role     string                     `json:"role"`
	Manager  string                     `json:"manager"`
	Earned   []reports.CurrencyTotal    `json:"earned"`
	Measures []reports.StatementMeasure `json:"measures"`
}

func (s *Server) team(r *http.Request, p *principal, label string) ([]TeamRow, error) {
	ctx := r.Context()
	per, err := periods.Parse(ctx, s.cfg.Store, label)
	if err != nil {
		return nil, errHidden
	}
	people, err := s.teamOf(ctx, p, per, r.URL.Query().Get("manager"))
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(people))
	for i, x := range people {
		ids[i] = x.ID
	}
	// The totals the rows show, read for the whole team at once: not a
	// statement per person (TestTeamMatchesStatements).
	totals, err := reports.TeamTotals(ctx, s.cfg.Store, label, ids)
	if err != nil {
		return nil, err
	}
	rows := []TeamRow{}
	for _, x := range people {
		t := totals[x.ID]
		rows = append(rows, TeamRow{Person: x.ID, Name: x.Name, Role: x.Role, Manager: x.Manager, Earned: t.Earned, Measures: t.Measures})
	}
	return rows, nil
}

func (s *Server) teamPage(w http.ResponseWriter, r *http.Request, p *principal) {
	ps, err := s.periodLabels(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	label := r.URL.Query().Get("period")
	if label == "" && len(ps) > 0 {
		label = ps[0].Label
	}
	var rows []TeamRow
	if label != "" {
		if rows, err = s.team(r, p, label); errors.Is(err, errHidden) {
			s.notFound(w, r)
			return
		} else if err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.render(w, r, p, "team", map[string]any{"Title": "Team " + label, "Period": label, "Periods": ps, "Rows": rows})
}

// ---- admin ----

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, p *principal) {
	ctx := r.Context()
	ps, err := s.periodLabels(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	runs, err := s.cfg.Store.RunList(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].ID > runs[j].ID })
	if len(runs) > 20 {
		runs = runs[:20]
	}
	s.render(w, r, p, "admin", map[string]any{"Title": "Periods and runs", "Periods": ps, "Runs": runs})
}

// startRun starts (or resumes) a run of the period and records it.
func (s *Server) startRun(r *http.Request, p *principal, label string) (int64, int, error) {
	ctx := r.Context()
	if s.cfg.Runner == nil {
		return 0, http.StatusServiceUnavailable, errors.New("this server has no job runner")
	}
	if _, err := periods.Parse(ctx, s.cfg.Store, label); err != nil {
		return 0, http.StatusNotFound, err
	}
	id, resumed, err := s.cfg.Runner.Start(ctx, jobs.StartParams{Period: label})
	if errors.Is(err, jobs.ErrPlansChanged) {
		return 0, http.StatusConflict, err
	}
	if errors.Is(err, jobs.ErrNoPlans) {
		// A period no published plan computes (2027 when every plan pays
		// quarterly, a quarter before the plans take effect): the
		// caller's mistake, not the server's.
		return 0, http.StatusBadRequest, err
	}
	if err != nil {
		return 0, http.StatusInternalServerError, err
	}
	what := "started"
	if resumed {
		what = "resumed"
	}
	if err := s.audit(ctx, p, "run.start", fmt.Sprintf("%s run %d of %s", what, id, label)); err != nil {
		return id, http.StatusInternalServerError, err
	}
	return id, http.StatusAccepted, nil
}

// adminRun starts a run of the period in the path, or (POST /admin/runs)
// in the form field period.
func (s *Server) adminRun(w http.ResponseWriter, r *http.Request, p *principal) {
	label := r.PathValue("period")
	if label == "" {
		label = strings.TrimSpace(r.PostFormValue("period"))
	}
	id, status, err := s.startRun(r, p, label)
	if err != nil {
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
		} else {
			s.fail(w, r, false, status, err.Error())
		}
		return
	}
	http.Redirect(w, r, "/admin/runs/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) setStatus(w http.ResponseWriter, r *http.Request, p *principal, to string) {
	ctx := r.Context()
	label := r.PathValue("period")
	err := s.cfg.Store.InTx(ctx, func(tx storage.Tx) error {
		per, err := periods.Parse(ctx, tx, label)
		if err != nil {
			return err
		}
		if to == storage.PeriodApproved {
			_, err = periods.Approve(ctx, tx, per, p.User.Email, s.nowText())
		} else {
			_, err = periods.Close(ctx, tx, per, p.User.Email, s.nowText())
		}
		if err != nil {
			return err
		}
		_, err = tx.AuditInsert(ctx, storage.AuditEntry{At: s.nowText(), Actor: p.User.Email, Action: "period." + to, Detail: label})
		return err
	})
	if errors.Is(err, periods.ErrTransition) || errors.Is(err, storage.ErrRunInProgress) {
		s.fail(w, r, false, http.StatusConflict, err.Error())
		return
	}
	if err != nil {
		s.fail(w, r, false, http.StatusBadRequest, err.Error())
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (s *Server) adminApprove(w http.ResponseWriter, r *http.Request, p *principal) {
	s.setStatus(w, r, p, storage.PeriodApproved)
}

func (s *Server) adminClose(w http.ResponseWriter, r *http.Request, p *principal) {
	s.setStatus(w, r, p, storage.PeriodClosed)
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) (storage.Run, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return storage.Run{}, false
	}
	run, err := s.cfg.Store.RunGet(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		s.notFound(w, r)
		return run, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return run, false
	}
	return run, true
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request, p *principal) {
	run, ok := s.getRun(w, r)
	if !ok {
		return
	}
	refresh := 0
	if run.Status == storage.RunRunning {
		refresh = 1
	}
	s.render(w, r, p, "run", map[string]any{"Title": fmt.Sprintf("Run %d", run.ID), "Run": run, "Refresh": refresh})
}

func (s *Server) plansPage(w http.ResponseWriter, r *http.Request, p *principal) {
	ctx := r.Context()
	var versions []storage.PlanVersion
	for _, kind := range []string{plans.KindCompPlan, plans.KindTargetPlan} {
		latest, err := s.cfg.Store.PlanVersionListLatest(ctx, kind)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, v := range latest {
			hist, err := s.cfg.Store.PlanVersionHistory(ctx, v.Name)
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			for i := len(hist) - 1; i >= 0; i-- {
				if hist[i].Kind == kind {
					versions = append(versions, hist[i])
				}
			}
		}
	}
	diffs, diffLinks := planDiffs(versions)
	s.render(w, r, p, "plans", map[string]any{"Title": "Plan versions", "Versions": versions, "Diffs": diffs, "DiffLinks": diffLinks})
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, p *principal) {
	log, err := s.cfg.Store.AuditList(r.Context(), defaultAuditN)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, p, "audit", map[string]any{"Title": "Audit log", "Entries": log})
}

// ---- payroll ----

func (s *Server) payrollPage(w http.ResponseWriter, r *http.Request, p *principal) {
	ex, err := s.cfg.Store.ExportList(r.Context(), "")
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sort.Slice(ex, func(i, j int) bool { return ex[i].ID > ex[j].ID })
	s.render(w, r, p, "payroll", map[string]any{"Title": "Payroll batches", "Batches": ex})
}

func (s *Server) payrollCSV(w http.ResponseWriter, r *http.Request, p *principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	b, err := s.cfg.Store.ExportGet(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.audit(r.Context(), p, "payroll.download", fmt.Sprintf("batch %d of %s (%d rows, sha256 %s)", b.ID, b.Period, b.Lines, b.Digest)); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="payroll-%s-%d.csv"`, safeName(b.Period), b.ID))
	_, _ = w.Write([]byte(b.CSV))
}

// safeName keeps letters, digits and -_. of s (a file name in a header).
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
