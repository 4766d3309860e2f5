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
	"unicode"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	gomail "github.com/wneessen/go-mail"

	"kassa/db"
	"kassa/gid"
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
	// MerchantID is the merchant the email is sent for, so that an email
	// that can never be delivered is reported to that merchant (every
	// caller that sends for a merchant sets it; unset, nobody is told).
	MerchantID gid.MerchantID `json:"merchant_id"`
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
	// DB, when set, is where the delivery job records what became of an
	// email in its merchant's email log (sent.go). Without it the log
	// keeps each email as QUEUED.
	DB *db.DB
}

// Mailer enqueues and delivers email.
type Mailer struct {
	cfg   Config
	from  string // the bare address of cfg.From
	queue *jobs.Queue
	log   *slog.Logger

	undeliverable   *prometheus.CounterVec
	onUndeliverable []func(context.Context, Undeliverable) error
}

// Undeliverable is an email given up on: it can never be delivered as it
// is (the mail server refused its recipient for good, or its address
// cannot be written), so retrying would only hide the failure.
type Undeliverable struct {
	MerchantID gid.MerchantID // uuid.Nil when the email was not sent for a merchant
	Kind       string         // the template, e.g. order_confirmation
	Domain     string         // the recipient's domain; the full address is personal data
	Reason     string         // why, in words fit for the merchant (no address, no server text)
}

// New returns a mailer that enqueues on q and registers its worker there.
func New(cfg Config, q *jobs.Queue) (*Mailer, error) {
	if cfg.From == "" {
		cfg.From = "kassa@localhost"
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
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
	m := &Mailer{cfg: cfg, from: from.Address, queue: q, log: cfg.Log,
		undeliverable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kassa", Name: "email_undeliverable_total",
			Help: "Emails given up on because they can never be delivered (recipient refused for good, address not writable), by template.",
		}, []string{"template"}),
	}
	river.AddWorker(q.Workers, &sendWorker{m: m})
	return m, nil
}

// Collectors are the mailer's metrics, for the server's registry.
func (m *Mailer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.undeliverable}
}

// OnUndeliverable registers fn to record an email given up on where the
// merchant sees it. It runs before the job is cancelled; when it fails,
// the job is retried instead, so the record is not lost.
func (m *Mailer) OnUndeliverable(fn func(ctx context.Context, u Undeliverable) error) {
	m.onUndeliverable = append(m.onUndeliverable, fn)
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
	if err := logQueuedTx(ctx, tx, msg); err != nil {
		return "", err
	}
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

// oneLine makes a string safe for a header: no CR, LF, other control
// characters (C0, DEL, C1) or Unicode line separators survive; each run
// of them and of spaces becomes one space.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029'
	}), " ")
}

// maxNameRunes bounds a display name: names are typed by people (up to 200
// characters elsewhere in kassa), and a header line must stay far below
// SMTP's 998-octet limit.
const maxNameRunes = 200

// displayName is a person's or merchant's name as it may stand before an
// address: on one line and bounded. Quoting and encoding are left to
// net/mail's Address, which writes any name (quotes, backslashes,
// non-ASCII) in a form that parses back to the same name.
func displayName(s string) string {
	s = oneLine(s)
	if r := []rune(s); len(r) > maxNameRunes {
		s = strings.TrimSpace(string(r[:maxNameRunes]))
	}
	return s
}

type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	m *Mailer
}

// Work delivers the message. A transient failure (server down, 4xx) is
// returned so River retries with backoff; a permanent one is recorded for
// the merchant, counted, and the job cancelled: retrying it could never
// succeed and would only keep the failure out of sight.
func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	msg := job.Args.Message
	err := w.m.deliver(ctx, msg)
	if err == nil {
		w.m.log.InfoContext(ctx, "email sent", "kind", msg.Kind, "message_id", msg.MessageID, "attempt", job.Attempt)
		// The email is out: failing to note it must not send it again.
		if lerr := w.m.logOutcome(ctx, msg, "SENT", ""); lerr != nil {
			w.m.log.WarnContext(ctx, "email sent but not marked sent in the email log", "message_id", msg.MessageID, "error", lerr)
		}
		return nil
	}
	reason, permanent := permanentFailure(err)
	if !permanent {
		w.m.log.WarnContext(ctx, "email not delivered; will retry", "kind", msg.Kind, "message_id", msg.MessageID, "attempt", job.Attempt, "error", err)
		return err
	}
	if rerr := w.m.giveUp(ctx, msg, reason); rerr != nil {
		w.m.log.ErrorContext(ctx, "email undeliverable but not recorded; will retry", "kind", msg.Kind, "message_id", msg.MessageID, "error", rerr)
		return rerr
	}
	w.m.log.ErrorContext(ctx, "email undeliverable; given up", "kind", msg.Kind, "message_id", msg.MessageID, "merchant_id", msg.MerchantID,
		"attempt", job.Attempt, "error", err)
	return river.JobCancel(err)
}

// giveUp records an undeliverable message for its merchant and counts it.
func (m *Mailer) giveUp(ctx context.Context, msg Message, reason string) error {
	u := Undeliverable{MerchantID: msg.MerchantID, Kind: msg.Kind, Domain: domainOf(msg.To), Reason: reason}
	if err := m.logOutcome(ctx, msg, "FAILED", reason); err != nil {
		return err
	}
	for _, fn := range m.onUndeliverable {
		if err := fn(ctx, u); err != nil {
			return err
		}
	}
	m.undeliverable.WithLabelValues(msg.Kind).Inc()
	return nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

// badMessage marks a message that cannot be written as it is: trying again
// builds the same message and fails the same way.
type badMessage struct{ err error }

func (e badMessage) Error() string { return "mailer: message cannot be written: " + e.err.Error() }
func (e badMessage) Unwrap() error { return e.err }

// permanentFailure reports whether err can never go away by retrying the
// same message, and why in words for the merchant. Only refusals of this
// message or its recipient are permanent (5xx to RCPT TO or DATA, as
// 550 mailbox unavailable or 553 mailbox name not allowed); a 5xx to MAIL
// FROM or to authentication is the sender's configuration, which an
// operator fixes, so those retry like 4xx and refused connections.
func permanentFailure(err error) (string, bool) {
	var bad badMessage
	if errors.As(err, &bad) {
		return "the address or name cannot be written in an email", true
	}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return "", false
	}
	switch se.Reason {
	case gomail.ErrGetSender, gomail.ErrGetRcpts:
		return "the address cannot be written in an email", true
	case gomail.ErrSMTPRcptTo:
		if se.ErrorCode()/100 == 5 {
			return fmt.Sprintf("the recipient's mail server refused the address (%d)", se.ErrorCode()), true
		}
	case gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		if se.ErrorCode()/100 == 5 {
			return fmt.Sprintf("the mail server refused the message (%d)", se.ErrorCode()), true
		}
	}
	return "", false
}

// build writes msg as a go-mail message. Names are given to go-mail apart
// from addresses (mail.Address), never pasted into a `"name" <addr>`
// string: a name with a quote or backslash would make that string
// unparseable, and the email undeliverable.
func (m *Mailer) build(msg Message) (*gomail.Msg, error) {
	g := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	g.FromMailAddress(&mail.Address{Name: displayName(msg.FromName), Address: m.from})
	if err := checkAddress(msg.To); err != nil {
		return nil, badMessage{err}
	}
	g.ToMailAddress(&mail.Address{Name: displayName(msg.ToName), Address: msg.To})
	if len(msg.Cc) > 0 {
		if err := g.Cc(msg.Cc...); err != nil {
			return nil, badMessage{err}
		}
	}
	if msg.ReplyTo != "" {
		if err := g.ReplyTo(msg.ReplyTo); err != nil {
			return nil, badMessage{err}
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
	//nolint:gosec // G301: the mail folder is for the operator to read (KASSA_MAIL_DIR in development)
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
