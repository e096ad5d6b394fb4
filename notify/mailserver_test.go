package notify_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// mail is one message a mailServer accepted.
type mail struct {
	From string
	To   []string
	Data string
	TLS  bool   // the session was encrypted when the message came
	User string // who authenticated
}

// mailServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1 with
// STARTTLS on a test certificate and AUTH by the mechanisms given
// (PLAIN, LOGIN); it refuses AUTH before STARTTLS and mail before AUTH.
type mailServer struct {
	Addr     string
	user     string
	password string
	mu       sync.Mutex
	mails    []mail
}

func startMailServer(t *testing.T, cert tls.Certificate, mechs []string, starttls bool) *mailServer {
	t.Helper()
	m := &mailServer{user: "hound", password: "s3cret-smtp-pass"}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{srv: m, conn: c, mechs: mechs}, nil
	}))
	srv.Domain = "localhost"
	if starttls {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	srv.AllowInsecureAuth = false
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.Addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return m
}

func (m *mailServer) received() []mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mail(nil), m.mails...)
}

type mailSession struct {
	srv   *mailServer
	conn  *smtp.Conn
	mechs []string
	user  string
	cur   mail
}

func (s *mailSession) AuthMechanisms() []string { return s.mechs }

func (s *mailSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.srv.user || pass != s.srv.password {
			return errors.New("invalid username or password")
		}
		s.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = mail{From: from, User: s.user}
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
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

func (s *mailSession) Reset()        { s.cur = mail{} }
func (s *mailSession) Logout() error { return nil }

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
