package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/disputes"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

// disputeError makes a request the dispute workflow calls invalid a usage
// error (exit 2); state conflicts and unknown disputes exit 1.
func disputeError(err error) error {
	if errors.Is(err, disputes.ErrInvalid) {
		return usageError{err}
	}
	return err
}

func newDisputeCmd(e *env, db *string) *cobra.Command {
	cmd := group("dispute", "Disputes of statement lines and missing deals: open, review, resolve (with an adjustment or a rejection), list, aging")
	cmd.AddCommand(newDisputeOpenCmd(e, db), newDisputeListCmd(e, db), newDisputeShowCmd(e, db), newDisputeReviewCmd(e, db),
		newDisputeResolveCmd(e, db), newDisputeAgingCmd(e, db))
	return cmd
}

func byOrWhoami(by string) string {
	if by == "" {
		return whoami()
	}
	return by
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func checkFormat(format string) error {
	if format != "text" && format != "json" {
		return usageError{fmt.Errorf("--format %q: want text or json", format)}
	}
	return nil
}

func newDisputeOpenCmd(e *env, db *string) *cobra.Command {
	var req disputes.OpenRequest
	var line string
	cmd := &cobra.Command{
		Use:   "open --person P --period X (--line PLAN/COMPONENT | --deal TXN) --text TEXT [--by WHO]",
		Short: "Open a dispute of a statement line or of a missing deal",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (line == "") == (req.Txn == "") {
				return usageError{errors.New("give either --line PLAN/COMPONENT or --deal TXN")}
			}
			if line != "" {
				plan, subject, ok := strings.Cut(line, "/")
				if !ok || subject == "" || plan == "" && !strings.HasPrefix(subject, ledger.AdjustmentSubjectPrefix) {
					return usageError{fmt.Errorf("--line %q: write it as PLAN/COMPONENT, e.g. golden-ae/commission (an adjustment's line: /adjustment/N)", line)}
				}
				req.Plan, req.Subject = plan, subject
			}
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			req.By, req.At = byOrWhoami(req.By), nowText()
			d, err := disputes.Open(ctx, ws.store, req)
			if err != nil {
				return disputeError(err)
			}
			fmt.Fprintf(e.out, "dispute %d opened: %s for %s in %s\n", d.ID, disputes.About(d), d.Person, d.Period)
			return nil
		},
	}
	cmd.Flags().StringVar(&req.Person, "person", "", "person id (required)")
	cmd.Flags().StringVar(&req.Period, "period", "", "the statement's period, e.g. 2027-Q1 (required)")
	cmd.Flags().StringVar(&line, "line", "", "the disputed statement line, PLAN/COMPONENT")
	cmd.Flags().StringVar(&req.Txn, "deal", "", "the transaction id of a missing deal")
	cmd.Flags().StringVar(&req.Text, "text", "", "what is wrong (required)")
	cmd.Flags().StringVar(&req.By, "by", "", "who opens it, for the record (default: the current user)")
	for _, f := range []string{"person", "period", "text"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func newDisputeListCmd(e *env, db *string) *cobra.Command {
	var p storage.DisputeListParams
	var format string
	cmd := &cobra.Command{
		Use:   "list [--state open|in_review|resolved] [--person P] [--period X]",
		Short: "List disputes with their state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			ds, err := disputes.List(ctx, ws.store, p)
			if err != nil {
				return disputeError(err)
			}
			if format == "json" {
				views := make([]disputeJSON, 0, len(ds))
				for _, d := range ds {
					views = append(views, toJSON(disputes.View{Dispute: d}))
				}
				return writeJSON(e.out, views)
			}
			tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "id\tstate\tperson\tperiod\tabout\topened\tlast change")
			for _, d := range ds {
				last := d.Last()
				state := d.State()
				if last.Resolution != "" {
					state += " (" + last.Resolution + ")"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s by %s\n", d.ID, state, d.Person, d.Period, disputes.About(d), d.OpenedAt, last.At, last.By)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&p.State, "state", "", "only disputes in this state: open, in_review or resolved")
	cmd.Flags().StringVar(&p.Person, "person", "", "only this person's disputes")
	cmd.Flags().StringVar(&p.Period, "period", "", "only disputes about this period")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

// disputeJSON is a dispute as `dispute show|list --format json` print it.
type disputeJSON struct {
	ID         int64                        `json:"id"`
	Person     string                       `json:"person"`
	Period     string                       `json:"period"`
	Line       string                       `json:"line,omitempty"`
	Deal       string                       `json:"deal,omitempty"`
	Text       string                       `json:"text"`
	OpenedBy   string                       `json:"opened_by"`
	OpenedAt   string                       `json:"opened_at"`
	State      string                       `json:"state"`
	Resolution string                       `json:"resolution,omitempty"`
	Adjustment *reports.StatementAdjustment `json:"adjustment,omitempty"`
	History    []disputeEventJSON           `json:"history"`
}

type disputeEventJSON struct {
	Seq          int    `json:"seq"`
	State        string `json:"state"`
	Resolution   string `json:"resolution,omitempty"`
	Note         string `json:"note,omitempty"`
	AdjustmentID int64  `json:"adjustment_id,omitempty"`
	By           string `json:"by"`
	At           string `json:"at"`
}

func toJSON(v disputes.View) disputeJSON {
	out := disputeJSON{ID: v.ID, Person: v.Person, Period: v.Period, Deal: v.Txn, Text: v.Text, OpenedBy: v.OpenedBy, OpenedAt: v.OpenedAt,
		State: v.State(), Resolution: v.Last().Resolution, History: []disputeEventJSON{}}
	if a := v.Adjustment; a != nil {
		out.Adjustment = &reports.StatementAdjustment{ID: a.ID, Amount: a.Amount, Currency: a.Currency, EarningCode: a.EarningCode,
			Reason: a.Reason, By: a.CreatedBy, At: a.CreatedAt}
	}
	if v.Txn == "" {
		out.Line = v.Plan + "/" + v.Subject
	}
	for _, ev := range v.Events {
		out.History = append(out.History, disputeEventJSON{Seq: ev.Seq, State: ev.State, Resolution: ev.Resolution, Note: ev.Note,
			AdjustmentID: ev.AdjustmentID, By: ev.By, At: ev.At})
	}
	return out
}

func parseDisputeID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Errorf("dispute id %q: want a number such as 3", s)}
	}
	return id, nil
}

func newDisputeShowCmd(e *env, db *string) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a dispute with its whole history and the adjustment it posted",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			id, err := parseDisputeID(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			v, err := disputes.Show(ctx, ws.store, id)
			if err != nil {
				return disputeError(err)
			}
			if format == "json" {
				return writeJSON(e.out, toJSON(v))
			}
			writeDisputeText(e.out, v)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

func writeDisputeText(w io.Writer, v disputes.View) {
	fmt.Fprintf(w, "dispute %d: %s for %s in %s\n", v.ID, disputes.About(v.Dispute), v.Person, v.Period)
	fmt.Fprintf(w, "  %s\n", v.Text)
	state := v.State()
	if r := v.Last().Resolution; r != "" {
		state += " (" + r + ")"
	}
	fmt.Fprintf(w, "state: %s\nhistory:\n", state)
	for _, ev := range v.Events {
		line := fmt.Sprintf("  %d  %-9s  %s by %s", ev.Seq, ev.State, ev.At, ev.By)
		if ev.Resolution != "" {
			line += ", " + ev.Resolution
		}
		if ev.Seq > 1 && ev.Note != "" {
			line += ": " + ev.Note
		}
		if ev.AdjustmentID != 0 {
			line += fmt.Sprintf(" (adjustment %d)", ev.AdjustmentID)
		}
		fmt.Fprintln(w, line)
	}
	if a := v.Adjustment; a != nil {
		fmt.Fprintf(w, "adjustment %d: %s %s [%s] in %s: %s\n", a.ID, a.Amount.StringFixed(money.MustPrecision(a.Currency)), a.Currency, a.EarningCode, a.Period, a.Reason)
	}
}

func newDisputeReviewCmd(e *env, db *string) *cobra.Command {
	var by, note string
	cmd := &cobra.Command{
		Use:   "review ID [--note TEXT] [--by WHO]",
		Short: "Take an open dispute into review",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseDisputeID(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			d, err := disputes.Review(ctx, ws.store, id, note, byOrWhoami(by), nowText())
			if err != nil {
				return disputeError(err)
			}
			fmt.Fprintf(e.out, "dispute %d is in review (%s)\n", d.ID, d.Last().By)
			return nil
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "a note for the record")
	cmd.Flags().StringVar(&by, "by", "", "who reviews, for the record (default: the current user)")
	return cmd
}

func newDisputeResolveCmd(e *env, db *string) *cobra.Command {
	var req disputes.ResolveRequest
	var by string
	cmd := &cobra.Command{
		Use:   "resolve ID (--adjust AMOUNT --earning-code CODE [--currency C] | --reject) --note TEXT [--by WHO]",
		Short: "Resolve a dispute: post an adjustment linked to it, or reject it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseDisputeID(args[0])
			if err != nil {
				return err
			}
			if req.Reject == (req.Amount != "") {
				return usageError{errors.New("give either --adjust AMOUNT (with --earning-code) or --reject")}
			}
			if req.Amount != "" && req.EarningCode == "" {
				return usageError{errors.New("--adjust needs --earning-code: the payroll earning code the amount is paid under")}
			}
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			req.ID, req.By, req.At = id, byOrWhoami(by), nowText()
			req.FieldNames = map[string]string{"amount": "adjust", "earning_code": "earning-code"}
			res, err := disputes.Resolve(ctx, ws.store, req)
			if err != nil {
				return disputeError(err)
			}
			a := res.Adjustment
			if a == nil {
				fmt.Fprintf(e.out, "dispute %d resolved: rejected\n", res.Dispute.ID)
				return nil
			}
			fmt.Fprintf(e.out, "dispute %d resolved: adjustment %d recorded: %s %s %s for %s in %s; run the period to make it payable (icomp run --period %s)\n",
				res.Dispute.ID, a.ID, a.Amount.StringFixed(money.MustPrecision(a.Currency)), a.Currency, a.EarningCode, a.Person, a.Period, a.Period)
			if res.PostsInto != a.Period {
				fmt.Fprintf(e.errOut, "%s is closed: the adjustment posts into %s as a prior-period adjustment\n", a.Period, res.PostsInto)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&req.Amount, "adjust", "", "resolve with an adjustment of this amount, e.g. 125.50 (negative takes back)")
	cmd.Flags().StringVar(&req.EarningCode, "earning-code", "", "payroll earning code of the adjustment")
	cmd.Flags().StringVar(&req.Currency, "currency", "", "currency of the adjustment (default: the disputed line's, else the person's)")
	cmd.Flags().BoolVar(&req.Reject, "reject", false, "resolve by rejecting the dispute; posts nothing")
	cmd.Flags().StringVar(&req.Note, "note", "", "the resolution, shown on the statement (required)")
	cmd.Flags().StringVar(&by, "by", "", "who resolves, for the record (default: the current user)")
	_ = cmd.MarkFlagRequired("note")
	return cmd
}

func newDisputeAgingCmd(e *env, db *string) *cobra.Command {
	var asOf, format string
	cmd := &cobra.Command{
		Use:   "aging [--as-of YYYY-MM-DD]",
		Short: "Open and in-review disputes by age: 0-7, 8-30 and 31+ days",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			day := time.Now().UTC().Format(time.DateOnly)
			if asOf != "" {
				day = asOf
			}
			d, err := period.ParseDate(day)
			if err != nil {
				return usageError{fmt.Errorf("--as-of %q: %v", asOf, err)}
			}
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			rep, err := disputes.Aging(ctx, ws.store, d)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(e.out, rep)
			}
			fmt.Fprintf(e.out, "Unresolved disputes as of %s\n", rep.AsOf)
			for _, b := range rep.Buckets {
				fmt.Fprintf(e.out, "\n%s: %d\n", b.Label, len(b.Disputes))
				for _, x := range b.Disputes {
					fmt.Fprintf(e.out, "  %4d  %3d days  %-9s  %s  %s  %s\n", x.ID, x.AgeDays, x.State, x.Person, x.Period, x.About)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&asOf, "as-of", "", "the day to age disputes to (default: today, UTC)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}
