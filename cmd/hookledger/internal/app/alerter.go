package app

import (
	"log/slog"
	"time"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/ledger"
)

type AlertJSON struct {
	ID          int64      `json:"id"`
	Fingerprint string     `json:"fingerprint"`
	Source      string     `json:"source,omitempty"`
	Kind        string     `json:"kind"`
	State       string     `json:"state"`
	Summary     string     `json:"summary"`
	Count       int        `json:"count"`
	IDs         []string   `json:"ids"`
	Delivered   bool       `json:"delivered"`
	Channel     string     `json:"channel,omitempty"`
	MessageTS   string     `json:"message_ts,omitempty"`
	OpenedAt    time.Time  `json:"opened_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
	AckedBy     string     `json:"acked_by,omitempty"`
	AckedAt     *time.Time `json:"acked_at,omitempty"`
}

// ToAlertJSON is a's shape in `alerts list --json`.
func ToAlertJSON(a ledger.Alert) AlertJSON {
	j := AlertJSON{ID: a.ID, Fingerprint: a.Fingerprint, Source: a.Source, Kind: a.Kind, State: string(a.State),
		Summary: a.Summary, Count: a.Count, IDs: a.Keys, Delivered: a.Channel != "", Channel: a.Channel,
		MessageTS: a.MessageTS, OpenedAt: a.OpenedAt, UpdatedAt: a.UpdatedAt}
	if !a.ResolvedAt.IsZero() {
		t := a.ResolvedAt
		j.ResolvedAt = &t
	}
	if !a.AckedAt.IsZero() {
		t := a.AckedAt
		j.AckedBy, j.AckedAt = a.AckedBy, &t
	}
	return j
}

// NewAlerter builds the Alerter the configuration asks for: Slack bot,
// incoming webhook, or the log.
func NewAlerter(db Ledger, cfg Config, logger *slog.Logger, sources []string) (*alerts.Alerter, error) {
	al, err := alerts.New(db, alerts.Config{
		Silence:      cfg.Silence,
		ProcessedMin: cfg.ProcessedMin,
		Sources:      sources,
		BotToken:     cfg.SlackBotToken,
		Channel:      cfg.SlackChannel,
		WebhookURL:   cfg.SlackWebhookURL,
		APIURL:       cfg.SlackAPIURL,
		Secrets:      cfg.Secrets(),
		LiveOnly:     LiveOnlyNotes(cfg),
		Logger:       logger,
	})
	if err != nil {
		return nil, UsageError(err.Error())
	}
	return al, nil
}

// LiveOnlyNotes maps each configured live-only source to the note that
// says why reconcile cannot check it, for the alerts about it.
func LiveOnlyNotes(cfg Config) map[string]string {
	provs, err := BuildProviders(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return nil // the caller's own BuildProviders reports the error
	}
	notes := map[string]string{}
	for _, in := range provs.LiveOnly() {
		notes[in.Name] = in.Caps.LiveOnly
	}
	return notes
}
