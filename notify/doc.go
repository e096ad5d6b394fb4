// Package notify sends alerts to the places people already watch: Slack
// and Discord incoming webhooks, Microsoft Teams (incoming webhook or
// workflow), a Telegram bot, PagerDuty Events API v2, email over SMTP and
// the signed webhook of package alerts. Each tenant keeps any number of
// channels, each with a filter and a message template.
//
// Delivery is the alerts dispatcher's: Channels implements
// alerts.ChannelSet, so a channel's alerts go through the same durable
// queue, retries and dead letters as the webhooks (docs/decisions/0024).
// Every destination dialled passes the egress policy of the webhooks
// (config webhooks.allow_private). Secrets (a Slack URL, a bot token, an
// SMTP password, a routing key) are stored but never shown back: View
// redacts them.
package notify
