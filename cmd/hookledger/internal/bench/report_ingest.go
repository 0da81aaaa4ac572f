package bench

import (
	"fmt"
	"io"
)

// printIngest writes the ingest phases side by side: the bare handler,
// then the receiver on each backend, then each receiver's ledger check
// and commit figures.
func (r *Report) printIngest(w io.Writer) {
	if r.Bare == nil {
		return
	}
	type row struct {
		name string
		res  *ingestResult
	}
	rows := []row{}
	if r.Receiver != nil {
		rows = append(rows, row{"hookledger receiver, sqlite", r.Receiver})
	}
	pg := r.Postgres
	if pg != nil && pg.Receiver != nil {
		rows = append(rows, row{"hookledger receiver, postgres", pg.Receiver})
	}
	if pg != nil && pg.Instances != nil {
		rows = append(rows, row{fmt.Sprintf("%d receivers, one postgres", pg.Instances.Instances), pg.Instances})
	}
	fmt.Fprintf(w, "\ningest: %d-byte %s-signed events, %d keep-alive connections, %s measured (+%s warm-up)\n",
		r.Config.Size, r.Config.Source, r.Config.Conns, r.Config.Duration, r.Config.Warmup)
	fmt.Fprintf(w, "  %-30s %9s %9s %9s %9s %7s %12s %15s\n", "", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "cpu µs/req", "server µs/req")
	line := func(name string, res *loadResult, server float64) {
		srv := "-"
		if server > 0 {
			srv = fmt.Sprintf("%.0f", server)
		}
		fmt.Fprintf(w, "  %-30s %9.0f %9.2f %9.2f %9.2f %7d %12.0f %15s\n", name, res.RPS, res.P50, res.P99, res.Max, res.Errors, res.CPUPerRequest, srv)
	}
	line("bare net/http handler", r.Bare, 0)
	for _, rw := range rows {
		line(rw.name, &rw.res.loadResult, rw.res.ServerCPUPerRequest)
	}
	if r.Receiver != nil {
		fmt.Fprintf(w, "  ratio receiver/bare, sqlite: %.2f (by CPU per request: %.2f)\n", r.Ratio, r.CPURatio)
	}
	if pg != nil && pg.Receiver != nil {
		fmt.Fprintf(w, "  ratio receiver/bare, postgres: %.2f; postgres/sqlite: %.2f; postgres/Convoy's %d req/s: %.2f\n",
			pg.Ratio, pg.VsSQLite, convoyRPS, pg.Receiver.RPS/convoyRPS)
	}
	if pg != nil && pg.Instances != nil {
		fmt.Fprintf(w, "  %d receivers on one postgres database: %.2f× one receiver's req/s\n", pg.Instances.Instances, pg.Scale)
	}
	for _, rw := range rows {
		res := rw.res
		fmt.Fprintf(w, "  %s: %d acknowledged, %d in ledger, %d lost; %.0f bytes of ledger per event\n",
			rw.name, res.Acked, res.InLedger, res.Lost, res.BytesPerEvent)
		if res.Backend == backendSQLite {
			fmt.Fprintf(w, "    writer: %.1f CPU µs per event, %.1f events per commit, inside a transaction %.0f%% of the phase\n",
				res.WriterCPUPerEvent, res.EventsPerCommit, 100*res.WriterBusy)
		} else {
			fmt.Fprintf(w, "    intake: %.1f events per commit\n", res.EventsPerCommit)
		}
		if res.PoolExhausted {
			fmt.Fprintln(w, "    note: the receiver used up the pre-signed pool before the duration ended (raise --pool)")
		}
	}
}
