package cli

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Limits of the log throttle.
const (
	// logRepeatWindow is how long a message, once written, is not written
	// again: a dead database makes River log a failed fetch every few
	// milliseconds.
	logRepeatWindow = 10 * time.Second
	// logRepeatKeysMax bounds the messages remembered; past it the memory
	// starts afresh.
	logRepeatKeysMax = 1000
)

// throttleHandler is a slog.Handler that writes each message (by level
// and text, whatever its attributes) at most once per window. The first
// record written after a window adds repeated=N: how many identical
// messages were dropped since the last one written.
type throttleHandler struct {
	next   slog.Handler
	window time.Duration
	now    func() time.Time
	state  *throttleState
}

// throttleState is shared by a handler and those derived from it, so that
// WithAttrs does not reset the counts.
type throttleState struct {
	mu   sync.Mutex
	seen map[string]*throttleEntry
}

type throttleEntry struct {
	written time.Time
	dropped int
}

// newThrottleHandler wraps next; now is the clock (time.Now when nil).
func newThrottleHandler(next slog.Handler, window time.Duration, now func() time.Time) *throttleHandler {
	if now == nil {
		now = time.Now
	}
	return &throttleHandler{next: next, window: window, now: now, state: &throttleState{seen: map[string]*throttleEntry{}}}
}

// Enabled reports whether next handles level.
func (h *throttleHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle writes r unless the same message was written less than a window ago.
func (h *throttleHandler) Handle(ctx context.Context, r slog.Record) error {
	key := r.Level.String() + "\x00" + r.Message
	now := h.now()
	s := h.state
	s.mu.Lock()
	e := s.seen[key]
	if e != nil && now.Sub(e.written) < h.window {
		e.dropped++
		s.mu.Unlock()
		return nil
	}
	if e == nil {
		if len(s.seen) >= logRepeatKeysMax {
			clear(s.seen)
		}
		e = &throttleEntry{}
		s.seen[key] = e
	}
	dropped := e.dropped
	e.written, e.dropped = now, 0
	s.mu.Unlock()
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", dropped))
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a handler with attrs that shares h's counts.
func (h *throttleHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	return &c
}

// WithGroup returns a handler in group name that shares h's counts.
func (h *throttleHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}

// riverLogger is the logger of River clients that share a Postgres
// database: warnings and errors to w, each repeated message at most once
// per logRepeatWindow.
func riverLogger(w io.Writer) *slog.Logger {
	return slog.New(newThrottleHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}), logRepeatWindow, nil))
}
