package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// LoadClient is one simulated user of a load test: the requests it sends
// in turn, each with its own headers (a bearer token or a session cookie).
type LoadClient struct {
	Requests []LoadRequest
}

// LoadRequest is one request of a LoadClient.
type LoadRequest struct {
	URL    string
	Header http.Header
}

// LoadResult is what a load test measured: latencies of successful
// requests and how many failed.
type LoadResult struct {
	Requests, Failures int
	P50, P99, Max      time.Duration
	Elapsed            time.Duration
}

func (r LoadResult) String() string {
	return fmt.Sprintf("%d requests in %s (%.0f/s), %d failed; p50 %s, p99 %s, max %s",
		r.Requests, r.Elapsed.Round(time.Millisecond), float64(r.Requests)/r.Elapsed.Seconds(), r.Failures,
		r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond))
}

// Load runs every client concurrently, each sending its requests one
// after the other in a loop, until d has passed: a bounded load test.
// It measures; it asserts nothing about time.
func Load(ctx context.Context, client *http.Client, clients []LoadClient, d time.Duration) LoadResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	failures := 0
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for i := 0; ctx.Err() == nil; i++ {
				lr := c.Requests[i%len(c.Requests)]
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, lr.URL, nil)
				if err != nil {
					bad++
					break
				}
				req.Header = lr.Header.Clone()
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			failures += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	res := LoadResult{Requests: len(lat) + failures, Failures: failures, Elapsed: time.Since(start)}
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		res.P50 = lat[len(lat)*50/100]
		res.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
		res.Max = lat[len(lat)-1]
	}
	return res
}
