// Package notify defines the notification channels a tenant keeps: where
// alerts go besides the signed webhook (Slack and Discord incoming
// webhooks, Microsoft Teams, a Telegram bot, PagerDuty Events API v2,
// email over SMTP, a signed webhook of package alerts), each with a
// filter and a message template, and the Store that keeps them
// (store/pebble and store/redis implement it). Secrets (a Slack URL, a
// bot token, an SMTP password, a routing key) are stored but never shown
// back: View redacts them.
//
// It holds types only, with no HTTP, so the store backends depend on it
// without depending on the senders (decision 0028). The registry that
// validates channels and the senders that deliver to them are package
// notify/sender.
package notify
