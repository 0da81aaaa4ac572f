package github_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/github/githubtest"
)

// benchBody is a real 2.7 KB payload, about the 2.6 KB the ingest target
// is stated for.
func benchBody(b *testing.B) (http.Header, []byte) {
	ex := exampleNamed(b, "organization.0")
	return signedHeader("current", ex.event, "72d3162e-cc78-11e3-81ab-4c9367dc0958", ex.payload), ex.payload
}

// BenchmarkVerify is the whole per-request path: signature over the raw
// body, then the envelope.
func BenchmarkVerify(b *testing.B) {
	src := newVerifier(b)
	h, body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Verify(h, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySignature is the HMAC check alone, two secrets
// configured and the second matching (a rotation).
func BenchmarkVerifySignature(b *testing.B) {
	h, body := benchBody(b)
	opts := github.VerifyOptions{Secrets: []string{"old", "current"}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := github.VerifySignature(body, h, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseEnvelope decodes the headers and the action only.
func BenchmarkParseEnvelope(b *testing.B) {
	h, body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := github.ParseEnvelope(h, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList lists 20,000 deliveries from the fake through go-github:
// the provider side of reconcile throughput.
func BenchmarkList(b *testing.B) {
	srv := githubtest.NewServer()
	defer srv.Close()
	h := srv.AddRepoHook("octo", "hello", 12, "http://127.0.0.1:1/", "s")
	const n = 20_000
	start := time.Now().Add(-24 * time.Hour)
	if _, err := srv.Record(h, githubtest.Plan{Count: n, Start: start, Step: time.Second}); err != nil {
		b.Fatal(err)
	}
	src, err := github.New(github.Config{Token: "t", APIURL: srv.URL, Hooks: []github.Hook{{Owner: "octo", Repo: "hello", ID: 12}}})
	if err != nil {
		b.Fatal(err)
	}
	w := sources.Window{Since: start, Until: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		got := 0
		for _, err := range sources.Flatten(src.List(context.Background(), w)) {
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("listed %d, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
