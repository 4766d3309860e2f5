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
package orders
