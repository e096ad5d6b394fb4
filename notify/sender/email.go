package sender

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"slices"
	"strings"
	"time"

	"github.com/chainhound/chainhound/notify"
)

// sendMail sends m to an email channel's recipients through its SMTP
// server: STARTTLS (required unless the connection is TLS from the
// start), then AUTH PLAIN (or LOGIN) when a username is set.
func (r *Channels) sendMail(ctx context.Context, c notify.Channel, m Message) error {
	s := c.SMTP
	if s == nil {
		return fmt.Errorf("channel %s: no smtp server", c.ID)
	}
	to, err := notify.Recipients(c.Target)
	if err != nil {
		return fmt.Errorf("channel %s: target: %w", c.ID, err)
	}
	host, _, err := net.SplitHostPort(s.Server)
	if err != nil {
		return fmt.Errorf("channel %s: smtp.server %q: %w", c.ID, s.Server, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	conn, err := r.egress.Dialer(time.Until(deadline)).DialContext(ctx, "tcp", s.Server)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.Server, err)
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	tlsCfg := &tls.Config{ServerName: host, RootCAs: r.rootCAs, MinVersion: tls.VersionTLS12}
	if s.TLSMode() == "tls" {
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtp %s: tls: %w", s.Server, err)
		}
		conn = tc
	}
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.Server, err)
	}
	defer cl.Close()
	if err := cl.Hello("chainhound"); err != nil {
		return fmt.Errorf("smtp %s: EHLO: %w", s.Server, err)
	}
	if s.TLSMode() == "starttls" {
		if ok, _ := cl.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp %s: the server does not offer STARTTLS (smtp.tls starttls); not sending in clear", s.Server)
		}
		if err := cl.StartTLS(tlsCfg); err != nil {
			return fmt.Errorf("smtp %s: STARTTLS: %w", s.Server, err)
		}
	}
	if s.Username != "" {
		ok, mechs := cl.Extension("AUTH")
		if !ok {
			return fmt.Errorf("smtp %s: the server offers no AUTH", s.Server)
		}
		var auth smtp.Auth
		switch list := strings.Fields(mechs); {
		case slices.Contains(list, "PLAIN"):
			auth = smtp.PlainAuth("", s.Username, s.Password, host)
		case slices.Contains(list, "LOGIN"):
			auth = &loginAuth{user: s.Username, pass: s.Password}
		default:
			return fmt.Errorf("smtp %s: the server offers AUTH %s, neither PLAIN nor LOGIN", s.Server, mechs)
		}
		if err := cl.Auth(auth); err != nil {
			return fmt.Errorf("smtp %s: AUTH as %s: %w", s.Server, s.Username, err)
		}
	}
	if err := cl.Mail(s.From); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM %s: %w", s.Server, s.From, err)
	}
	for _, rcpt := range to {
		if err := cl.Rcpt(rcpt); err != nil {
			return fmt.Errorf("smtp %s: RCPT TO %s: %w", s.Server, rcpt, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", s.Server, err)
	}
	if _, err := w.Write(mailMessage(s.From, to, m)); err != nil {
		return fmt.Errorf("smtp %s: write message: %w", s.Server, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: end of message: %w", s.Server, err)
	}
	return cl.Quit()
}

// mailMessage is m as an RFC 5322 message, text/plain in UTF-8
// (quoted-printable).
func mailMessage(from string, to []string, m Message) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) {
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	date := m.Alert.Time
	if date.IsZero() {
		date = time.Now()
	}
	hdr("From", from)
	hdr("To", strings.Join(to, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Title))
	hdr("Date", date.UTC().Format(time.RFC1123Z))
	if m.Alert.Seq > 0 {
		hdr("Message-ID", fmt.Sprintf("<chainhound-alert-%d@chainhound>", m.Alert.Seq))
	}
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := m.Body
	if m.Link != "" && !strings.Contains(body, m.Link) {
		body += "\n\n" + m.Link
	}
	qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"))
	qp.Close()
	return b.Bytes()
}

// loginAuth is AUTH LOGIN, for servers that offer no PLAIN. Like
// smtp.PlainAuth it refuses to send the password over a connection that
// is not TLS.
type loginAuth struct{ user, pass string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS {
		return "", nil, errors.New("unencrypted connection")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:":
		return []byte(a.user), nil
	case "password:":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected AUTH LOGIN challenge %q", fromServer)
}
