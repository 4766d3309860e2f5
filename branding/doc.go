// Package branding owns how a merchant presents itself to its customers:
// a display name, a logo, an accent colour and support contacts, shown on
// the hosted payment page, on receipts and in emails.
//
// The logo is stored in kassa (uploaded, or fetched once from an https URL
// through the egress guard) and served by kassa under its SHA-256, so the
// payment page stays same-origin and the logo can be cached forever. Only
// PNG and JPEG up to 512 KiB are accepted, checked by decoding them: SVG
// is refused because it can carry script. The accent colour is served as a
// tiny stylesheet named by the colour itself, because the page's
// Content-Security-Policy forbids inline styles.
package branding
