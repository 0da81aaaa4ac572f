package alerts

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/hookledger/hookledger/ledger"
)

func TestBuildMessage(t *testing.T) {
	rl := withDefaultsRules()
	rl.secrets = []string{"sk_live_SECRET"}
	rs := gapReports()
	rs[0].Warnings = []string{"window reaches past retention; key sk_live_SECRET"}
	conds := reportConditions(&rs[0], rl, testStart)
	long := conds[0]
	long.summary = strings.Repeat("é", 200)
	long.body = strings.Repeat("x", 5000)
	m, err := buildMessage(rl, "stripe", runContext(&rs[0]), append(conds, long))
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != "alert" || m.Source != "stripe" || m.ParentID != 0 {
		t.Errorf("message = %+v, want a top-level stripe alert", m)
	}
	var blocks slack.Blocks
	if err := json.Unmarshal([]byte(m.Blocks), &blocks); err != nil {
		t.Fatalf("blocks do not decode: %v", err)
	}
	if got, want := len(blocks.BlockSet), 1+len(conds)+1+1; got != want {
		t.Fatalf("blocks = %d, want header + %d sections + context", got, len(conds)+1)
	}
	header := blocks.BlockSet[0].(*slack.HeaderBlock).Text.Text
	if utf8.RuneCountInString(header) > maxHeader || !utf8.ValidString(header) {
		t.Errorf("header is %d runes, want at most %d", utf8.RuneCountInString(header), maxHeader)
	}
	for _, b := range blocks.BlockSet[1 : len(blocks.BlockSet)-1] {
		if n := len(b.(*slack.SectionBlock).Text.Text); n > maxSection {
			t.Errorf("section of %d bytes, want at most %d", n, maxSection)
		}
	}
	if strings.Contains(m.Text+m.Blocks, "sk_live_SECRET") || !strings.Contains(m.Text, "window reaches past retention") {
		t.Errorf("text = %q, want the warning without the secret", m.Text)
	}
}

func TestResolvedMessage(t *testing.T) {
	m := resolvedMessage(rules{}, "github", 7, []ledger.Alert{
		{Kind: KindDead, Summary: "github: 2 dead events"}, {Kind: KindStuck, Summary: "github: 1 event stuck"}})
	want := "Resolved: github: 2 dead events — no dead events are left.\nResolved: github: 1 event stuck — no event is stuck any more."
	if m.ParentID != 7 || m.Kind != "resolved" || m.Text != want || m.Blocks != "" {
		t.Errorf("resolvedMessage() = %+v, want text %q under message 7", m, want)
	}
}
