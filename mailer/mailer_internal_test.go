package mailer

import (
	"bytes"
	"io/fs"
	"net/mail"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type sample struct {
	Lang, Title, Accent, MerchantName, SupportEmail, CustomerName, Reference, OrderNumber string
	Lines                                                                                 []struct {
		Description, UnitPrice, VATPercent, Gross string
		Quantity                                  int64
	}
	VAT                                                                  []struct{ Percent, Net, VAT string }
	Net, VATTotal, Total, Paid, Message, PayURL, ExpiresAt, Card, PaidAt string
	Reserved                                                             bool
}

func TestEveryTemplateRendersInBothLanguages(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	_ = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".txt") {
			base := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".txt")
			names[base[:strings.LastIndexByte(base, '.')]] = true
		}
		return nil
	})
	require.NotEmpty(t, names)
	d := sample{MerchantName: "Snickeri <AB>", CustomerName: `Anna "<script>alert(1)</script>"`, OrderNumber: "17", Total: "1 000,00 kr",
		Message: "<b>hej</b>", PayURL: "https://kassa.example/pay/x", Accent: "#0b5fff"}
	d.Lines = append(d.Lines, struct {
		Description, UnitPrice, VATPercent, Gross string
		Quantity                                  int64
	}{"<img src=x onerror=alert(1)>", "1", "25", "1", 1})
	for name := range names {
		for _, lang := range []string{"sv", "en"} {
			d.Lang = lang
			r, err := Render(name, lang, d)
			require.NoError(t, err, "%s.%s", name, lang)
			require.NotEmpty(t, r.Subject, name)
			require.NotContains(t, r.Subject, "\n")
			require.NotEmpty(t, strings.TrimSpace(r.Text), name)
			require.Contains(t, r.HTML, "<html", name)
			require.NotContains(t, r.HTML, "<script>", "%s.%s: user text reached the HTML unescaped", name, lang)
			require.NotContains(t, r.HTML, "<img src=x", "%s.%s: user text reached the HTML unescaped", name, lang)
		}
	}
}

func TestHeaderInjectionIsImpossible(t *testing.T) {
	t.Parallel()
	m := &Mailer{cfg: Config{From: "kassa@example.com"}}
	g, err := m.build(Message{
		MessageID: NewMessageID("kassa@example.com"),
		FromName:  "Evil AB\r\nBcc: victim@example.com",
		To:        "anna@example.se",
		ToName:    "Anna\nX-Injected: yes",
		Subject:   "Hello\r\nBcc: victim@example.com",
		Text:      "body", HTML: "<p>body</p>",
	})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = g.WriteTo(&buf)
	require.NoError(t, err)
	msg, err := mail.ReadMessage(&buf)
	require.NoError(t, err)
	require.Empty(t, msg.Header.Get("Bcc"))
	require.Empty(t, msg.Header.Get("X-Injected"))
	to, err := msg.Header.AddressList("To")
	require.NoError(t, err)
	require.Len(t, to, 1)
	require.Equal(t, "anna@example.se", to[0].Address)
}

func TestRecipientMustBeAPlainAddress(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "x", "Anna <anna@example.se>", "anna@example.se\r\nBcc: x@y.se", "a@b.se, c@d.se"} {
		require.Error(t, checkAddress(bad), bad)
	}
	require.NoError(t, checkAddress("anna@example.se"))
}

func TestSMTPURL(t *testing.T) {
	t.Parallel()
	for _, good := range []string{"smtp://localhost:1025", "smtp://u:p@mail.example.com:587", "smtps://mail.example.com"} {
		_, err := parseSMTPURL(good, "")
		require.NoError(t, err, good)
	}
	for _, bad := range []string{"http://x", "smtp://", "smtp://h:notaport", "::"} {
		_, err := parseSMTPURL(bad, "")
		require.Error(t, err, bad)
	}
	_, err := parseSMTPURL("smtp://h:25", "sometimes")
	require.Error(t, err)
}
