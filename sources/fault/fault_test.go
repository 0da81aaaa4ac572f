package fault_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources/fault"
)

func TestInjectorQueueThenFunc(t *testing.T) {
	var in fault.Injector
	in.FailNext(2, http.StatusTooManyRequests, time.Second)
	in.CutNext(1)
	in.SetFaultFunc(func(n int64, _ *http.Request) fault.Fault {
		if n%2 == 0 {
			return fault.Fault{Status: http.StatusInternalServerError}
		}
		return fault.Fault{}
	})
	want := []fault.Fault{
		{Status: 429, RetryAfter: time.Second}, {Status: 429, RetryAfter: time.Second}, {Cut: true},
		{Status: 500}, {}, {Status: 500},
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for i, w := range want {
		n, got := fault.Next(&in, r)
		if n != int64(i+1) || got != w {
			t.Errorf("Next() #%d = %d, %+v; want %d, %+v", i+1, n, got, i+1, w)
		}
	}
	if in.Requests() != int64(len(want)) {
		t.Errorf("Requests() = %d, want %d", in.Requests(), len(want))
	}
}

func TestCutEndsTheBodyEarly(t *testing.T) {
	body := []byte(`{"data":["a","b","c","d","e","f"]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fault.Cut(w, r, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err == nil || resp.ContentLength != int64(len(body)) || len(got) != len(body)/2 {
		t.Errorf("cut response: %d of %d bytes announced %d, error %v; want half and an error", len(got), len(body), resp.ContentLength, err)
	}
}

func TestRetryAfterValue(t *testing.T) {
	for d, want := range map[time.Duration]string{2 * time.Second: "2", 1500 * time.Millisecond: "1.5", 0: "0"} {
		if got := fault.RetryAfterValue(d); got != want {
			t.Errorf("RetryAfterValue(%v) = %q, want %q", d, got, want)
		}
	}
}
