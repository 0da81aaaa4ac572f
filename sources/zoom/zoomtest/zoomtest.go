// Package zoomtest builds and signs Zoom webhook requests the way Zoom
// sends them, for tests, the demo and the bench. Zoom has no API that lists
// past notifications, so there is no API to fake: only the sender.
package zoomtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/hookledger/hookledger/sources/internal/v0sig"
	"github.com/hookledger/hookledger/sources/zoom"
)

// Notification renders a Zoom event notification: event (meeting.ended)
// at t for account, about meeting id.
func Notification(event, account string, meeting int64, t time.Time) []byte {
	body, _ := json.Marshal(map[string]any{
		"event":    event,
		"event_ts": t.UnixMilli(),
		"payload": map[string]any{
			"account_id": account,
			"object": map[string]any{"id": meeting, "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "x1yCzABCDEfg",
				"topic": "Weekly sync", "type": 2, "start_time": t.Add(-time.Hour).Format(time.RFC3339),
				"end_time": t.Format(time.RFC3339), "duration": 60, "timezone": "UTC"},
		},
	})
	return body
}

// URLValidation renders the endpoint.url_validation handshake.
func URLValidation(plainToken string, t time.Time) []byte {
	body, _ := json.Marshal(map[string]any{"event": zoom.EventURLValidation, "event_ts": t.UnixMilli(),
		"payload": map[string]string{"plainToken": plainToken}})
	return body
}

// Header returns the headers Zoom sends with body at t, signed with secretToken.
func Header(secretToken string, t time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(t.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", "Zoom Marketplace/1.0a")
	h.Set("X-Zm-Trackingid", "v=2.0&s=1&rid=test"+ts)
	h.Set(zoom.TimestampHeader, ts)
	h.Set(zoom.SignatureHeader, v0sig.Sign(body, secretToken, ts))
	return h
}
