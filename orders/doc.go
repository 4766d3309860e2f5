// Package orders owns what a customer buys and pays for: orders with their
// lines and VAT, the order confirmations sent to the customer (frozen,
// versioned), and payment links (for a confirmation, for a free amount, or
// reusable as a "zero-time webshop").
//
// An order's money is computed here, from its lines, with integers only:
// gross = quantity × unit price (VAT included), VAT rounded half-up per
// line, totals summed from lines. Order numbers are sequential per merchant
// without gaps. An order follows its payments: a payments.Listener moves it
// to RESERVED or PAID in the same transaction as the verified callback that
// settles the payment, marks its link paid, and enqueues the receipt and
// the salesperson's notice, so all of it happens once or not at all.
//
// Customers are records here too (customers.go, table customers): one per
// merchant and email address, compared without case, or one per order
// placed without an email. Every new order gets or creates its customer in
// its own transaction, whatever the entry point (GraphQL, checkout, payment
// links, subscriptions: all pass through CreateTx), with an upsert on the
// unique email key, so concurrent orders for one address share one
// customer. The customer's name, phone and locale are the latest given;
// each order keeps its own copy, the record of what was agreed. Who sees
// which customers is decided by CustomerViewOf, which billing applies to
// subscriptions too.
package orders
