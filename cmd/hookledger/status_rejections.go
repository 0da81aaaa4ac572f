package main

import (
	"fmt"
	"io"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// printRejections writes the human form of the rejections, if any.
func printRejections(w io.Writer, rs []app.RejectionStatus) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintln(w, "\nrejected requests, last 24h:")
	for _, r := range rs {
		fmt.Fprintf(w, "  %-8s %-18s %6d  last %s from %s: %d %s\n", r.Source, r.Reason, r.Count,
			r.LastAt.Format(time.RFC3339), r.LastRemoteAddr, r.LastStatus, r.LastError)
	}
}
