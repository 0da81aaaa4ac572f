package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/hookledger/hookledger/ledger"
)

// sender delivers one outbox message and says where it went.
type sender interface {
	// send posts m, in the thread m.ThreadTS when the transport has threads,
	// and returns the channel and the message ts ("" when there is none).
	send(ctx context.Context, m ledger.AlertMessage) (channel, ts string, err error)
	name() string
}

var (
	_ sender = (*botSender)(nil)
	_ sender = (*webhookSender)(nil)
	_ sender = (*logSender)(nil)
)

func newSender(c Config, log *slog.Logger) sender {
	switch {
	case c.BotToken != "":
		opts := []slack.Option{slack.OptionHTTPClient(c.HTTPClient)}
		if c.APIURL != "" {
			opts = append(opts, slack.OptionAPIURL(withSlash(c.APIURL)))
		}
		return &botSender{client: slack.New(c.BotToken, opts...), channel: c.Channel}
	case c.WebhookURL != "":
		return &webhookSender{url: c.WebhookURL, client: c.HTTPClient}
	default:
		return &logSender{log: log}
	}
}

// withSlash makes an API base URL end in "/", as slack-go joins method
// names to it directly.
func withSlash(u string) string {
	if u[len(u)-1] != '/' {
		return u + "/"
	}
	return u
}

// botSender posts with chat.postMessage as a bot: threads are supported.
type botSender struct {
	client  *slack.Client
	channel string
}

func (s *botSender) name() string { return "slack" }

func (s *botSender) send(ctx context.Context, m ledger.AlertMessage) (string, string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionDisableLinkUnfurl()}
	blocks, err := decodeBlocks(m.Blocks)
	if err != nil {
		return "", "", err
	}
	if len(blocks.BlockSet) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks.BlockSet...))
	}
	if m.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
	}
	return s.client.PostMessageContext(ctx, s.channel, opts...)
}

// webhookSender posts to an incoming webhook: no threads, no ts, so a
// resolution is a new short message of its own.
type webhookSender struct {
	url    string
	client *http.Client
}

func (s *webhookSender) name() string { return "webhook" }

func (s *webhookSender) send(ctx context.Context, m ledger.AlertMessage) (string, string, error) {
	msg := &slack.WebhookMessage{Text: m.Text}
	blocks, err := decodeBlocks(m.Blocks)
	if err != nil {
		return "", "", err
	}
	if len(blocks.BlockSet) > 0 {
		msg.Blocks = &blocks
	}
	if err := slack.PostWebhookCustomHTTPContext(ctx, s.url, s.client, msg); err != nil {
		return "", "", err
	}
	return "webhook", "", nil
}

// logSender is the transport when no Slack is configured: the message goes
// to the log and stays listed by `hookledger alerts list`.
type logSender struct{ log *slog.Logger }

func (s *logSender) name() string { return "log" }

// send logs one record per line of the message, each with the message's
// id, source and kind: a text handler would escape a multi-line text into
// one long line of "\n"s, unreadable in a terminal or a journal.
func (s *logSender) send(ctx context.Context, m ledger.AlertMessage) (string, string, error) {
	lines := strings.Split(strings.TrimRight(m.Text, "\n"), "\n")
	for i, line := range lines {
		s.log.LogAttrs(ctx, slog.LevelWarn, "alert", slog.String("source", m.Source), slog.String("kind", m.Kind),
			slog.Int64("message_id", m.ID), slog.String("line", fmt.Sprintf("%d/%d", i+1, len(lines))),
			slog.String("text", line))
	}
	return "log", "", nil
}

func decodeBlocks(raw string) (slack.Blocks, error) {
	var b slack.Blocks
	if raw == "" {
		return b, nil
	}
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		return b, fmt.Errorf("decode alert blocks: %w", err)
	}
	return b, nil
}
