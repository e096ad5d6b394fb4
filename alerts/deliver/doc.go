// Package deliver delivers the alert log to webhooks and notification
// channels over HTTP: Webhooks registers each tenant's webhook (checking
// its URL against the egress policy), and Dispatcher follows the log from
// a durable cursor (alerts.Log.FollowBatches), queues one delivery per
// alert and destination in the alerts.WebhookStore, and sends each
// destination's queue in order with exponential backoff and jitter,
// dead-lettering after DispatcherConfig.MaxAttempts.
//
// Deliveries reach public addresses only (internal/egress, checked on the
// address dialled; DispatcherConfig.Egress holds the operator's
// allow-list), and only while the key that registered the webhook may
// receive them (DispatcherConfig.Authorize). Notification channels
// (package notify/sender) share the queue through ChannelSet (decision
// 0024). The records, the queue's store interface and the signature
// (alerts.Sign, alerts.Verify) stay in package alerts, which holds no
// HTTP (decision 0028).
package deliver
