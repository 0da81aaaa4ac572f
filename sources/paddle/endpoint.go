package paddle

import (
	"context"
	"fmt"

	paddlesdk "github.com/PaddleHQ/paddle-go-sdk/v4"

	"github.com/hookledger/hookledger/sources"
)

var _ sources.EndpointViewer = (*Source)(nil)

// Endpoints returns Paddle's view of the configured notification
// destination (PADDLE_NOTIFICATION_SETTING_ID): whether it is active and
// where it sends. Without a destination there is nothing to look at, and
// it returns none.
func (s *Source) Endpoints(ctx context.Context) ([]sources.Endpoint, error) {
	if s.cfg.NotificationSettingID == "" {
		return nil, nil
	}
	sdk, err := s.sdk(&pageCapture{client: s.client})
	if err != nil {
		return nil, err
	}
	ns, err := sdk.GetNotificationSetting(ctx, &paddlesdk.GetNotificationSettingRequest{
		NotificationSettingID: s.cfg.NotificationSettingID})
	if err != nil {
		return nil, fmt.Errorf("get notification setting %s: %w", s.cfg.NotificationSettingID, err)
	}
	status := "inactive"
	if ns.Active {
		status = "active"
	}
	return []sources.Endpoint{{ID: ns.ID, Enabled: ns.Active, Status: status, URL: ns.Destination}}, nil
}
