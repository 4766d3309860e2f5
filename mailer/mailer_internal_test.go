package mailer

import (
	"bytes"
	"io/fs"
	"net/mail"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEveryTemplateRendersInBothLanguages(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	_ = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".txt") && !strings.HasPrefix(p, "templates/parts.") { // parts are not emails
			base := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".txt")
			names[base[:strings.LastIndexByte(base, '.')]] = true
		}
		return nil
	})
	require.NotEmpty(t, names)
	// Every field any template uses; user-typed ones carry markup.
	d := map[string]any{
		"MerchantName": "Snickeri <AB>", "CustomerName": `Anna "<script>alert(1)</script>"`, "OrderNumber": "17",
		"Total": "1 000,00 kr", "Message": "<b>hej</b>", "PayURL": "https://kassa.example/pay/x", "Accent": "#0b5fff",
		"Title": "t", "SupportEmail": "", "Reference": "<script>x</script>", "Net": "800,00 kr", "VATTotal": "200,00 kr",
		"Paid": "1 000,00 kr", "ExpiresAt": "2027-01-01", "Card": "Visa •••• 4242", "PaidAt": "2026-11-26", "Reserved": false,
		"Plan": "<script>plan</script>", "InvoiceNumber": "3", "Period": "2026-11-01–2026-11-30", "InvoiceURL": "https://kassa.example/invoices/x",
		"Reason": "kortet nekades", "Expires": "12/26", "Final": false,
		"Name": "<script>Sam</script>", "InvitedBy": "<script>Olga</script>", "Role": "säljare", "URL": "https://kassa.example/invite/x", "HasPassword": false,
		"Lines": []map[string]any{{"Description": "<img src=x onerror=alert(1)>", "UnitPrice": "1", "VATPercent": "25", "Gross": "1", "Quantity": 1}},
		"VAT":   []map[string]any{{"Percent": "25", "Net": "1", "VAT": "1"}},
	}
	for name := range names {
		for _, lang := range []string{"sv", "en"} {
			d["Lang"] = lang
			r, err := Render(name, lang, d)
			require.NoError(t, err, "%s.%s", name, lang)
			require.NotEmpty(t, r.Subject, name)
			require.NotContains(t, r.Subject, "\n")
			require.NotEmpty(t, strings.TrimSpace(r.Text), name)
			require.NotContains(t, r.Text, "<no value>", "%s.%s uses a field no one provides", name, lang)
			require.NotContains(t, r.HTML, "<no value>", "%s.%s uses a field no one provides", name, lang)
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
