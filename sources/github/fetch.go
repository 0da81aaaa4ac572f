package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	gh "github.com/google/go-github/v60/github"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// ErrNoRef is returned by Fetch and Redeliver for a Listed without a
// delivery id in Ref or with an Account that is not a hook.
var ErrNoRef = errors.New("github: listed event has no delivery reference")

// Fetch returns the event of l from its delivery (GetHookDelivery), to
// backfill with Origin reconcile: EventID the GUID, Type and Action of the
// delivery, Account the hook, CreatedAt its delivered_at, Headers its kept
// request headers (never signatures), Payload its request payload.
func (s *Source) Fetch(ctx context.Context, l sources.Listed) (*ledger.Event, error) {
	h, id, err := refOf(l)
	if err != nil {
		return nil, fmt.Errorf("fetch delivery: %w", err)
	}
	d := new(gh.HookDelivery)
	if _, err := s.hookCall(ctx, http.MethodGet, h, deliveryPath(id), d); err != nil {
		return nil, fmt.Errorf("fetch delivery %d of %s: %w", id, h, err)
	}
	return eventFromDelivery(d, h)
}

// eventFromDelivery builds the ledger event of a fetched delivery.
func eventFromDelivery(d *gh.HookDelivery, h Hook) (*ledger.Event, error) {
	req := d.GetRequest()
	if req == nil || req.RawPayload == nil || len(*req.RawPayload) == 0 {
		return nil, fmt.Errorf("delivery %d of %s has no request payload: %w", d.GetID(), h, sources.ErrMalformed)
	}
	if d.GetGUID() == "" {
		return nil, fmt.Errorf("delivery %d of %s has no guid: %w", d.GetID(), h, sources.ErrMalformed)
	}
	if err := sources.CheckPayload(*req.RawPayload); err != nil {
		return nil, fmt.Errorf("delivery %d of %s: %w", d.GetID(), h, err)
	}
	delivered := d.GetDeliveredAt().Time.UTC()
	if err := sources.CheckTime(delivered); err != nil {
		return nil, fmt.Errorf("delivery %d of %s: delivered_at: %w", d.GetID(), h, err)
	}
	headers := keepHeaderMap(req.Headers)
	if headers != nil {
		// The payload below is JSON whatever the hook's content type was.
		headers["Content-Type"] = "application/json"
	}
	return &ledger.Event{
		Source:  Name,
		EventID: d.GetGUID(),
		Type:    d.GetEvent(),
		Action:  d.GetAction(),
		Account: h.String(),
		// The deliveries API returns the payload as parsed JSON: these are
		// GitHub's re-serialization of the body, not the bytes first sent.
		// They are kept exactly as the API gave them.
		Payload:     []byte(*req.RawPayload),
		ContentType: "application/json",
		Headers:     headers,
		CreatedAt:   delivered,
		Origin:      ledger.OriginReconcile,
	}, nil
}

// Redeliver asks GitHub to send l's delivery (its latest attempt) to the
// hook again (POST …/deliveries/{id}/attempts); the event then arrives
// through the receiver with the same GUID. GitHub's 202 Accepted, which
// go-github reports as *github.AcceptedError, is success.
func (s *Source) Redeliver(ctx context.Context, l sources.Listed) error {
	h, id, err := refOf(l)
	if err != nil {
		return fmt.Errorf("redeliver: %w", err)
	}
	_, err = s.hookCall(ctx, http.MethodPost, h, deliveryPath(id)+"/attempts", new(gh.HookDelivery))
	var accepted *gh.AcceptedError
	if err != nil && !errors.As(err, &accepted) {
		return fmt.Errorf("redeliver delivery %d of %s: %w", id, h, err)
	}
	return nil
}

// refOf reads the hook from l.Account and the delivery id from l.Ref.
func refOf(l sources.Listed) (Hook, int64, error) {
	id, err := strconv.ParseInt(l.Ref, 10, 64)
	if err != nil || id <= 0 {
		return Hook{}, 0, fmt.Errorf("%w (event %s)", ErrNoRef, l.EventID)
	}
	h, err := ParseHook(l.Account)
	if err != nil {
		return Hook{}, 0, fmt.Errorf("%w (event %s): %w", ErrNoRef, l.EventID, err)
	}
	return h, id, nil
}
