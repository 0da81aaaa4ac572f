package paddle

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	paddlesdk "github.com/PaddleHQ/paddle-go-sdk/v4"
	"github.com/tidwall/gjson"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// perPage is the page size asked for: Paddle's maximum.
const perPage = 200

// errNoDestination is returned by the API calls when no notification
// destination is configured: without one, every destination's
// notifications would be listed, and one event many times.
var errNoDestination = errors.New("paddle: PADDLE_NOTIFICATION_SETTING_ID is not set")

// List yields, newest first, each event Paddle notified the configured
// destination of in w: one notification of origin "event" per event
// (replays repeat an event and are skipped), with the payload byte for
// byte, one event a page. Progress (see sources.Lister): notifications are
// ordered by id, not by the occurred_at that dates their events, so no
// page can claim a stretch of w before the listing ends; a last page with
// no events covers all of w. After an error it yields (Page{}, err) once
// and stops.
func (s *Source) List(ctx context.Context, w sources.Window) iter.Seq2[sources.Page, error] {
	return func(yield func(sources.Page, error) bool) {
		stopped := false
		each := func(l sources.Listed, _ error) bool {
			if !yield(sources.Page{Events: []sources.Listed{l}}, nil) {
				stopped = true
				return false
			}
			return true
		}
		if err := s.list(ctx, w, each); err != nil {
			yield(sources.Page{}, fmt.Errorf("list paddle notifications: %w", err))
			return
		}
		if !stopped {
			yield(sources.Page{Covered: w}, nil)
		}
	}
}

// list is List returning its error; it returns nil when yield stops it.
func (s *Source) list(ctx context.Context, w sources.Window, yield func(sources.Listed, error) bool) error {
	if s.cfg.NotificationSettingID == "" {
		return errNoDestination
	}
	pc := &pageCapture{client: s.client}
	sdk, err := s.sdk(pc)
	if err != nil {
		return err
	}
	// from and to are sent a second wide of w, then w is applied here: the
	// list filters' edges need not match the window's half-open ones.
	coll, err := sdk.ListNotifications(ctx, &paddlesdk.ListNotificationsRequest{
		NotificationSettingID: []string{s.cfg.NotificationSettingID},
		From:                  ptr(w.Since.Add(-time.Second).UTC().Format(time.RFC3339)),
		To:                    ptr(w.Until.Add(time.Second).UTC().Format(time.RFC3339)),
		OrderBy:               ptr("id[DESC]"),
		PerPage:               ptr(perPage),
	})
	if err != nil {
		return err
	}
	var page []byte
	seen, index := 0, 0
	for {
		res := coll.Next(ctx)
		if err := res.Err(); err != nil {
			return err
		}
		if !res.Ok() {
			return nil
		}
		if body, n := pc.last(); n != seen {
			page, seen, index = body, n, 0
		}
		n := res.Value()
		raw := gjson.GetBytes(page, "data."+strconv.Itoa(index))
		index++
		if raw.Get("id").Str != n.ID {
			return fmt.Errorf("notification %s is not where the page has it", n.ID)
		}
		if n.Origin != paddlesdk.NotificationOriginEvent {
			continue
		}
		l, err := s.listed(raw.Get("payload").Raw, n.NotificationSettingID, n.ID)
		if err != nil {
			return fmt.Errorf("notification %s: %w", n.ID, err)
		}
		if w.Contains(l.CreatedAt) && !yield(l, nil) {
			return nil
		}
	}
}

// listed builds the Listed form of a notification's raw payload.
func (s *Source) listed(payload, setting, notificationID string) (sources.Listed, error) {
	body := []byte(payload)
	env, err := ParseEnvelope(body)
	if err != nil {
		return sources.Listed{}, err
	}
	return sources.Listed{
		EventID:   env.EventID,
		Type:      env.EventType,
		CreatedAt: env.occurred,
		Account:   setting,
		Ref:       notificationID,
		Event:     env.event(body, setting, ledger.OriginReconcile),
	}, nil
}

// Fetch returns l.Event when the listing carried it, else the payload of
// GET /notifications/{l.Ref}, with Origin reconcile.
func (s *Source) Fetch(ctx context.Context, l sources.Listed) (*ledger.Event, error) {
	if l.Event != nil {
		return l.Event, nil
	}
	pc := &pageCapture{client: s.client}
	sdk, err := s.sdk(pc)
	if err != nil {
		return nil, err
	}
	if _, err := sdk.GetNotification(ctx, &paddlesdk.GetNotificationRequest{NotificationID: l.Ref}); err != nil {
		return nil, fmt.Errorf("fetch paddle notification %s: %w", l.Ref, err)
	}
	body, _ := pc.last()
	got, err := s.listed(gjson.GetBytes(body, "data.payload").Raw, l.Account, l.Ref)
	if err != nil {
		return nil, fmt.Errorf("fetch paddle notification %s: %w", l.Ref, err)
	}
	return got.Event, nil
}

// Redeliver asks Paddle to replay the notification l.Ref: Paddle sends the
// event again, as a new notification, to the destination.
func (s *Source) Redeliver(ctx context.Context, l sources.Listed) error {
	sdk, err := s.sdk(&pageCapture{client: s.client})
	if err != nil {
		return err
	}
	if err := sdk.ReplayNotification(ctx, &paddlesdk.ReplayNotificationRequest{NotificationID: l.Ref}); err != nil {
		return fmt.Errorf("replay paddle notification %s: %w", l.Ref, err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
