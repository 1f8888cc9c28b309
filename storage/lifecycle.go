package storage

import "github.com/shopspring/decimal"

// Period statuses, in lifecycle order.
const (
	PeriodOpen       = "open"
	PeriodCalculated = "calculated"
	PeriodApproved   = "approved"
	PeriodClosed     = "closed"
)

// PeriodRecord is a period of the company calendar and its status.
type PeriodRecord struct {
	Label      string
	Frequency  string
	FiscalYear int
	Start, End string
	Status     string
	// NeedsRerun says why the period must be run again before approval
	// (an earlier period's re-run changed its year-to-date inputs); empty
	// when it need not.
	NeedsRerun string
	// CalculatedRun is the newest finished run of the period.
	CalculatedRun          int64
	ApprovedBy, ApprovedAt string
	ClosedBy, ClosedAt     string
}

// Adjustment is a manual amount for a person and period, with who and
// why: an input that settlement posts as a payable line.
type Adjustment struct {
	ID     int64
	Person string
	// Period is the period the adjustment belongs to (earned in).
	Period      string
	Amount      decimal.Decimal
	Currency    string
	EarningCode string
	Reason      string
	CreatedBy   string
	CreatedAt   string
	// Source is where it came from: "cli" or FILE:LINE of an import.
	Source string
}

// ImportBatch records one import.
type ImportBatch struct {
	ID                           int64
	Kind, File                   string
	Inserted, Changed, Unchanged int
	CreatedAt                    string
}

// SettingFiscalYearStart is the setting holding the company calendar's
// first month of the fiscal year (1–12).
const SettingFiscalYearStart = "fiscal_year_start"

// SettingPayCycleAnchor is the setting holding the first day (YYYY-MM-DD)
// of one of the company's bi-weekly pay cycles; absent until a bi-weekly
// plan is published or run.
const SettingPayCycleAnchor = "pay_cycle_anchor"
