package cli

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestThrottleHandler: a message repeated many times within the window is
// written once; the first one after the window says how many were
// dropped; other messages are not held back.
func TestThrottleHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newThrottleHandler(slog.NewTextHandler(&buf, nil), 10*time.Second, func() time.Time { return now })
	log := slog.New(h).With("client", "w1")
	for i := range 1000 {
		log.Error("producer: Error fetching jobs", "err", "dial tcp: connection refused", "n", i)
		now = now.Add(5 * time.Millisecond) // 200 a second, for 5 s
	}
	log.Warn("something else")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "Error fetching jobs") || strings.Contains(lines[0], "repeated=") ||
		!strings.Contains(lines[1], "something else") {
		t.Fatalf("1000 identical errors in 5 s and one other message wrote:\n%s\nwant the first error and the other message", buf.String())
	}
	now = now.Add(5 * time.Second)
	log.Error("producer: Error fetching jobs", "err", "dial tcp: connection refused")
	lines = strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], "repeated=999") || !strings.Contains(lines[2], "client=w1") {
		t.Fatalf("after the window wrote:\n%s\nwant the error again with repeated=999", buf.String())
	}
	log.Error("producer: Error fetching jobs")
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Fatalf("a repeat right after a write was written too:\n%s", buf.String())
	}
}
