package mailer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"
	gomail "github.com/wneessen/go-mail"

	"kassa/jobs"
)

// Message is one email, fully rendered.
type Message struct {
	MessageID string   `json:"message_id"`
	FromName  string   `json:"from_name"` // the merchant's name; the address is KASSA_MAIL_FROM
	ReplyTo   string   `json:"reply_to,omitempty"`
	To        string   `json:"to"`
	ToName    string   `json:"to_name,omitempty"`
	Cc        []string `json:"cc,omitempty"`
	Subject   string   `json:"subject"`
	Text      string   `json:"text"`
	HTML      string   `json:"html"`
	// Kind names the email for logs and metrics (order_confirmation, …).
	Kind string `json:"kind"`
}

// Config configures delivery.
type Config struct {
	// SMTPURL is smtp://user:pass@host:port (STARTTLS as TLSPolicy says)
	// or smtps://… (implicit TLS). Empty: write .eml files to FileDir.
	SMTPURL string
	// TLSPolicy: "mandatory", "opportunistic" (default), or "none".
	TLSPolicy string
	// From is the sender address (KASSA_MAIL_FROM).
	From    string
	FileDir string
	Log     *slog.Logger
	Timeout time.Duration
}

// Mailer enqueues and delivers email.
type Mailer struct {
	cfg   Config
	queue *jobs.Queue
	log   *slog.Logger
}

// New returns a mailer that enqueues on q and registers its worker there.
func New(cfg Config, q *jobs.Queue) (*Mailer, error) {
	if cfg.From == "" {
		cfg.From = "kassa@localhost"
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("mailer: KASSA_MAIL_FROM %q is not an address", cfg.From)
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.SMTPURL != "" {
		if _, err := parseSMTPURL(cfg.SMTPURL, cfg.TLSPolicy); err != nil {
			return nil, err
		}
	}
	m := &Mailer{cfg: cfg, queue: q, log: cfg.Log}
	river.AddWorker(q.Workers, &sendWorker{m: m})
	return m, nil
}

// SendArgs is the job that delivers one message.
type SendArgs struct {
	Message Message `json:"message"`
}

// Kind names the job.
func (SendArgs) Kind() string { return "mailer.send" }

// EnqueueTx schedules msg inside tx: it is sent only if tx commits.
//
// Errors: an invalid recipient address (validate addresses at input).
func (m *Mailer) EnqueueTx(ctx context.Context, tx *sqlx.Tx, msg Message) (string, error) {
	if err := checkAddress(msg.To); err != nil {
		return "", err
	}
	for _, cc := range msg.Cc {
		if err := checkAddress(cc); err != nil {
			return "", err
		}
	}
	if msg.MessageID == "" {
		msg.MessageID = NewMessageID(m.cfg.From)
	}
	msg.Subject = oneLine(msg.Subject)
	msg.FromName = oneLine(msg.FromName)
	msg.ToName = oneLine(msg.ToName)
	return msg.MessageID, m.queue.InsertTx(ctx, tx, SendArgs{Message: msg}, &river.InsertOpts{Queue: river.QueueDefault})
}

// NewMessageID returns a globally unique Message-ID (without angle
// brackets) in the sender's domain.
func NewMessageID(from string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	domain := "kassa.local"
	if a, err := mail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			domain = a.Address[i+1:]
		}
	}
	return hex.EncodeToString(b) + "@" + domain
}

func checkAddress(a string) error {
	p, err := mail.ParseAddress(a)
	if err != nil || p.Address != a || strings.ContainsAny(a, "\r\n") {
		return fmt.Errorf("mailer: %q is not a plain email address", a)
	}
	return nil
}

// oneLine makes a string safe for a header: no CR, LF or other control
// characters survive.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' || r < 0x20 && r != '\t' }), " ")
}

type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	m *Mailer
}

func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	msg := job.Args.Message
	if err := w.m.deliver(ctx, msg); err != nil {
		w.m.log.WarnContext(ctx, "email not delivered; will retry", "kind", msg.Kind, "message_id", msg.MessageID, "attempt", job.Attempt, "error", err)
		return err
	}
	w.m.log.InfoContext(ctx, "email sent", "kind", msg.Kind, "message_id", msg.MessageID, "attempt", job.Attempt)
	return nil
}

func (m *Mailer) build(msg Message) (*gomail.Msg, error) {
	g := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := g.FromFormat(oneLine(msg.FromName), m.cfg.From); err != nil {
		return nil, err
	}
	if err := g.AddToFormat(oneLine(msg.ToName), msg.To); err != nil {
		return nil, err
	}
	if len(msg.Cc) > 0 {
		if err := g.Cc(msg.Cc...); err != nil {
			return nil, err
		}
	}
	if msg.ReplyTo != "" {
		if err := g.ReplyTo(msg.ReplyTo); err != nil {
			return nil, err
		}
	}
	g.Subject(oneLine(msg.Subject))
	g.SetMessageIDWithValue(msg.MessageID)
	g.SetDate()
	g.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		g.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return g, nil
}

func (m *Mailer) deliver(ctx context.Context, msg Message) error {
	g, err := m.build(msg)
	if err != nil {
		return err
	}
	if m.cfg.SMTPURL == "" {
		return m.writeFile(msg, g)
	}
	opts, _ := parseSMTPURL(m.cfg.SMTPURL, m.cfg.TLSPolicy)
	opts.options = append(opts.options, gomail.WithTimeout(m.cfg.Timeout))
	c, err := gomail.NewClient(opts.host, opts.options...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	return c.DialAndSendWithContext(ctx, g)
}

// writeFile stores the message as <dir>/<message id>.eml (overwriting a
// previous attempt, so a retry leaves one file).
func (m *Mailer) writeFile(msg Message, g *gomail.Msg) error {
	if err := os.MkdirAll(m.cfg.FileDir, 0o755); err != nil {
		return err
	}
	name := filepath.Join(m.cfg.FileDir, safeName(msg.Kind)+"-"+safeName(strings.SplitN(msg.MessageID, "@", 2)[0])+".eml")
	if err := g.WriteToFile(name); err != nil {
		return err
	}
	m.log.Info("email written to file (no KASSA_SMTP_URL set)", "kind", msg.Kind, "file", name)
	return nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

type smtpOptions struct {
	host    string
	options []gomail.Option
}

func parseSMTPURL(raw, policy string) (smtpOptions, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return smtpOptions{}, errors.New("mailer: KASSA_SMTP_URL must look like smtp://user:pass@host:587 or smtps://…")
	}
	o := smtpOptions{host: u.Hostname()}
	port := 587
	if u.Scheme == "smtps" {
		port = 465
		o.options = append(o.options, gomail.WithSSL())
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return smtpOptions{}, errors.New("mailer: bad port in KASSA_SMTP_URL")
		}
	}
	o.options = append(o.options, gomail.WithPort(port))
	switch policy {
	case "mandatory":
		o.options = append(o.options, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "none":
		o.options = append(o.options, gomail.WithTLSPolicy(gomail.NoTLS))
	case "", "opportunistic":
		o.options = append(o.options, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		return smtpOptions{}, errors.New("mailer: KASSA_SMTP_TLS must be mandatory, opportunistic or none")
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		o.options = append(o.options, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	return o, nil
}
