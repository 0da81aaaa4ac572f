package fault

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// Wait sleeps d, or until the client goes away; false when it went away
// (the fake should then give up on the request).
func Wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// Cut runs next for r into a recorder, then sends the recorded status and
// headers, announcing the whole body's length, and half the body, and
// closes the connection: the client sees the response end early.
func Cut(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	writeHead(buf, rec.Code, rec.Header(), len(body))
	buf.Write(body[:len(body)/2])
	buf.Flush()
}

func writeHead(buf *bufio.ReadWriter, code int, h http.Header, n int) {
	buf.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	h.Set("Content-Length", strconv.Itoa(n))
	h.Write(buf)
	buf.WriteString("\r\n")
}

// RetryAfterValue formats d for a Retry-After header: whole seconds when d
// is whole seconds, else a decimal (a convenience for fast tests).
func RetryAfterValue(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}
