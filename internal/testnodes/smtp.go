package testnodes

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message an SMTP server accepted.
type Mail struct {
	From string
	To   []string
	Data string // the message as sent: headers, blank line, body
	TLS  bool   // the session was encrypted when the message came
	User string // who authenticated
}

// SMTPOptions configure StartSMTP.
type SMTPOptions struct {
	Mechs    []string // AUTH mechanisms offered: "PLAIN", "LOGIN" [PLAIN]
	NoTLS    bool     // offer no STARTTLS
	User     string   // [hound]
	Password string   // [s3cret-smtp-pass]
}

// SMTP is a real SMTP server (emersion/go-smtp) on 127.0.0.1 for tests:
// STARTTLS on a throwaway certificate for 127.0.0.1 and localhost, AUTH
// by the mechanisms asked, refused before STARTTLS; mail refused before
// AUTH. It keeps what it accepts.
type SMTP struct {
	Addr     string
	User     string
	Password string
	// CertPool trusts the server's certificate; CertFile holds it as PEM
	// (SSL_CERT_FILE for a chainhound process under test).
	CertPool *x509.CertPool
	CertFile string

	mu    sync.Mutex
	mails []Mail
}

// StartSMTP starts a server, stopped by tb.Cleanup.
func StartSMTP(tb testing.TB, o SMTPOptions) *SMTP {
	tb.Helper()
	if len(o.Mechs) == 0 {
		o.Mechs = []string{sasl.Plain}
	}
	if o.User == "" {
		o.User = "hound"
	}
	if o.Password == "" {
		o.Password = "s3cret-smtp-pass"
	}
	cert, pool, pemBytes := selfSigned(tb)
	m := &SMTP{User: o.User, Password: o.Password, CertPool: pool, CertFile: filepath.Join(tb.TempDir(), "smtp-cert.pem")}
	if err := os.WriteFile(m.CertFile, pemBytes, 0o644); err != nil {
		tb.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: m, conn: c, mechs: o.Mechs}, nil
	}))
	srv.Domain = "localhost"
	if !o.NoTLS {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	srv.AllowInsecureAuth = false
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	m.Addr = l.Addr().String()
	go srv.Serve(l)
	tb.Cleanup(func() { srv.Close() })
	return m
}

// Received returns the messages accepted so far.
func (m *SMTP) Received() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.mails...)
}

type smtpSession struct {
	srv   *SMTP
	conn  *smtp.Conn
	mechs []string
	user  string
	cur   Mail
}

func (s *smtpSession) AuthMechanisms() []string { return s.mechs }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.srv.User || pass != s.srv.Password {
			return errors.New("invalid username or password")
		}
		s.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = Mail{From: from, User: s.user}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.cur.TLS = s.conn.TLSConnectionState()
	s.cur.Data = string(b)
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = Mail{} }
func (s *smtpSession) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN (go-sasl has only the
// client's): "Username:", then "Password:".
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if response != nil { // the user name as an initial response
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(response)
		l.step++
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(response))
	}
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, a pool
// that trusts it, and its PEM.
func selfSigned(tb testing.TB) (tls.Certificate, *x509.CertPool, []byte) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "chainhound test mail"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool,
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
