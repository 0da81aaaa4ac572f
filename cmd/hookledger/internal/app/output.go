package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// WriteJSON writes v to w as one indented JSON document. The encoder
// marshals v whole before writing, so a failure writes nothing.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Spool runs write against a temporary file and copies what it wrote to w
// only when write succeeds. A document streamed from the ledger is then
// whole on w or absent, never cut off by an error midway, and memory stays
// flat however large it is.
func Spool(w io.Writer, write func(io.Writer) error) error {
	f, err := os.CreateTemp("", "hookledger-out-*")
	if err != nil {
		return fmt.Errorf("create spool file: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write spool file: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind spool file: %w", err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// MillisOf is d in milliseconds, to the microsecond, for JSON figures.
func MillisOf(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
