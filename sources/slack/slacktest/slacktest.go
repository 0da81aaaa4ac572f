// Package slacktest builds and signs Slack Events API requests the way
// Slack sends them, for tests, the demo and the bench. Slack has no API
// that lists past events, so there is no API to fake: only the sender.
package slacktest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/hookledger/hookledger/sources/internal/v0sig"
	"github.com/hookledger/hookledger/sources/slack"
)

// Event is one inner event to wrap in an event_callback.
type Event struct {
	ID      string    // event_id, "Ev…"
	Type    string    // inner event type: message, app_mention, …
	Subtype string    // inner subtype, "" for none
	Team    string    // team_id
	At      time.Time // event_time
}

// Callback renders e as Slack's event_callback envelope.
func Callback(e Event) []byte {
	inner := map[string]any{"type": e.Type, "channel": "C0123456789", "user": "U0123456789", "text": "hello",
		"ts": strconv.FormatInt(e.At.Unix(), 10) + ".000100", "event_ts": strconv.FormatInt(e.At.Unix(), 10) + ".000100"}
	if e.Subtype != "" {
		inner["subtype"] = e.Subtype
	}
	body, _ := json.Marshal(map[string]any{
		"token": "XXYYZZ", "team_id": e.Team, "api_app_id": "A0123456789", "event": inner,
		"type": slack.TypeEventCallback, "event_id": e.ID, "event_time": e.At.Unix(),
		"authorizations": []map[string]any{{"team_id": e.Team, "user_id": "U0BOT", "is_bot": true}},
	})
	return body
}

// URLVerification renders the handshake Slack sends when a Request URL is set.
func URLVerification(challenge string) []byte {
	body, _ := json.Marshal(map[string]string{"token": "XXYYZZ", "challenge": challenge, "type": slack.TypeURLVerification})
	return body
}

// Header returns the headers Slack sends with body at t, signed with
// secret; retry > 0 adds X-Slack-Retry-Num and X-Slack-Retry-Reason.
func Header(secret string, t time.Time, body []byte, retry int) http.Header {
	ts := strconv.FormatInt(t.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	h.Set(slack.TimestampHeader, ts)
	h.Set(slack.SignatureHeader, v0sig.Sign(body, secret, ts))
	if retry > 0 {
		h.Set(slack.RetryNumHeader, strconv.Itoa(retry))
		h.Set(slack.RetryReasonHeader, "http_timeout")
	}
	return h
}
