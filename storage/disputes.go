package storage

import "context"

// Dispute states: the state of a dispute is its newest event's.
const (
	DisputeOpen     = "open"
	DisputeInReview = "in_review"
	DisputeResolved = "resolved"
)

// Dispute resolutions, on a resolved event.
const (
	ResolutionAdjusted = "adjusted"
	ResolutionRejected = "rejected"
)

// Dispute is a rep's challenge of one statement line or of a missing deal
// (docs/disputes.md). The dispute row never changes: every transition is
// a DisputeEvent, and Events is the whole history, oldest first.
type Dispute struct {
	ID     int64
	Person string
	// Period is the earned period the dispute is about.
	Period string
	// Plan and Subject name a disputed ledger line (with Person and
	// Period, its logical key); both empty for a missing deal.
	Plan, Subject string
	// Txn is the transaction a missing-deal dispute names; empty for a
	// line dispute.
	Txn      string
	Text     string
	OpenedBy string
	OpenedAt string
	Events   []DisputeEvent
}

// State is the state of the newest event (DisputeOpen when there is none).
func (d Dispute) State() string {
	if len(d.Events) == 0 {
		return DisputeOpen
	}
	return d.Events[len(d.Events)-1].State
}

// Last is the newest event (the zero event when there is none).
func (d Dispute) Last() DisputeEvent {
	if len(d.Events) == 0 {
		return DisputeEvent{}
	}
	return d.Events[len(d.Events)-1]
}

// DisputeEvent is one transition of a dispute: who moved it to State,
// when, and why. Seq numbers a dispute's events from 1; storing a Seq
// that exists already fails, so two racing transitions cannot both win.
type DisputeEvent struct {
	DisputeID int64
	Seq       int
	State     string
	// Resolution is ResolutionAdjusted or ResolutionRejected on a resolved
	// event, else empty.
	Resolution string
	Note       string
	// AdjustmentID is the adjustment an adjusted resolution posted; 0
	// when none.
	AdjustmentID int64
	By, At       string
}

// DisputeListParams selects disputes; empty fields match all.
type DisputeListParams struct {
	Person string
	Period string
	// State keeps the disputes whose newest event has this state.
	State string
}

// DisputeReader reads disputes with their history.
type DisputeReader interface {
	// DisputeGet returns one dispute with its events; ErrNotFound when
	// there is no such id.
	DisputeGet(ctx context.Context, id int64) (Dispute, error)
	// DisputeList lists disputes with their events, by id.
	DisputeList(ctx context.Context, p DisputeListParams) ([]Dispute, error)
}
