// Package mailer renders kassa's emails (Swedish and English, HTML with a
// plain-text alternative) and delivers them over SMTP with go-mail, or to
// .eml files under the data directory when no SMTP server is configured.
//
// Delivery is a River job inserted in the same transaction as the change
// that causes the email, so an email is sent if and only if its change
// commits, is retried with backoff while the SMTP server is down, and is
// not lost on restart. Each message gets its Message-ID when it is
// enqueued, so a retry sends the same message.
//
// An email sent for a merchant is also written to the merchant's email log
// (sent.go, table sent_emails) in the same transaction, and the delivery
// job moves it to SENT or FAILED: the merchant sees what each customer was
// sent, without the body being kept.
//
// Header injection is impossible: names and subjects have CR and LF
// replaced before they reach a header, and addresses are parsed strictly.
// Everything a user typed is escaped by html/template in the HTML part.
package mailer
