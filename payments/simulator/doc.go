// Package simulator is kassa's built-in card processor: a Server that
// behaves like a real processor (its own API over HTTP, a 3-D Secure
// challenge page, holds that lapse, signed callbacks sent asynchronously
// and retried until acknowledged) and a Client, the payments.Processor
// kassa talks to it with, over HTTP only, as to any other processor.
//
// It answers by Stripe's well-known test card numbers: 4242424242424242
// succeeds; 4000000000003220 asks for a 3-D Secure challenge (customer
// present only; code 1234 passes); 4000000000000002, …9995, …0069 and
// …0119 decline (card_declined, insufficient_funds, expired_card,
// processing_error); 4000000000000259 succeeds but has every callback
// delivered twice and out of order. Any other Luhn-valid number succeeds.
//
// It keeps its own books (the simulator_* tables, written only through
// the system pool) so tests can compare kassa with the processor. The
// invariants are those of a processor: captured ≤ authorized and
// refunded ≤ captured, enforced by CHECK constraints under a row lock;
// each authorization, capture, void and refund happens once per
// idempotency key, and a retry gets the first answer again; a callback
// commits with the change it reports (an outbox) and keeps its event id
// across retries. The full card number and CVC pass through memory only:
// a token stands for the card, with brand, last 4 and expiry.
package simulator
