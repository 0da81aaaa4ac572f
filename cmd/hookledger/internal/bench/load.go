package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// loadSpec is one timed phase of the load generator.
type loadSpec struct {
	URLs     []string      // worker i sends to URLs[i % len(URLs)]
	Conns    int           // concurrent keep-alive connections, one worker each
	Warmup   time.Duration // requests started before this are sent but not measured
	Duration time.Duration // measured time after the warm-up
	Pool     *eventPool
	// Wrap reuses the pool's events cyclically (the bare handler does not
	// care about duplicates); without it the phase stops when the pool is
	// used up, so every event is sent once.
	Wrap bool
}

// loadResult is what one phase measured. Latencies are in milliseconds.
type loadResult struct {
	Requests      int         `json:"requests"`       // measured requests (after the warm-up)
	OK            int         `json:"ok"`             // of those, answered 2xx
	Errors        int         `json:"errors"`         // of those, not 2xx or failed in transport
	Statuses      map[int]int `json:"statuses"`       // every measured answer, by status (0: transport error)
	Seconds       float64     `json:"seconds"`        // measured wall time
	RPS           float64     `json:"rps"`            // 2xx answers per second
	P50           float64     `json:"p50_ms"`         // latency percentiles over measured requests
	P99           float64     `json:"p99_ms"`         //
	Max           float64     `json:"max_ms"`         //
	Sent          int         `json:"sent"`           // every request, warm-up included
	Acked         int         `json:"acked"`          // every 2xx answer, warm-up included
	PoolExhausted bool        `json:"pool_exhausted"` // stopped early: every pre-signed event was sent
	// CPUPerRequest is the bench process's CPU time (user+system, load
	// generator and server together) per request sent, in µs. Unlike
	// req/s it hardly moves when other work shares the machine.
	CPUPerRequest float64 `json:"cpu_us_per_request"`
	acked         []bool  // by event sequence number, when !Wrap
}

// loadWorker is one connection's share of the results.
type loadWorker struct {
	lat      []time.Duration
	statuses map[int]int
	sent     int
	acked    int
}

// runLoad drives spec.Conns workers against spec.URLs until the warm-up and
// the measured duration have passed (or the pool is used up) and returns
// what they measured.
func runLoad(ctx context.Context, spec loadSpec) loadResult {
	client := loadClient(spec.Conns)
	defer client.CloseIdleConnections()
	cpu0 := processCPU()
	start := time.Now()
	warmEnd, end := start.Add(spec.Warmup), start.Add(spec.Warmup+spec.Duration)
	var next atomic.Int64
	var exhausted atomic.Bool
	acked := make([]bool, spec.Pool.Len())
	workers := make([]*loadWorker, spec.Conns)
	var wg sync.WaitGroup
	for i := range workers {
		url := spec.URLs[i%len(spec.URLs)]
		w := &loadWorker{statuses: map[int]int{}}
		workers[i] = w
		wg.Go(func() {
			buf := make([]byte, len(spec.Pool.tmpl))
			for ctx.Err() == nil && time.Now().Before(end) {
				seq := int(next.Add(1) - 1)
				if seq >= spec.Pool.Len() {
					if !spec.Wrap {
						exhausted.Store(true)
						return
					}
					seq %= spec.Pool.Len()
				}
				t0 := time.Now()
				status := post(ctx, client, url, spec.Pool.render(buf, seq), spec.Pool, seq)
				w.record(t0, time.Since(t0), status, warmEnd)
				if status/100 == 2 && !spec.Wrap {
					acked[seq] = true
				}
			}
		})
	}
	wg.Wait()
	res := summarize(workers, max(time.Since(warmEnd), 0))
	res.PoolExhausted = exhausted.Load()
	if res.Sent > 0 {
		res.CPUPerRequest = float64((processCPU() - cpu0).Microseconds()) / float64(res.Sent)
	}
	if !spec.Wrap {
		res.acked = acked
	}
	return res
}

// record notes one request started at t0 that took d and was answered
// status; only those started after warmEnd are measured.
func (w *loadWorker) record(t0 time.Time, d time.Duration, status int, warmEnd time.Time) {
	w.sent++
	if status/100 == 2 {
		w.acked++
	}
	if t0.Before(warmEnd) {
		return
	}
	w.lat = append(w.lat, d)
	w.statuses[status]++
}

// post sends event seq of pool, its body rendered in body, and returns the
// status answered, 0 when the request failed in transport.
func post(ctx context.Context, client *http.Client, url string, body []byte, pool *eventPool, seq int) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	pool.setHeaders(req.Header, seq)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	// Drain so the connection is kept alive for the next request.
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// loadClient returns a client holding at most conns keep-alive
// connections to the one loopback host.
func loadClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
	}
}

// summarize merges the workers' measurements.
func summarize(workers []*loadWorker, measured time.Duration) loadResult {
	res := loadResult{Statuses: map[int]int{}, Seconds: measured.Seconds()}
	var lat []time.Duration
	for _, w := range workers {
		lat = append(lat, w.lat...)
		res.Sent += w.sent
		res.Acked += w.acked
		for status, n := range w.statuses {
			res.Statuses[status] += n
			res.Requests += n
			if status/100 == 2 {
				res.OK += n
			} else {
				res.Errors += n
			}
		}
	}
	if res.Seconds > 0 {
		res.RPS = float64(res.OK) / res.Seconds
	}
	slices.Sort(lat)
	res.P50, res.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if len(lat) > 0 {
		res.Max = app.MillisOf(lat[len(lat)-1])
	}
	return res
}

// percentile returns the q-th quantile of sorted (nearest rank), in ms.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return app.MillisOf(sorted[min(max(i, 0), len(sorted)-1)])
}

// processCPU returns the CPU time (user and system) this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
