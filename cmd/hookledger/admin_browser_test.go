package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// updateDocsImg regenerates docs/img/status-overview.png, the screenshot
// the README shows: go test ./cmd/hookledger -run TestStatusPageInBrowser -docs-img
var updateDocsImg = flag.Bool("docs-img", false, "write the overview's screenshot to docs/img/")

// docsScreenshot is the one screenshot kept in docs/img.
const docsScreenshot = "status-overview.png"

// Secrets of the status page test: none may appear on any page.
const (
	pageAdminToken    = "adm_token_never_on_a_page_7f3a"
	pageStripeSecret  = "whsec_status+page/secret_91c2"
	pageForwardSecret = "whsec_Zm9yd2FyZC1zZWNyZXQtbmV2ZXItc2hvd24tNDQ="
)

// screenshotDir is where the status page tests save their screenshots:
// $HOOKLEDGER_SCREENSHOT_DIR, else the test's artifact directory, kept
// with `go test -artifacts -outputdir DIR` and removed
// without it. With -docs-img the overview goes to docs/img instead.
func screenshotDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("HOOKLEDGER_SCREENSHOT_DIR"); d != "" {
		return d
	}
	return t.ArtifactDir()
}

// newBrowser starts a headless Chromium for the test. Without one it
// skips, except under CI=true, where the browser tests must run: it fails.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found (CI=true: the browser tests must run; apt-get install -y chromium): %v", err)
		}
		t.Skipf("chromium not found (apt-get install -y chromium): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// The first action starts the browser, for as long as bctx lives; only
	// what follows runs under the test's timeout.
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	return tctx
}

// pageWorld is a serve with its status page over a ledger seeded with
// history, and a downstream app that refuses one event until told.
type pageWorld struct {
	db, webhookURL, adminURL string
	accept                   *atomic.Bool // the downstream accepts the dead event
	deadID, secretID         string
}

// startPageWorld seeds a ledger with reconcile runs of the last weeks,
// then runs serve on it with the status page, sends webhooks (one refused
// by the downstream with a 400, so it dies at once) and waits until they
// are settled.
func startPageWorld(t *testing.T) *pageWorld {
	t.Helper()
	pw := &pageWorld{db: filepath.Join(t.TempDir(), "page.db"), accept: &atomic.Bool{},
		deadID: "evt_page_dead_0001", secretID: "evt_page_secret_0001"}
	seedRuns(t, pw.db)
	down := pageDownstream(t, pw)
	vars := map[string]string{
		"HOOKLEDGER_DB": pw.db, "STRIPE_WEBHOOK_SECRET": pageStripeSecret,
		"HOOKLEDGER_FORWARD_URL": down, "HOOKLEDGER_FORWARD_SECRET": pageForwardSecret,
		"HOOKLEDGER_ADMIN_ADDR": "127.0.0.1:0", "HOOKLEDGER_ADMIN_TOKEN": pageAdminToken,
		"HOOKLEDGER_RETRY_BASE": "50ms",
	}
	env, _, stderr := testEnv(vars)
	adminReady := make(chan string, 1)
	env.AdminReady = func(addr string) { adminReady <- addr }
	pw.webhookURL = startServeEnv(t, env, stderr, "--no-schedule")
	pw.adminURL = "http://" + <-adminReady
	ids := []string{pw.deadID, pw.secretID}
	for i := range 12 {
		ids = append(ids, fmt.Sprintf("evt_page_ok_%04d", i))
	}
	for _, id := range ids {
		pw.send(t, id)
	}
	// A request with a wrong signature: a rejection the overview shows.
	req, _ := http.NewRequest("POST", pw.webhookURL+"/webhooks/stripe", strings.NewReader(`{"id":"evt_forged"}`))
	req.Header.Set("Stripe-Signature", "t=1,v1=00")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged webhook: %v, %v; want 401", resp, err)
	} else {
		resp.Body.Close()
	}
	pw.waitSettled(t, len(ids))
	return pw
}

// pageDownstream starts the downstream app: 200 for every event but the
// dead one, which gets a permanent 400 until pw.accept is set.
func pageDownstream(t *testing.T, pw *pageWorld) string {
	t.Helper()
	down := newCountingApp(t)
	inner := down.srv.Config.Handler
	down.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Idempotency-Key") == pw.deadID && !pw.accept.Load() {
			http.Error(w, "order not found", http.StatusBadRequest)
			return
		}
		inner.ServeHTTP(w, r)
	})
	return down.srv.URL
}

// send posts a signed Stripe webhook for id; the secret event carries the
// webhook secret in its payload, which no page may show.
func (pw *pageWorld) send(t *testing.T, id string) {
	t.Helper()
	note := "hello"
	if id == pw.secretID {
		note = "leaked " + pageStripeSecret
	}
	payload := []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"invoice.paid","created":%d,"data":{"object":{"note":%q}}}`,
		id, time.Now().Unix(), note))
	if status := postStripe(t, pw.webhookURL, pageStripeSecret, payload); status != 200 {
		t.Fatalf("webhook %s: status %d, want 200", id, status)
	}
}

// waitSettled waits until n events are processed or dead and the
// rejected request is counted.
func (pw *pageWorld) waitSettled(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := pw.status(t)
		c, g := st.Sources["stripe"].Counts, st.Sources["github"].Counts
		if c[ledger.StateProcessed]+c[ledger.StateDead] == n && g[ledger.StateProcessed] == pageBackfills && len(st.Rejections) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events not settled: stripe %v, github %v", c, g)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// status runs `hookledger status --json` on the world's ledger.
func (pw *pageWorld) status(t *testing.T) app.StatusJSON {
	t.Helper()
	env, stdout, stderr := testEnv(map[string]string{})
	if err := runWith(context.Background(), env, []string{"status", "--json", "--db", pw.db}); err != nil {
		t.Fatalf("status --json: %v\n%s", err, stderr)
	}
	var st app.StatusJSON
	if err := json.Unmarshal([]byte(stdout.String()), &st); err != nil {
		t.Fatalf("decode status --json: %v", err)
	}
	return st
}

// seedRuns records reconcile runs of stripe over the last 30 days, a few
// of which found events missing and recovered them (one not all, one
// could not finish), so the gap timeline has something to show.
func seedRuns(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	at := time.Now() // the clock: now for the alert, then each run's time
	db, err := ledger.OpenWith(ctx, path, ledger.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// An open alert, which the test acknowledges from the page.
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Upsert: []*ledger.Alert{{Fingerprint: "stripe:unknown",
		Source: "stripe", Kind: "unknown", Summary: "stripe: 1 event the provider never sent", Count: 1}}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	seedBackfills(t, db, &at, now)
	for h := 30 * 24; h > 0; h -= 6 {
		at = now.Add(-time.Duration(h) * time.Hour)
		missing, recovered, complete := 0, 0, true
		switch {
		case h%(24*5) == 0:
			missing, recovered = 3+h%7, 3+h%7
		case h == 24*9+6:
			missing, recovered = 12, 9
		case h == 24*17:
			complete = false
		}
		r := &ledger.Run{Source: "stripe", Job: "reconcile", Since: at.Add(-7 * time.Hour), Until: at}
		if err := db.StartRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Complete = complete
		r.Report, _ = json.Marshal(map[string]any{"source": "stripe", "missing": missing, "backfilled": recovered,
			"still_missing": missing - recovered, "complete": complete, "failed_deliveries": h % 4,
			"endpoints": []map[string]any{
				{"id": "we_page_live", "enabled": true, "status": "enabled", "url": "https://hooks.example.com/webhooks/stripe", "url_matches": true},
				{"id": "we_page_old", "enabled": false, "status": "disabled", "url": "https://old.example.com/hooks", "url_matches": false,
					"expected_url": "https://hooks.example.com/webhooks/stripe"},
			}})
		if err := db.FinishRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
}

// seedBackfills records github events received over the last ten days,
// a day apart, alternately live and backfilled, each created by the
// provider long before or after its receipt, so that the log's filter on
// receipt time and origin picks other events than creation time would.
func seedBackfills(t *testing.T, db *ledger.DB, at *time.Time, now time.Time) {
	t.Helper()
	for i := range pageBackfills {
		*at = now.Add(-time.Duration(10-i) * 24 * time.Hour)
		origin := ledger.OriginWebhook
		if i%2 == 0 {
			origin = ledger.OriginReconcile
		}
		ev := &ledger.Event{Source: "github", EventID: fmt.Sprintf("guid-page-%02d", i), Type: "push", Origin: origin,
			Payload: []byte(`{"ref":"main"}`), CreatedAt: now.Add(-time.Duration(i) * 24 * time.Hour)}
		if _, err := db.Record(context.Background(), ev, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// pageBackfills is how many github events seedBackfills records.
const pageBackfills = 10

// TestStatusPageInBrowser drives the status page in headless Chromium: it
// signs in with the token, checks the overview's numbers against `status
// --json`, finds the dead event by id, replays it with the button and
// sees it processed, and checks that no page shows a secret.
func TestStatusPageInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	pw := startPageWorld(t)
	shots := screenshotDir(t)
	var html []string // every page seen, checked for secrets at the end
	grab := func(label string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			s, err := chromedp.OuterHTML(chromedp.CSS("html"))(ctx, tg)
			if err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
			html = append(html, s)
			return nil
		})
	}

	// Signed out, the overview is the sign-in form.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(pw.adminURL+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		grab("sign-in"),
		chromedp.SendKeys(chromedp.ID("token"), pageAdminToken),
		chromedp.SendKeys(chromedp.ID("name"), "alice"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("pipeline")),
		grab("overview"),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	checkOverviewNumbers(t, ctx, pw.status(t))
	saveScreenshot(t, ctx, shots, "status-overview.png", "")
	saveScreenshot(t, ctx, shots, "status-timeline.png", "#timeline")

	// Find the dead event by its id, open it, replay it.
	pw.accept.Store(true)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(pw.adminURL+"/events"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "evt_page_dead"),
		chromedp.Click(chromedp.ID("search")),
		// The results page, not the unfiltered one the form was on.
		chromedp.WaitVisible(chromedp.CSS(`table[data-q="evt_page_dead"] tr[data-event="`+pw.deadID+`"]`)),
		grab("events"),
		chromedp.Click(chromedp.CSS(`tr[data-event="`+pw.deadID+`"] a`)),
		chromedp.WaitVisible(chromedp.ID("replay")),
	); err != nil {
		t.Fatalf("find the dead event: %v", err)
	}
	state, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("state")))
	if err != nil {
		t.Fatal(err)
	}
	if state != "dead" {
		t.Fatalf("event page state = %q, want dead", state)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("replay")), chromedp.WaitVisible(chromedp.ID("notice"))); err != nil {
		t.Fatalf("replay: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for state != "processed" {
		if time.Now().After(deadline) {
			t.Fatalf("replayed event state = %q after 20s, want processed", state)
		}
		time.Sleep(100 * time.Millisecond)
		if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("state"))); err != nil {
			t.Fatalf("reload event page: %v", err)
		}
		if state, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("state"))); err != nil {
			t.Fatal(err)
		}
	}
	actions, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("actions")))
	if err == nil {
		err = chromedp.Do(ctx, grab("event"))
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(actions, "alice") || !strings.Contains(actions, "replay") {
		t.Errorf("event page actions = %q, want alice's replay recorded", actions)
	}
	saveScreenshot(t, ctx, shots, "status-event.png", "")

	// The event whose payload holds the webhook secret shows it redacted.
	if err := chromedp.Do(ctx, chromedp.Navigate(pw.adminURL+"/events/stripe/"+pw.secretID),
		chromedp.WaitVisible(chromedp.ID("payload")), grab("secret event"),
		chromedp.Navigate(pw.adminURL+"/alerts"), chromedp.WaitVisible(chromedp.ID("open")), grab("alerts"),
	); err != nil {
		t.Fatal(err)
	}
	// Acknowledge the open alert with its button: it is resolved, by alice.
	if err := chromedp.Do(ctx, chromedp.Navigate(pw.adminURL+"/alerts"),
		chromedp.Click(chromedp.CSS(`tr[data-alert] button.ack`)), chromedp.WaitVisible(chromedp.ID("notice"))); err != nil {
		t.Fatalf("acknowledge: %v", err)
	}
	resolved, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`tr[data-resolved]`)))
	if err != nil || !strings.Contains(resolved, "by alice") {
		t.Errorf("after acknowledging, resolved alert row = %q, %v; want it acknowledged by alice", resolved, err)
	}
	if st := pw.status(t); len(st.Alerts) != 0 {
		t.Errorf("status --json open alerts after the ack = %d, want 0", len(st.Alerts))
	}
	if err := chromedp.Do(ctx, grab("alerts after ack")); err != nil {
		t.Fatal(err)
	}
	for _, page := range html {
		for _, secret := range []string{pageAdminToken, pageStripeSecret, pageForwardSecret} {
			if strings.Contains(page, secret) || strings.Contains(page, strings.ReplaceAll(secret, "+", "&#43;")) {
				t.Errorf("a page shows the secret %q", secret)
			}
		}
	}
	if !strings.Contains(strings.Join(html, ""), "leaked [redacted]") {
		t.Errorf("the secret event's payload does not show the secret as [redacted]")
	}
}

// checkOverviewNumbers compares the overview's counts per source and state
// with what `hookledger status --json` says.
func checkOverviewNumbers(t *testing.T, ctx context.Context, st app.StatusJSON) {
	t.Helper()
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll("[data-source][data-state]")]
		.map(e => [e.dataset.source + "/" + e.dataset.state, e.textContent.trim()]))`))
	if err != nil {
		t.Fatalf("read overview numbers: %v", err)
	}
	want := map[string]string{}
	for src, ss := range st.Sources {
		for _, s := range ledger.States {
			want[src+"/"+string(s)] = fmt.Sprint(ss.Counts[s])
		}
		want[src+"/total"] = fmt.Sprint(ss.Total)
	}
	if len(cells) != len(want) {
		t.Errorf("overview shows %d counts, status --json has %d: %v vs %v", len(cells), len(want), cells, want)
	}
	for k, v := range want {
		if cells[k] != v {
			t.Errorf("overview %s = %q, status --json says %s", k, cells[k], v)
		}
	}
	rejected, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll("[data-rejected]")]
		.map(e => [e.dataset.rejected, e.textContent.trim()]))`))
	if err != nil {
		t.Fatalf("read rejections: %v", err)
	}
	wantRejected := map[string]string{}
	for _, r := range st.Rejections {
		wantRejected[r.Source+"/"+r.Reason] = fmt.Sprint(r.Count)
	}
	if len(wantRejected) == 0 || fmt.Sprint(rejected) != fmt.Sprint(wantRejected) {
		t.Errorf("overview rejected requests = %v, status --json says %v (want at least one)", rejected, wantRejected)
	}
	checkOverviewSilence(t, ctx, st)
	checkOverviewProvider(t, ctx, st)
	open, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("open-alerts")))
	if err != nil {
		t.Fatal(err)
	}
	if open != fmt.Sprint(len(st.Alerts)) {
		t.Errorf("overview open alerts = %q, status --json has %d", open, len(st.Alerts))
	}
}

// overviewText reads the text of every element with the data attribute
// attr, keyed by its value.
func overviewText(t *testing.T, ctx context.Context, attr string) map[string]string {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll("[`+attr+`]")]
		.map(e => [e.getAttribute("`+attr+`"), e.textContent.trim().replace(/\s+/g, " ")]))`))
	if err != nil {
		t.Fatalf("read [%s]: %v", attr, err)
	}
	return got
}

// checkOverviewSilence compares each source's silence state on the
// overview with status --json's: the state, the last live event, the
// limit and the learned rhythm.
func checkOverviewSilence(t *testing.T, ctx context.Context, st app.StatusJSON) {
	t.Helper()
	state, last := overviewText(t, ctx, "data-silence"), overviewText(t, ctx, "data-silence-last")
	usual, expected := overviewText(t, ctx, "data-silence-usual"), overviewText(t, ctx, "data-silence-expected")
	judged := 0
	for src, ss := range st.Sources {
		sl := ss.Silence
		if sl == nil {
			if state[src] != "not judged" {
				t.Errorf("overview silence of %s = %q, status --json judges none", src, state[src])
			}
			continue
		}
		judged++
		if state[src] != sl.State {
			t.Errorf("overview silence of %s = %q, status --json says %q", src, state[src], sl.State)
		}
		wantLast := "never"
		if sl.LastEventAt != nil {
			wantLast = sl.LastEventAt.UTC().Format(time.RFC3339)
		}
		if last[src] != wantLast {
			t.Errorf("overview last live event of %s = %q, status --json says %s", src, last[src], wantLast)
		}
		if sl.LimitSeconds == 0 {
			if w := fmt.Sprintf("%.1f", sl.UsualPerHour); usual[src] != w {
				t.Errorf("overview usual per hour of %s = %q, status --json says %s", src, usual[src], w)
			}
			if w := fmt.Sprintf("%.1f", sl.ExpectedSinceLast); expected[src] != w {
				t.Errorf("overview expected since the last of %s = %q, status --json says %s", src, expected[src], w)
			}
		}
	}
	if judged == 0 || len(state) != len(st.Sources) {
		t.Errorf("overview silence = %v for %d sources in status --json; want every source, some judged", state, len(st.Sources))
	}
}

// checkOverviewProvider compares the provider's view of each source's
// endpoints on the overview with status --json's last reconcile: each
// endpoint's status, URL and last response, and the failed deliveries.
func checkOverviewProvider(t *testing.T, ctx context.Context, st app.StatusJSON) {
	t.Helper()
	rows := overviewText(t, ctx, "data-endpoint")
	failed := overviewText(t, ctx, "data-failed-deliveries")
	want := map[string]string{}
	for src, ss := range st.Sources {
		lr := ss.LastReconcile
		if lr == nil {
			continue
		}
		if w := fmt.Sprint(lr.FailedDeliveries); failed[src] != w {
			t.Errorf("overview failed deliveries of %s = %q, status --json says %s", src, failed[src], w)
		}
		for _, e := range lr.Endpoints {
			row := e.ID + " " + e.Status
			if !e.Enabled {
				row += " (not sending)"
			}
			row += " " + e.URL
			if e.URLMatches != nil && !*e.URLMatches {
				row += " not this receiver (" + e.ExpectedURL + ")"
			}
			if e.LastResponseCode != 0 {
				row += fmt.Sprintf(" %d %s", e.LastResponseCode, e.LastResponseMessage)
			} else {
				row += " —"
			}
			want[src+"/"+e.ID] = row
		}
	}
	if len(want) == 0 || fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("overview endpoints =\n%v\nstatus --json says\n%v (want at least one)", rows, want)
	}
}

// saveScreenshot saves the page (or the element sel) as dir/name.
func saveScreenshot(t *testing.T, ctx context.Context, dir, name, sel string) {
	t.Helper()
	action := chromedp.FullScreenshot(100)
	if sel != "" {
		action = chromedp.Screenshot(chromedp.CSS(sel))
	}
	png, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if *updateDocsImg && name == docsScreenshot {
		dir = filepath.Join("..", "..", "docs", "img")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", filepath.Join(dir, name))
}
