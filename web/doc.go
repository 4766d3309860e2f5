// Package web serves kassa's own HTML pages for people: logging in and out,
// accepting an invitation, and the signed-in start page. Later pages (the
// payment page, the terminal) live here too.
//
// Every page works without JavaScript and loads nothing from another
// origin. Every form that changes something carries a CSRF token checked
// against a cookie (double submit), and answers a bad token with 403 and
// nothing changed. Secrets in cookies are HttpOnly, SameSite=Lax, and
// Secure whenever kassa is reached over https.
package web
