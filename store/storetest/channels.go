package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/notify"
)

// testChannels: channels kept per tenant, secrets and all, across a
// reopen; a channel put through one store is read by another on the same
// location (a replica).
func testChannels(t *testing.T, h Harness) {
	s := open(t, h)
	created := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	put := func(c notify.Channel) {
		t.Helper()
		c.Created = created
		if err := s.PutChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	put(notify.Channel{ID: "ops", Tenant: "zeta", Type: notify.Slack, Target: "https://hooks.slack.com/services/T0/B0/secret"})
	put(notify.Channel{ID: "pager", Tenant: "acme", Key: "key_acme", Type: notify.PagerDuty, Target: "routingkey0123456789",
		Filter: notify.Filter{Types: []string{alerts.TypeExchangeDeposit}, MinSeverity: alerts.High, Chains: []string{"ethereum"}, Incidents: []string{"inc_1"}}})
	put(notify.Channel{ID: "mail", Tenant: "acme", Type: notify.Email, Target: "desk@acme.example",
		SMTP: &notify.SMTP{Server: "smtp.acme.example:587", Username: "u", Password: "p4ss", From: "hound@acme.example"}, Template: "{{.Title}}"})
	// The same id in another tenant is another channel; a put replaces.
	put(notify.Channel{ID: "mail", Tenant: "zeta", Type: notify.Telegram, Target: "-100123", Secret: "123:abc"})
	put(notify.Channel{ID: "ops", Tenant: "zeta", Type: notify.Slack, Target: "https://hooks.slack.com/services/T0/B0/rotated"})
	if ok, err := s.DeleteChannel(ctx, "zeta", "mail"); err != nil || !ok {
		t.Fatalf("delete zeta/mail: %v %v", ok, err)
	}
	if ok, err := s.DeleteChannel(ctx, "zeta", "absent"); err != nil || ok {
		t.Fatalf("delete an absent channel: %v %v", ok, err)
	}
	s = reopen(t, h, s)
	cs, err := s.ListChannels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.Tenant+"/"+c.ID)
	}
	if !reflect.DeepEqual(got, []string{"acme/mail", "acme/pager", "zeta/ops"}) {
		t.Fatalf("channels %v", got)
	}
	if cs[2].Target != "https://hooks.slack.com/services/T0/B0/rotated" || !cs[2].Created.Equal(created) {
		t.Fatalf("replaced channel: %+v", cs[2])
	}
	c, ok, err := s.GetChannel(ctx, "acme", "mail")
	if err != nil || !ok || c.SMTP == nil || c.SMTP.Password != "p4ss" || c.Template != "{{.Title}}" {
		t.Fatalf("get acme/mail: %+v %v %v", c, ok, err)
	}
	p, _, _ := s.GetChannel(ctx, "acme", "pager")
	if p.Key != "key_acme" || !reflect.DeepEqual(p.Filter.Incidents, []string{"inc_1"}) || p.Filter.MinSeverity != alerts.High {
		t.Fatalf("get acme/pager: %+v", p)
	}
	if _, ok, _ := s.GetChannel(ctx, "zeta", "mail"); ok {
		t.Fatal("deleted channel found")
	}
	if _, ok, _ := s.GetChannel(ctx, "acme", "ops"); ok {
		t.Fatal("zeta's channel found under acme")
	}
	if h.Another == nil {
		return
	}
	other, err := h.Another(t)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.PutChannel(ctx, notify.Channel{ID: "late", Tenant: "acme", Type: notify.Discord, Target: "https://discord.com/api/webhooks/1/x", Created: created}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.GetChannel(ctx, "acme", "late"); err != nil || !ok {
		t.Fatalf("a channel put by another replica: %v %v", ok, err)
	}
}

// testChannelDeliveries: deliveries to a tenant's channels and to its
// webhook are queued side by side, each its own, ordered by (seq,
// tenant, channel).
func testChannelDeliveries(t *testing.T, h Harness) {
	s := open(t, h)
	at := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	d := func(seq uint64, tenant, channel string) alerts.Delivery {
		return alerts.Delivery{Seq: seq, Tenant: tenant, Channel: channel, Body: []byte(fmt.Sprintf(`{"seq":%d}`, seq)), Created: at, Next: at}
	}
	if err := s.EnqueueDeliveries(ctx, []alerts.Delivery{d(3, "acme", "slack"), d(3, "acme", ""), d(3, "acme", "mail"), d(1, "zeta", "mail")}, 3); err != nil {
		t.Fatal(err)
	}
	failed := d(3, "acme", "mail")
	failed.Attempts, failed.LastError = 2, "status 429"
	if err := s.UpdateDelivery(ctx, failed); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, h, s)
	q, err := s.PendingDeliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, x := range q {
		order = append(order, fmt.Sprintf("%d/%s/%s/%d", x.Seq, x.Tenant, x.Channel, x.Attempts))
	}
	if !reflect.DeepEqual(order, []string{"1/zeta/mail/0", "3/acme//0", "3/acme/mail/2", "3/acme/slack/0"}) {
		t.Fatalf("queue %v", order)
	}
	// Finishing the channel's delivery leaves the webhook's.
	if err := s.FinishDelivery(ctx, q[2], true); err != nil {
		t.Fatal(err)
	}
	q, _ = s.PendingDeliveries(ctx)
	if len(q) != 3 || q[1].Channel != "" || q[2].Channel != "slack" {
		t.Fatalf("queue after finishing acme/mail: %+v", q)
	}
	dead, err := s.DeadLetters(ctx, 0)
	if err != nil || len(dead) != 1 || dead[0].Channel != "mail" || dead[0].LastError != "status 429" {
		t.Fatalf("dead letters: %+v %v", dead, err)
	}
}
