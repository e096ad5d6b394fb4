package sender

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/alerts/deliver"
	"github.com/chainhound/chainhound/notify"
)

// Request bodies of the HTTP services, as each documents them.

// slackBody: Slack incoming webhook (text is the notification fallback;
// blocks the message shown).
func slackBody(m Message) any {
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type block struct {
		Type     string `json:"type"`
		Text     *text  `json:"text,omitempty"`
		Elements []text `json:"elements,omitempty"`
	}
	blocks := []block{
		{Type: "header", Text: &text{"plain_text", truncate(m.Title, 150)}},
		{Type: "section", Text: &text{"mrkdwn", truncate(m.Body, 3000)}},
	}
	if m.Link != "" {
		blocks = append(blocks, block{Type: "context", Elements: []text{{"mrkdwn", "<" + m.Link + "|Open in the chainhound console>"}}})
	}
	return map[string]any{"text": truncate(m.Title+"\n"+m.Body, 3000), "blocks": blocks}
}

// discordBody: Discord webhook (content plus one embed).
func discordBody(m Message) any {
	embed := map[string]any{
		"title":       truncate(m.Title, 256),
		"description": truncate(m.Body, 4096),
		"color":       severityColour(m.Alert.Severity),
	}
	if m.Link != "" {
		embed["url"] = m.Link
	}
	if !m.Alert.Time.IsZero() {
		embed["timestamp"] = m.Alert.Time.UTC().Format(time.RFC3339)
	}
	return map[string]any{"content": truncate(m.Title, 2000), "embeds": []any{embed}, "allowed_mentions": map[string]any{"parse": []string{}}}
}

// teamsBody: a Teams workflow ("Post to a channel when a webhook request
// is received") or incoming webhook, as an Adaptive Card message.
func teamsBody(m Message) any {
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body": []any{
			map[string]any{"type": "TextBlock", "text": m.Title, "weight": "Bolder", "size": "Medium", "wrap": true},
			map[string]any{"type": "TextBlock", "text": m.Body, "wrap": true},
		},
	}
	if m.Link != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open in the chainhound console", "url": m.Link}}
	}
	return map[string]any{
		"type":        "message",
		"attachments": []any{map[string]any{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}},
	}
}

// telegramBody: Bot API sendMessage, plain text.
func telegramBody(chatID string, m Message) any {
	return map[string]any{"chat_id": chatID, "text": truncate(m.Title+"\n"+m.Body, 4096), "link_preview_options": map[string]any{"is_disabled": true}}
}

// pagerDutyBody: Events API v2. Each alert triggers its own incident
// (dedup_key chainhound-<seq>); a retraction resolves the one it retracts.
func pagerDutyBody(routingKey string, m Message) any {
	a := m.Alert
	if a.Type == alerts.TypeRetracted && a.Retracts != nil {
		return map[string]any{"routing_key": routingKey, "event_action": "resolve", "dedup_key": DedupKey(*a.Retracts)}
	}
	dedup := DedupKey(a.Seq)
	if a.Seq == 0 {
		dedup = "chainhound-test"
	}
	payload := map[string]any{
		"summary":   truncate(m.Title, 1024),
		"severity":  pagerDutySeverity(a.Severity),
		"source":    "chainhound",
		"component": a.Chain,
		"class":     a.Type,
		"custom_details": map[string]any{
			"message": m.Body, "seq": a.Seq, "tx": a.Tx, "amount": a.Amount, "incident": a.Incident, "path": m.Path,
		},
	}
	if a.Incident != "" {
		payload["group"] = a.Incident
	}
	if !a.Time.IsZero() {
		payload["timestamp"] = a.Time.UTC().Format(time.RFC3339)
	}
	body := map[string]any{"routing_key": routingKey, "event_action": "trigger", "dedup_key": dedup, "payload": payload, "client": "chainhound"}
	if m.Link != "" {
		body["links"] = []any{map[string]any{"href": m.Link, "text": "chainhound console"}}
		body["client_url"] = m.Link
	}
	return body
}

// DedupKey is the PagerDuty dedup_key of the alert seq.
func DedupKey(seq uint64) string { return "chainhound-" + strconv.FormatUint(seq, 10) }

func pagerDutySeverity(s string) string {
	switch s {
	case alerts.Critical:
		return "critical"
	case alerts.High:
		return "error"
	case alerts.Medium, alerts.Low:
		return "warning"
	}
	return "info"
}

func severityColour(s string) int {
	switch s {
	case alerts.Critical:
		return 0xB00020
	case alerts.High:
		return 0xE65100
	case alerts.Medium:
		return 0xF9A825
	}
	return 0x607D8B
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// send makes one attempt of m to c.
func (r *Channels) send(ctx context.Context, c notify.Channel, m Message, raw []byte) error {
	switch c.Type {
	case notify.Slack:
		return r.postJSON(ctx, c.Target, c.SafeTarget(), slackBody(m), nil)
	case notify.Discord:
		return r.postJSON(ctx, c.Target, c.SafeTarget(), discordBody(m), nil)
	case notify.Teams:
		return r.postJSON(ctx, c.Target, c.SafeTarget(), teamsBody(m), nil)
	case notify.Telegram:
		base := c.URL
		if base == "" {
			base = notify.TelegramAPI
		}
		u := strings.TrimRight(base, "/") + "/bot" + c.Secret + "/sendMessage"
		return r.postJSON(ctx, u, notify.RedactURL(base, false)+"/bot…/sendMessage", telegramBody(c.Target, m), nil)
	case notify.PagerDuty:
		u := c.URL
		if u == "" {
			u = notify.PagerDutyAPI
		}
		return r.postJSON(ctx, u, notify.RedactURL(u, false), pagerDutyBody(c.Target, m), nil)
	case notify.Webhook:
		return r.postWebhook(ctx, c, m, raw)
	case notify.Email:
		return r.sendMail(ctx, c, m)
	}
	return fmt.Errorf("channel %s: unknown type %q", c.ID, c.Type)
}

// postJSON posts body to u (shown as safe in errors).
func (r *Channels) postJSON(ctx context.Context, u, safe string, body any, header http.Header) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return r.post(ctx, u, safe, b, header)
}

func (r *Channels) post(ctx context.Context, u, safe string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request to %s: %w", safe, bareURLError(err))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "chainhound-notify")
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", safe, bareURLError(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post to %s: %w", safe, deliver.HTTPError(resp))
	}
	return nil
}

// postWebhook posts the alert's JSON signed as alerts.Webhook deliveries
// are (alerts.Sign; the headers of package alerts).
func (r *Channels) postWebhook(ctx context.Context, c notify.Channel, m Message, raw []byte) error {
	if raw == nil {
		b, err := json.Marshal(m.Alert)
		if err != nil {
			return err
		}
		raw = b
	}
	ts := time.Now().Unix()
	h := http.Header{}
	h.Set(alerts.HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(alerts.HeaderSignature, alerts.Sign(c.Secret, ts, raw))
	h.Set(alerts.HeaderSeq, strconv.FormatUint(m.Alert.Seq, 10))
	return r.post(ctx, c.Target, c.SafeTarget(), raw, h)
}

// bareURLError drops the *url.Error around err: its text repeats the
// URL, which holds the channel's credential.
func bareURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
