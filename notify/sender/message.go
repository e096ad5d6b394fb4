package sender

import (
	"bytes"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/notify"
)

// DefaultTemplate is the message body of a channel without a template.
// Its data is a Message.
const DefaultTemplate = `{{.Alert.Severity}} {{.Alert.Type}} on {{.Alert.Chain}}: {{.Amount}}{{if .Tainted}} ({{.Tainted}} tainted){{end}}
{{- with .Alert.Label}}
to {{.Kind}} {{.Name}}{{end}}{{if .Alert.To}} {{.Alert.To}}{{end}}
{{- with .Alert.Incident}}
incident {{.}}{{end}}
{{- with .Path}}
path: {{.}}{{end}}
{{- with .Alert.Tx}}
tx {{.}}{{end}}{{with .Alert.Block}} in block {{.Number}}{{end}}
{{- with .Link}}
{{.}}{{end}}`

// Message is what a channel says about one alert: the data of its
// template, and the rendered title and body.
type Message struct {
	Alert   alerts.Alert
	Title   string // "[critical] taint.exchange_deposit on ethereum: 1.5 ETH"
	Amount  string // the alert's amount in the asset's units, "1.5 ETH"
	Tainted string // the tainted part likewise, "" when the whole
	Path    string // "0xA… → 0xB… → 0xC… (2 hops)"
	Link    string // the console's page of the alert, "" without api.public_url
	Body    string // the rendered template
}

// parseTemplate parses a channel's template ("" the default).
func parseTemplate(text string) (*template.Template, error) {
	if text == "" {
		text = DefaultTemplate
	}
	return template.New("message").Option("missingkey=error").Parse(text)
}

// newMessage renders a for a channel whose template is tmpl; publicURL
// is the console's (config api.public_url).
func newMessage(a alerts.Alert, tmpl *template.Template, publicURL string) (Message, error) {
	m := Message{Alert: a, Amount: FormatAmount(a.Amount, a.Asset, a.Chain), Path: PathSummary(a)}
	if a.Tainted != "" && a.Tainted != a.Amount {
		m.Tainted = FormatAmount(a.Tainted, a.Asset, a.Chain)
	}
	if publicURL != "" && a.Seq > 0 {
		m.Link = strings.TrimRight(publicURL, "/") + "/#/alerts/" + strconv.FormatUint(a.Seq, 10)
	}
	m.Title = fmt.Sprintf("[%s] %s on %s", a.Severity, a.Type, a.Chain)
	if a.Amount != "" {
		m.Title += ": " + m.Amount
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, m); err != nil {
		return Message{}, fmt.Errorf("render message of alert %d: %w", a.Seq, err)
	}
	m.Body = strings.TrimSpace(b.String())
	return m, nil
}

// testAlert is the alert a test message shows.
func testAlert(c notify.Channel) alerts.Alert {
	sym := "ETH"
	return alerts.Alert{
		Type: "test", Severity: alerts.Info, Chain: "ethereum", Tx: "0x0000000000000000000000000000000000000000000000000000000000000000",
		Asset: &alerts.Asset{Symbol: sym, Decimals: 18}, Amount: "1000000000000000000",
		Reason: "a test message from chainhound for channel " + c.ID, Time: time.Now().UTC(),
	}
}

// FormatAmount writes amount (an integer in the asset's smallest unit) in
// the asset's units with its symbol: "1.5 ETH", "0.00012 BTC". Without an
// asset it takes the chain's native one. An amount that is not an integer
// is returned as it is.
func FormatAmount(amount string, asset *alerts.Asset, chain string) string {
	sym, dec := "", 0
	switch {
	case asset != nil:
		sym, dec = asset.Symbol, int(asset.Decimals)
	case chain == "ethereum":
		sym, dec = "ETH", 18
	case chain == "bitcoin":
		sym, dec = "BTC", 8
	}
	n, ok := new(big.Int).SetString(amount, 10)
	if !ok {
		return amount
	}
	s := formatUnits(n, dec)
	if sym != "" {
		s += " " + sym
	}
	return s
}

// formatUnits writes n / 10^dec exactly, without trailing zeros.
func formatUnits(n *big.Int, dec int) string {
	neg := n.Sign() < 0
	digits := new(big.Int).Abs(n).String()
	if dec > 0 {
		if len(digits) <= dec {
			digits = strings.Repeat("0", dec-len(digits)+1) + digits
		}
		whole, frac := digits[:len(digits)-dec], strings.TrimRight(digits[len(digits)-dec:], "0")
		digits = whole
		if frac != "" {
			digits += "." + frac
		}
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// PathSummary is a's path in one line: the addresses it went through,
// shortened, and the mixers and bridges on the way.
func PathSummary(a alerts.Alert) string {
	if len(a.Path) == 0 {
		return ""
	}
	parts := []string{short(a.Path[0].From)}
	for _, h := range a.Path {
		p := short(h.To)
		if h.Via != nil {
			name := h.Via.Kind
			if h.Via.Label != "" {
				name = h.Via.Label
			} else if h.Via.Protocol != "" {
				name = h.Via.Protocol
			}
			p = "[" + name + "] " + p
		}
		parts = append(parts, p)
	}
	hops := len(a.Path)
	unit := "hops"
	if hops == 1 {
		unit = "hop"
	}
	return fmt.Sprintf("%s (%d %s)", strings.Join(parts, " → "), hops, unit)
}

// short abbreviates a long address or hash: 0x1234…abcd.
func short(s string) string {
	if len(s) <= 14 {
		return s
	}
	return s[:6] + "…" + s[len(s)-4:]
}
