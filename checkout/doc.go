// Package checkout owns webshop checkouts: a shop's cart turned into an
// order plus a single-use payment link (kind CHECKOUT) on kassa's hosted
// payment page, and the URLs the shopper returns to: successUrl after
// paying (with the checkout's id appended, or put where the URL says
// {CHECKOUT_ID}), cancelUrl when they give up.
//
// A checkout stores only what is its own (the URLs and its expiry); its
// status is derived from its link and order and never stored twice: OPEN
// while the link can take a payment, COMPLETE once the payment settled
// (the order RESERVED or PAID, the link PAID), EXPIRED when the link
// expired or was deactivated unpaid. The shop must not trust the redirect
// to successUrl: it learns the result from a webhook (package webhooks) or
// by querying the checkout.
package checkout
