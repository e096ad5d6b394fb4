// Package alerts turns the tracer's findings into the alerts of
// docs/interface.md and keeps them in a durable, sequenced log; it
// declares the webhooks, their delivery queue and the Store interfaces
// behind them. It holds no HTTP: the dispatcher that delivers to webhooks
// and notification channels is package alerts/deliver (decision 0028).
//
// # The log
//
// Every alert gets a sequence number (Alert.Seq), strictly increasing and
// kept across restarts, even when retention has pruned every stored alert.
// Log.Append writes the alerts durably (a synced batch) before it hands
// them to live subscribers, so a subscriber never sees an alert that a
// crash could lose.
//
// # Resuming without gap or duplicate
//
// A consumer that has delivered every alert up to N (the websocket hub,
// the webhook dispatcher after its cursor) resumes with Log.Follow (or
// FollowBatches), which is written once this way:
//
//	sub := log.Subscribe(256)          // 1. subscribe FIRST: nothing appended from now on is missed
//	defer sub.Close()
//	last := N
//	for {                              // 2. page the stored log to its end
//		page, err := log.Since(ctx, last, 1000)
//		if err != nil { ... }
//		if len(page) == 0 { break }
//		for _, a := range page { send(a); last = a.Seq }
//	}
//	for a := range sub.C {             // 3. then live, skipping what paging already sent
//		if a.Seq <= last { continue }
//		send(a); last = a.Seq
//	}
//	if sub.Dropped() { /* fell behind: resume from step 1 with N = last */ }
//
// Live alerts arrive in Seq order. A subscriber whose buffer is full is
// dropped (its channel is closed and Dropped reports true); Append never
// waits for it.
//
// Alert.Audience lists the tenants that may see an alert besides admins; it
// is stored with the alert, returned by Since and carried on live alerts,
// and never serialised to clients. Treat it as read-only: live alerts share
// it between subscribers.
//
// # Findings to alerts
//
// Raiser implements the tracer's Sink: Raise converts findings to alerts
// (severity from SeverityTable), Retract appends alert.retracted naming the
// withdrawn alert's seq, Confirm appends alert.confirmed for each alert of
// a block that reached its confirmation depth. The finding → seq and block →
// seqs indexes are written in the same durable batch as the alerts, so a
// replayed finding never raises a second alert, even across a crash.
//
// # Webhooks
//
// See webhook.go: per-tenant URL and secret, HMAC-SHA256 signatures
// (Sign, Verify), the durable delivery queue and dead letters
// (WebhookStore). Package alerts/deliver registers webhooks and delivers
// with backoff, to public addresses only (internal/egress), and only
// while the key that registered the webhook may receive them.
package alerts
