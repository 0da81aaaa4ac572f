package ledgercopy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hookledger/hookledger/ledger"
)

// ErrForeignDestination is returned when the PostgreSQL ledger holds
// events that are not the SQLite ledger's: a copy goes into an empty
// ledger (or one an earlier run of the same copy filled in part).
var ErrForeignDestination = errors.New("the PostgreSQL ledger has events of its own")

// keyBatch is how many event keys one verification read compares.
const keyBatch = 5000

// checkDestination refuses, before anything is written, a destination
// that is neither empty nor an earlier run's part of this copy: one with
// rows but no events (a copy writes events first), or whose newest event
// is not the source's event of the same row id. Rows keep their ids, so
// any other row there would take a copied row's place.
func (c *copier) checkDestination(ctx context.Context) error {
	top, ok, err := c.im.MaxKey(ctx, "events", "id")
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if !ok {
		return c.checkEmpty(ctx)
	}
	there, err := c.im.EventKeys(ctx, top-1, 1)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	here, err := c.x.EventKeys(ctx, top-1, 1)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if len(here) == 0 || len(there) == 0 || here[0] != there[0] {
		return fmt.Errorf("copy: %w (its event row %d is %s): copy into an empty PostgreSQL ledger",
			ErrForeignDestination, top, describe(there))
	}
	return nil
}

// checkEmpty refuses a destination with rows in any table a copy writes.
func (c *copier) checkEmpty(ctx context.Context) error {
	for _, t := range c.x.Tables() {
		if _, ok := c.im.Columns(t.Name); !ok {
			continue
		}
		n, err := c.im.Count(ctx, t.Name)
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("copy: %w (%d rows in %s, and no events): copy into an empty PostgreSQL ledger",
				ErrForeignDestination, n, t.Name)
		}
	}
	return nil
}

func describe(keys []ledger.EventKey) string {
	if len(keys) == 0 {
		return "missing"
	}
	return keys[0].Source + "/" + keys[0].EventID
}

// verify counts every copied table in dst and compares with the source,
// then compares every event's row id, source and event id.
func (c *copier) verify(ctx context.Context) error {
	var bad []string
	for i := range c.sum.Tables {
		t := &c.sum.Tables[i]
		n, err := c.im.Count(ctx, t.Name)
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		t.Destination = n
		if t.Destination != t.Expected {
			bad = append(bad, fmt.Sprintf("%s: %d rows on PostgreSQL, want %d", t.Name, t.Destination, t.Expected))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s (was the PostgreSQL ledger empty before the first copy?)", ErrMismatch, strings.Join(bad, "; "))
	}
	return c.verifyEvents(ctx)
}

// verifyEvents walks the events of both ledgers in row id order and
// fails on the first that differs.
func (c *copier) verifyEvents(ctx context.Context) error {
	var after int64
	for {
		here, err := c.x.EventKeys(ctx, after, keyBatch)
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		there, err := c.im.EventKeys(ctx, after, keyBatch)
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		for i := range min(len(here), len(there)) {
			if here[i] != there[i] {
				return fmt.Errorf("%w: event row %d is %s/%s on PostgreSQL, %s/%s in SQLite", ErrMismatch,
					here[i].ID, there[i].Source, there[i].EventID, here[i].Source, here[i].EventID)
			}
		}
		if len(here) != len(there) {
			return fmt.Errorf("%w: events after row %d: %d on PostgreSQL, %d in SQLite", ErrMismatch, after, len(there), len(here))
		}
		if len(here) < keyBatch {
			return nil
		}
		after = here[len(here)-1].ID
	}
}
