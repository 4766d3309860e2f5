// Package webhooks tells merchants' systems (a webshop's order system, a
// plugin) what happened, as signed HTTP deliveries following the Standard
// Webhooks specification (https://www.standardwebhooks.com): headers
// webhook-id, webhook-timestamp and webhook-signature, the signature being
// "v1," and the base64 HMAC-SHA256 of "id.timestamp.body" keyed with the
// base64-decoded part of the endpoint's "whsec_…" secret.
//
// It owns webhook endpoints, events and deliveries. An event is recorded,
// with one delivery per subscribed endpoint and one River job per delivery,
// in the same transaction as the change that causes it (EmitTx): it is sent
// if and only if the change commits. An event's body and id never change:
// every attempt and every redelivery of a delivery sends the same bytes
// under the same webhook-id, so a receiver deduplicates on it. A delivery is
// tried until the endpoint answers 2xx, then retried after about 5 s, 5 min,
// 30 min, 2 h, 5 h, 10 h and 24 h (Config.Schedule); 429 waits for its
// Retry-After; 410 Gone disables the endpoint; each attempt times out after
// 15 s. Endpoints on private, loopback and link-local addresses are refused
// when created and again when dialled (package egress), unless allowed for
// development.
//
// Event types are a registry: this package registers the order and payment
// events; another package (billing) adds its own with RegisterEventType in
// an init function, and `extend enum WebhookEventType` in its schema.
package webhooks
