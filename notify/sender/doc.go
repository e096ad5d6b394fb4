// Package sender validates and delivers the notification channels of
// package notify: Slack and Discord incoming webhooks, Microsoft Teams
// (incoming webhook or workflow), a Telegram bot, PagerDuty Events API v2,
// email over SMTP and the signed webhook of package alerts. Channels is
// the registry (add, list, remove, test) and renders each alert with its
// channel's template.
//
// Delivery is the alerts dispatcher's: Channels implements
// deliver.ChannelSet (package alerts/deliver), so a channel's alerts go
// through the same durable queue, retries and dead letters as the webhooks
// (docs/decisions/0024). Every destination dialled passes the egress
// policy of the webhooks (config webhooks.allow_private).
package sender
