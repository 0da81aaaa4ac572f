package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// rejectionWindow is how far back `status` sums rejected requests.
const rejectionWindow = 24 * time.Hour

// rejectionStatus is one source and reason's rejected requests over the
// last day in `status --json`, with the latest sample.
type rejectionStatus struct {
	Source         string    `json:"source"`
	Reason         string    `json:"reason"`
	Count          int       `json:"count"`
	LastAt         time.Time `json:"last_at"`
	LastStatus     int       `json:"last_status"`
	LastRemoteAddr string    `json:"last_remote_addr"`
	LastError      string    `json:"last_error"`
}

// addRejections sums the last day's rejection rows per source and reason.
func (st *statusJSON) addRejections(ctx context.Context, db *ledger.DB, now time.Time) error {
	rows, err := db.Rejections(ctx, "", now.Add(-rejectionWindow), 0)
	if err != nil {
		return err
	}
	byKey := map[[2]string]*rejectionStatus{}
	for _, r := range rows {
		k := [2]string{r.Source, r.Reason}
		rs := byKey[k]
		if rs == nil {
			rs = &rejectionStatus{Source: r.Source, Reason: r.Reason}
			byKey[k] = rs
		}
		rs.Count += r.Count
		if r.Last.At.After(rs.LastAt) {
			rs.LastAt, rs.LastStatus, rs.LastRemoteAddr, rs.LastError = r.Last.At, r.Last.Status, r.Last.RemoteAddr, r.Last.Error
		}
	}
	for _, rs := range byKey {
		st.Rejections = append(st.Rejections, *rs)
	}
	sort.Slice(st.Rejections, func(i, j int) bool {
		a, b := st.Rejections[i], st.Rejections[j]
		return a.Source < b.Source || (a.Source == b.Source && a.Reason < b.Reason)
	})
	return nil
}

// printRejections writes the human form of the rejections, if any.
func printRejections(w io.Writer, rs []rejectionStatus) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintln(w, "\nrejected requests, last 24h:")
	for _, r := range rs {
		fmt.Fprintf(w, "  %-8s %-18s %6d  last %s from %s: %d %s\n", r.Source, r.Reason, r.Count,
			r.LastAt.Format(time.RFC3339), r.LastRemoteAddr, r.LastStatus, r.LastError)
	}
}
