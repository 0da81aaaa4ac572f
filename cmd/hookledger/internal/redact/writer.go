package redact

import (
	"bytes"
	"io"
	"sync"
)

// Writer redacts what is written through it to an underlying writer. It
// passes on whole lines, so a secret split across two writes is still
// caught (no secret holds a newline); Flush passes on the rest. It is safe
// for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	r   *Redactor
	buf []byte
}

// Writer returns a Writer redacting to w.
func (r *Redactor) Writer(w io.Writer) *Writer { return &Writer{w: w, r: r} }

// Write buffers p and writes every complete line, redacted. It reports
// len(p) written unless the underlying writer fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	i := bytes.LastIndexByte(w.buf, '\n')
	if i < 0 {
		return len(p), nil
	}
	lines := w.buf[:i+1]
	if _, err := io.WriteString(w.w, w.r.String(string(lines))); err != nil {
		return 0, err
	}
	w.buf = append(w.buf[:0], w.buf[i+1:]...)
	return len(p), nil
}

// Flush writes what is left after the last newline, redacted.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(w.w, w.r.String(string(w.buf)))
	w.buf = w.buf[:0]
	return err
}
