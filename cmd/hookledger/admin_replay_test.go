package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// apiGet GETs path from the status page with the token and decodes the
// JSON answer into v.
func apiGet(t *testing.T, adminURL, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", adminURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+pageAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// shownByAPI follows the log's pages for the filter f and returns the ids
// of every event they show and the top they began below.
func shownByAPI(t *testing.T, adminURL string, f url.Values) ([]string, string) {
	t.Helper()
	f = maps.Clone(f)
	f.Set("limit", "2") // several pages
	next, top := "/api/events?"+f.Encode(), ""
	var ids []string
	for pages := 0; next != ""; pages++ {
		if pages > 50 {
			t.Fatal("the log never ended")
		}
		var page struct {
			Events []struct {
				Source  string `json:"source"`
				EventID string `json:"event_id"`
			} `json:"events"`
			Next string `json:"next"`
			Top  int64  `json:"top"`
		}
		apiGet(t, adminURL, next, &page)
		if top == "" {
			top = strconv.FormatInt(page.Top, 10)
		}
		for _, ev := range page.Events {
			ids = append(ids, ev.Source+"/"+ev.EventID)
		}
		next = page.Next
	}
	slices.Sort(ids)
	return ids, top
}

// TestStatusPageReplaysTheFilter checks that "replay the events matching
// the filter" replays exactly the events the log shows for it, for a
// filter on receipt time and origin: through the API (the streamed list
// of what it requeued) and through the log page's button (each event's
// page then shows the signed-in name's replay).
func TestStatusPageReplaysTheFilter(t *testing.T) {
	pw := startPageWorld(t)
	now := time.Now().UTC()
	filter := url.Values{"source": {"github"}, "origin": {"reconcile"},
		"since": {now.Add(-9 * 24 * time.Hour).Add(-time.Hour).Format(time.RFC3339)},
		"until": {now.Add(-3 * 24 * time.Hour).Format(time.RFC3339)}}
	shown, top := shownByAPI(t, pw.adminURL, filter)
	// Received 9, 7, 5 and 3(excluded: until) days ago: the reconcile
	// ones of the window; creation time would pick guid-page-04…08.
	if want := []string{"github/guid-page-02", "github/guid-page-04", "github/guid-page-06"}; !slices.Equal(shown, want) {
		t.Fatalf("the log shows %v for %v, want %v", shown, filter, want)
	}

	form := url.Values{}
	for k, v := range filter {
		form[k] = v
	}
	form.Set("top", top)
	req, _ := http.NewRequest("POST", pw.adminURL+"/api/replay", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+pageAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out struct {
		Events []struct {
			Source  string `json:"source"`
			EventID string `json:"event_id"`
		} `json:"events"`
		Count  int `json:"count"`
		Leased int `json:"skipped_leased"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("POST /api/replay: status %d, %s", resp.StatusCode, body)
	}
	var replayed []string
	for _, ev := range out.Events {
		replayed = append(replayed, ev.Source+"/"+ev.EventID)
	}
	slices.Sort(replayed)
	if !slices.Equal(replayed, shown) || out.Count != len(shown) || out.Leased != 0 {
		t.Errorf("POST /api/replay requeued %v (count %d, %d leased), the log shows %v", replayed, out.Count, out.Leased, shown)
	}

	// The same through the page: the log's form, signed in as bob, once
	// the processor has run the first replay (events it holds are skipped).
	for deadline := time.Now().Add(20 * time.Second); pw.status(t).Sources["github"].Counts["processed"] != pageBackfills; {
		if time.Now().After(deadline) {
			t.Fatalf("the replayed events were not processed again: %v", pw.status(t).Sources["github"].Counts)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := signedInClient(t, pw.adminURL)
	resp, err = c.Get(pw.adminURL + "/events?" + filter.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`(?s)<form method="post" action="/replay".*?</form>`).Find(page)
	if m == nil {
		t.Fatalf("the log page has no replay form:\n%s", page)
	}
	pageForm := url.Values{}
	for _, in := range regexp.MustCompile(`name="([a-z]+)" value="([^"]*)"`).FindAllSubmatch(m, -1) {
		pageForm.Set(string(in[1]), htmlUnescape(string(in[2])))
	}
	for k := range filter {
		if pageForm.Get(k) != filter.Get(k) {
			t.Errorf("the replay form's %s = %q, want the filter's %q", k, pageForm.Get(k), filter.Get(k))
		}
	}
	resp, err = c.PostForm(pw.adminURL+"/replay", pageForm)
	if err != nil {
		t.Fatal(err)
	}
	notice, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(notice), "requeued 3 events") {
		t.Errorf("replay from the log page: status %d, want the log with \"requeued 3 events\":\n%s", resp.StatusCode, notice)
	}
	for _, id := range []string{"guid-page-00", "guid-page-01", "guid-page-02", "guid-page-04", "guid-page-06", "guid-page-08"} {
		resp, err := c.Get(pw.adminURL + "/events/github/" + id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		acts := string(regexp.MustCompile(`(?s)<table id="actions">.*?</table>`).Find(b))
		replayedByBob := strings.Contains(acts, "bob") && strings.Contains(acts, "replay-filter") && strings.Contains(acts, "admin")
		if want := slices.Contains(shown, "github/"+id); replayedByBob != want {
			t.Errorf("actions on %s = %q; want replays by admin and bob: %t", id, acts, want)
		}
	}
}

// htmlUnescape undoes html/template's escaping of a form value.
func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}
