package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// runEvents is `hookledger events list|show`.
func runEvents(ctx context.Context, env *Env, args []string) error {
	return dispatch(ctx, env, "events", args, []command{
		{"list", "list events, newest received first", runEventsList},
		{"show", "one event with its payload, receipts and attempts", runEventsShow},
		{"purge", "delete dead events for good (--state dead, --yes)", runEventsPurge},
	})
}

// defaultListLimit caps the table `events list` prints unless --limit
// says otherwise. The JSON has no default cap (scripts read it whole).
const defaultListLimit = 100

// runEventsList is `hookledger events list`: the matching events, newest
// received first (--oldest-first for the other way), as a table (the
// newest 100 unless --limit says otherwise) or one JSON array (all of
// them unless --limit caps it).
func runEventsList(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "events list",
		"events list [--source NAME] [--state S] [--since D] [--limit N] [--oldest-first] [--json] [--db PATH]",
		"hookledger events list --source stripe --state dead --since 7d")
	dbPath := fs.String("db", "", dbFlagUsage)
	source := fs.String("source", "", "only events of this source")
	state := fs.String("state", "", "only events in this state: pending, processing, processed, failed, dead")
	since := fs.String("since", "", "only events received since this duration ago or RFC 3339 time")
	limit := fs.Int("limit", 0, fmt.Sprintf("at most this many events, 0 for all (default %d in the table, all with --json)",
		defaultListLimit))
	oldest := fs.Bool("oldest-first", false, "oldest received first")
	asJSON := fs.Bool("json", false, "print one JSON array on stdout")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	f := ledger.EventFilter{Source: *source, Limit: *limit, Newest: !*oldest}
	switch {
	case *limit < 0:
		return usageError("--limit: want 0 (all) or a positive number")
	case !hasFlag(fs, "limit") && !*asJSON:
		f.Limit = defaultListLimit
	}
	if *state != "" {
		st, err := ledger.ParseState(*state)
		if err != nil {
			return usageError(err.Error())
		}
		f.State = st
	}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			return usageError(err.Error())
		}
		f.Since = t
	}
	db, err := openLedger(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := sayMode(ctx, env.Stderr, db); err != nil {
		return err
	}
	if err := noteUnseenSource(ctx, env, db, f.Source); err != nil {
		return err
	}
	if *asJSON {
		return spool(env.Stdout, func(w io.Writer) error { return writeEventsJSON(w, db.Events(ctx, f)) })
	}
	return writeEventsTable(env.Stdout, db.Events(ctx, f), f.Limit)
}

// hasFlag reports whether the flag name was given on the command line.
func hasFlag(fs *flagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// noteUnseenSource says on stderr when source names no source the ledger
// has events of (a typo, or a source that has had no traffic yet), and
// which ones it has. The listing that follows is then empty.
func noteUnseenSource(ctx context.Context, env *Env, db *ledger.DB, source string) error {
	if source == "" {
		return nil
	}
	seen, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	if slices.Contains(seen, source) {
		return nil
	}
	list := "none"
	if len(seen) > 0 {
		list = strings.Join(seen, ", ")
	}
	fmt.Fprintf(env.Stderr, "hookledger: the ledger has no event from source %q (sources seen: %s)\n", source, list)
	return nil
}

// eventJSON is an event's shape in `events list --json` and `events show
// --json` (docs/design.md): scripts depend on these names.
type eventJSON struct {
	Source        string        `json:"source"`
	EventID       string        `json:"event_id"`
	Type          string        `json:"type"`
	Action        string        `json:"action,omitempty"`
	Account       string        `json:"account,omitempty"`
	State         ledger.State  `json:"state"`
	Origin        ledger.Origin `json:"origin"`
	Attempts      int           `json:"attempts"`
	CreatedAt     jsonTime      `json:"created_at"`
	ReceivedAt    jsonTime      `json:"received_at"`
	ProcessedAt   *time.Time    `json:"processed_at,omitempty"`
	NextAttemptAt *time.Time    `json:"next_attempt_at,omitempty"`
	LastError     string        `json:"last_error,omitempty"`
	// PayloadPrunedAt is set when retention dropped the payload; the
	// event then has no payload.
	PayloadPrunedAt *time.Time       `json:"payload_pruned_at,omitempty"`
	Payload         json.RawMessage  `json:"payload,omitempty"`
	PayloadBase64   string           `json:"payload_base64,omitempty"` // a payload that is not UTF-8
	Receipts        []receiptJSON    `json:"receipts,omitempty"`
	Alerts          []eventAlertJSON `json:"alerts,omitempty"` // events show only: alerts that named it
	AttemptLog      []attemptJSON    `json:"attempt_log,omitempty"`
}

// receiptJSON is one receipt in `events show --json`.
type receiptJSON struct {
	Outcome    ledger.Outcome `json:"outcome"`
	Status     int            `json:"status"`
	Reason     string         `json:"reason,omitempty"`
	RemoteAddr string         `json:"remote_addr"`
	BodySize   int            `json:"body_size"`
	DurationMS float64        `json:"duration_ms"`
	ReceivedAt time.Time      `json:"received_at"`
}

// attemptJSON is one processing attempt in `events show --json`.
type attemptJSON struct {
	Attempt    int           `json:"attempt"`
	Origin     ledger.Origin `json:"origin"`
	StartedAt  time.Time     `json:"started_at"`
	DurationMS float64       `json:"duration_ms"`
	Outcome    string        `json:"outcome"`
	Error      string        `json:"error,omitempty"`
}

// jsonTime is a time in `events --json`: RFC 3339, or null for one RFC
// 3339 cannot write (a year past 9999, which a ledger written before intake
// checked created times can hold), so that one row never fails the listing.
type jsonTime struct{ time.Time }

// MarshalJSON writes t as RFC 3339, or null outside years 0 to 9999.
func (t jsonTime) MarshalJSON() ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return []byte("null"), nil
	}
	return t.Time.MarshalJSON()
}

// toEventJSON is ev's shape in `events list --json`; next_attempt_at only
// while the event waits for one.
func toEventJSON(ev *ledger.Event) eventJSON {
	j := eventJSON{
		Source: ev.Source, EventID: ev.EventID, Type: ev.Type, Action: ev.Action, Account: ev.Account,
		State: ev.State, Origin: ev.Origin, Attempts: ev.Attempts,
		CreatedAt: jsonTime{ev.CreatedAt}, ReceivedAt: jsonTime{ev.ReceivedAt}, LastError: ev.LastError,
	}
	if !ev.ProcessedAt.IsZero() {
		j.ProcessedAt = &ev.ProcessedAt
	}
	if !ev.PayloadPrunedAt.IsZero() {
		j.PayloadPrunedAt = &ev.PayloadPrunedAt
	}
	if !ev.NextAttemptAt.IsZero() && (ev.State == ledger.StateFailed || ev.State == ledger.StatePending) {
		j.NextAttemptAt = &ev.NextAttemptAt
	}
	return j
}

// writeEventsJSON writes evs as a JSON array, one event at a time, so a
// large ledger does not have to fit in memory. It stops at the first error,
// leaving the array unfinished: callers write through spool.
func writeEventsJSON(w io.Writer, evs iter.Seq2[*ledger.Event, error]) error {
	sep := "["
	for ev, err := range evs {
		if err != nil {
			return fmt.Errorf("list events: %w", err)
		}
		b, err := json.Marshal(toEventJSON(ev))
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		if _, err := fmt.Fprintf(w, "%s\n  %s", sep, b); err != nil {
			return err
		}
		sep = ","
	}
	if sep == "[" {
		_, err := io.WriteString(w, "[\n]\n")
		return err
	}
	_, err := io.WriteString(w, "\n]\n")
	return err
}

// writeEventsTable writes evs as a table and a count, saying so when the
// count reached limit (there may be more).
func writeEventsTable(w io.Writer, evs iter.Seq2[*ledger.Event, error], limit int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tEVENT ID\tTYPE\tSTATE\tORIGIN\tATTEMPTS\tRECEIVED")
	n := 0
	for ev, err := range evs {
		if err != nil {
			return fmt.Errorf("list events: %w", err)
		}
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", ev.Source, ev.EventID, typeAndAction(ev),
			ev.State, ev.Origin, ev.Attempts, ev.ReceivedAt.Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if limit > 0 && n == limit {
		fmt.Fprintf(w, "%d events (the first %d; --limit 0 lists all)\n", n, limit)
		return nil
	}
	fmt.Fprintf(w, "%d events\n", n)
	return nil
}

// typeAndAction is the event's type with its action, when it has one
// ("issues.opened").
func typeAndAction(ev *ledger.Event) string {
	if ev.Action == "" {
		return ev.Type
	}
	return ev.Type + "." + ev.Action
}
