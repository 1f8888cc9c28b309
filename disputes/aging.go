package disputes

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/storage"
)

// lastDay reads people's newest attributes.
var lastDay = period.MustDate("9999-12-31")

// AgingBucket is one age range of unresolved disputes, in days since
// they were opened (To 0: no upper bound).
type AgingBucket struct {
	Label    string         `json:"label"`
	From     int            `json:"from_days"`
	To       int            `json:"to_days,omitempty"`
	Disputes []AgingDispute `json:"disputes"`
}

// AgingDispute is an unresolved dispute and its age.
type AgingDispute struct {
	ID     int64  `json:"id"`
	Person string `json:"person"`
	Period string `json:"period"`
	// About is the disputed line (PLAN/COMPONENT) or deal (deal TXN).
	About    string `json:"about"`
	State    string `json:"state"`
	OpenedAt string `json:"opened_at"`
	AgeDays  int    `json:"age_days"`
}

// AgingReport buckets the open and in-review disputes by age as of a day.
type AgingReport struct {
	AsOf    string        `json:"as_of"`
	Buckets []AgingBucket `json:"buckets"`
}

// About names what a dispute is about: PLAN/COMPONENT or "deal TXN".
func About(d storage.Dispute) string {
	if d.Txn != "" {
		return "deal " + d.Txn
	}
	return d.Plan + "/" + d.Subject
}

// Aging buckets the disputes not yet resolved by age on asOf: 0–7, 8–30
// and 31+ days since they were opened (opened_at's UTC day), oldest first
// within a bucket.
func Aging(ctx context.Context, r storage.DisputeReader, asOf period.Date) (AgingReport, error) {
	rep := AgingReport{AsOf: asOf.String(), Buckets: []AgingBucket{
		{Label: "0-7 days", From: 0, To: 7, Disputes: []AgingDispute{}},
		{Label: "8-30 days", From: 8, To: 30, Disputes: []AgingDispute{}},
		{Label: "31+ days", From: 31, Disputes: []AgingDispute{}},
	}}
	ds, err := r.DisputeList(ctx, storage.DisputeListParams{})
	if err != nil {
		return rep, err
	}
	asOfTime := asOf.Time()
	var rows []AgingDispute
	for _, d := range ds {
		if d.State() == storage.DisputeResolved {
			continue
		}
		opened, err := time.Parse(time.RFC3339, d.OpenedAt)
		if err != nil {
			return rep, fmt.Errorf("dispute %d: opened_at %q: %w", d.ID, d.OpenedAt, err)
		}
		y, m, day := opened.UTC().Date()
		age := int(asOfTime.Sub(time.Date(y, m, day, 0, 0, 0, 0, time.UTC)).Hours() / 24)
		if age < 0 {
			continue // opened after asOf
		}
		rows = append(rows, AgingDispute{ID: d.ID, Person: d.Person, Period: d.Period, About: About(d), State: d.State(), OpenedAt: d.OpenedAt, AgeDays: age})
	}
	// Oldest first; ids break ties.
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].AgeDays != rows[j].AgeDays {
			return rows[i].AgeDays > rows[j].AgeDays
		}
		return rows[i].ID < rows[j].ID
	})
	for _, row := range rows {
		b := &rep.Buckets[2]
		switch {
		case row.AgeDays <= 7:
			b = &rep.Buckets[0]
		case row.AgeDays <= 30:
			b = &rep.Buckets[1]
		}
		b.Disputes = append(b.Disputes, row)
	}
	return rep, nil
}
