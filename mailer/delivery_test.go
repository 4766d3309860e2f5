package mailer

import (
	"bufio"
	"context"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"kassa/db"
	"kassa/db/dbtest"
	"kassa/gid"
	"kassa/jobs"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fakeSMTP is an SMTP server that accepts every message except to
// recipients whose local part says otherwise: "rejected" gets a permanent
// 550, "later" a temporary 451. It keeps what it accepted.
type fakeSMTP struct {
	addr string
	mu   sync.Mutex
	data []string
}

func startFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	s := &fakeSMTP{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = c.Write([]byte(line + "\r\n")) }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-fake")
			say("250-8BITMIME")
			say("250 ENHANCEDSTATUSCODES")
		case strings.HasPrefix(cmd, "HELO"), strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 2.0.0 ok")
		case strings.HasPrefix(cmd, "RCPT"):
			switch {
			case strings.Contains(cmd, "REJECTED@"):
				say("550 5.1.1 mailbox unavailable")
			case strings.Contains(cmd, "LATER@"):
				say("451 4.3.0 try again later")
			default:
				say("250 2.1.5 ok")
			}
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			s.mu.Lock()
			s.data = append(s.data, b.String())
			s.mu.Unlock()
			say("250 2.0.0 queued")
		case strings.HasPrefix(cmd, "QUIT"):
			say("221 2.0.0 bye")
			return
		default:
			say("502 5.5.2 not implemented")
		}
	}
}

func (s *fakeSMTP) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.data...)
}

type deliveryBundle struct {
	db     *db.DB
	mailer *Mailer
	smtp   *fakeSMTP

	mu    sync.Mutex
	given []Undeliverable
}

// setupDelivery starts a queue on the test's own database with a mailer
// sending to a fake SMTP server.
func setupDelivery(t *testing.T) *deliveryBundle {
	t.Helper()
	d := dbtest.New(t)
	q, err := jobs.New(d.System.DB, jobs.Config{PollInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	b := &deliveryBundle{db: d, smtp: startFakeSMTP(t)}
	b.mailer, err = New(Config{SMTPURL: "smtp://" + b.smtp.addr, TLSPolicy: "none", From: "kassa@kassa.example", Timeout: 5 * time.Second, DB: d}, q)
	require.NoError(t, err)
	b.mailer.OnUndeliverable(func(_ context.Context, u Undeliverable) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.given = append(b.given, u)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, q.Start(ctx))
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = q.Stop(stop)
		cancel()
	})
	return b
}

func (b *deliveryBundle) enqueue(t *testing.T, msg Message) string {
	t.Helper()
	var id string
	require.NoError(t, b.db.InSystem(context.Background(), func(tx *sqlx.Tx) error {
		var err error
		id, err = b.mailer.EnqueueTx(context.Background(), tx, msg)
		return err
	}))
	return id
}

// counted is kassa_email_undeliverable_total for template.
func (m *Mailer) counted(t *testing.T, template string) float64 {
	t.Helper()
	var out dto.Metric
	require.NoError(t, m.undeliverable.WithLabelValues(template).Write(&out))
	return out.GetCounter().GetValue()
}

type jobState struct {
	State   string `db:"state"`
	Attempt int    `db:"attempt"`
}

// waitJob waits until the message's job is in one of states.
func (b *deliveryBundle) waitJob(t *testing.T, messageID string, states ...string) jobState {
	t.Helper()
	var js jobState
	require.Eventually(t, func() bool {
		err := b.db.System.Get(&js, `SELECT state, attempt FROM river_job WHERE kind = 'mailer.send' AND args->'message'->>'message_id' = $1`, messageID)
		require.NoError(t, err)
		for _, s := range states {
			if js.State == s {
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "job of %s to be %v", messageID, states)
	return js
}

func TestDelivery(t *testing.T) {
	t.Parallel()
	b := setupDelivery(t)
	merchant := gid.Of[gid.MerchantID](uuid.Must(uuid.NewV7()))

	t.Run("HostileNameIsDeliveredEncoded", func(t *testing.T) {
		t.Parallel()
		name := `"` + strings.Repeat("a", 100)
		id := b.enqueue(t, Message{MerchantID: merchant, FromName: `Snickeri "Nord" \ AB`, To: "hostile@example.se", ToName: name,
			Subject: "Hej", Text: "body", Kind: "invite"})
		require.Equal(t, "completed", b.waitJob(t, id, "completed", "cancelled", "discarded").State)
		var got *mail.Message
		for _, raw := range b.smtp.received() {
			if strings.Contains(raw, id) {
				var err error
				got, err = mail.ReadMessage(strings.NewReader(raw))
				require.NoError(t, err)
			}
		}
		require.NotNil(t, got, "the message reached the SMTP server")
		to, err := got.Header.AddressList("To")
		require.NoError(t, err)
		require.Equal(t, []*mail.Address{{Name: name, Address: "hostile@example.se"}}, to)
		from, err := got.Header.AddressList("From")
		require.NoError(t, err)
		require.Equal(t, []*mail.Address{{Name: `Snickeri "Nord" \ AB`, Address: "kassa@kassa.example"}}, from)
	})

	t.Run("RefusedRecipientIsCancelledAfterOneAttemptAndCounted", func(t *testing.T) {
		t.Parallel()
		id := b.enqueue(t, Message{MerchantID: merchant, To: "rejected@Example.SE", Subject: "Kvitto", Text: "body", Kind: "receipt_refused"})
		js := b.waitJob(t, id, "cancelled", "completed", "discarded", "retryable")
		require.Equal(t, jobState{State: "cancelled", Attempt: 1}, js)
		require.Equal(t, 1.0, b.mailer.counted(t, "receipt_refused"))
		b.mu.Lock()
		defer b.mu.Unlock()
		var mine []Undeliverable
		for _, u := range b.given {
			if u.Kind == "receipt_refused" {
				mine = append(mine, u)
			}
		}
		require.Len(t, mine, 1)
		require.Equal(t, merchant, mine[0].MerchantID)
		require.Equal(t, "example.se", mine[0].Domain)
		require.Contains(t, mine[0].Reason, "550")
		require.NotContains(t, mine[0].Reason, "rejected@", "the reason names no address")
	})

	t.Run("TemporaryRefusalIsRetried", func(t *testing.T) {
		t.Parallel()
		id := b.enqueue(t, Message{MerchantID: merchant, To: "later@example.se", Subject: "Kvitto", Text: "body", Kind: "receipt_later"})
		js := b.waitJob(t, id, "retryable", "cancelled", "completed", "discarded")
		require.Equal(t, "retryable", js.State)
		require.Zero(t, b.mailer.counted(t, "receipt_later"))
	})

	t.Run("EmailLogFollowsDelivery", func(t *testing.T) {
		t.Parallel()
		type logged struct {
			Recipient string  `db:"recipient"`
			Kind      string  `db:"kind"`
			Subject   string  `db:"subject"`
			Status    string  `db:"status"`
			Failure   *string `db:"failure"`
			Sent      bool    `db:"sent"`
			Failed    bool    `db:"failed"`
		}
		row := func(id string) logged {
			var l logged
			require.NoError(t, b.db.System.Get(&l, `SELECT recipient, kind, subject, status, failure, sent_at IS NOT NULL AS sent,
				failed_at IS NOT NULL AS failed FROM sent_emails WHERE message_id = $1`, id))
			return l
		}
		sent := b.enqueue(t, Message{MerchantID: merchant, To: "Logged@example.se", Subject: "Din\r\nbeställning", Text: "body", Kind: "receipt_logged"})
		require.Equal(t, "QUEUED", row(sent).Status, "logged in the transaction that enqueues it")
		require.Equal(t, "completed", b.waitJob(t, sent, "completed", "cancelled", "discarded").State)
		require.Eventually(t, func() bool { return row(sent).Status == "SENT" }, 10*time.Second, 20*time.Millisecond)
		require.Equal(t, logged{Recipient: "Logged@example.se", Kind: "receipt_logged", Subject: "Din beställning", Status: "SENT", Sent: true}, row(sent))

		refused := b.enqueue(t, Message{MerchantID: merchant, To: "rejected@example.se", Subject: "Kvitto", Text: "body", Kind: "receipt_logged_refused"})
		require.Equal(t, "cancelled", b.waitJob(t, refused, "cancelled", "completed", "discarded").State)
		l := row(refused)
		require.Equal(t, "FAILED", l.Status)
		require.True(t, l.Failed)
		require.False(t, l.Sent)
		require.NotNil(t, l.Failure)
		require.Contains(t, *l.Failure, "550")

		var sentTo []SentEmail
		require.NoError(t, b.db.InTenant(context.Background(), merchant, func(tx *sqlx.Tx) error {
			var err error
			sentTo, _, err = SentToTx(context.Background(), tx, "LOGGED@example.SE", db.Page{Limit: 10})
			return err
		}))
		require.Len(t, sentTo, 1, "listed by address without case")
		require.Equal(t, SentSent, sentTo[0].Status)

		require.NoError(t, b.db.InSystem(context.Background(), func(tx *sqlx.Tx) error {
			_, err := b.mailer.EnqueueTx(context.Background(), tx, Message{To: "nobody@example.se", Subject: "x", Text: "x", Kind: "no_merchant"})
			return err
		}))
		var n int
		require.NoError(t, b.db.System.Get(&n, `SELECT count(*) FROM sent_emails WHERE kind = 'no_merchant'`))
		require.Zero(t, n, "an email for no merchant is not logged")
	})

	t.Run("UnreachableServerIsRetried", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		closed := ln.Addr().String()
		require.NoError(t, ln.Close())
		q, err := jobs.New(b.db.System.DB, jobs.Config{})
		require.NoError(t, err)
		m, err := New(Config{SMTPURL: "smtp://" + closed, TLSPolicy: "none", From: "kassa@kassa.example", Timeout: time.Second}, q)
		require.NoError(t, err)
		err = m.deliver(context.Background(), Message{MessageID: NewMessageID("kassa@kassa.example"), To: "anna@example.se", Subject: "x", Text: "x"})
		require.Error(t, err)
		_, permanent := permanentFailure(err)
		require.False(t, permanent, "connection refused is transient: %v", err)
	})
}
