// Package reports composes the merchant dashboard's figures from the
// domains that own them: what was captured and refunded, failed payments
// and open reservations (payments), paid orders (orders), active and
// past-due subscriptions and their monthly recurring revenue (billing).
// It owns no table and runs no SQL of its own; each figure is computed in
// SQL by the package that owns its table.
//
// Who may see the figures is the payments rule Actor.MaySeeTotals (owners,
// admins, API keys; not SALES), which every domain call applies again.
// Ranges are half-open [from, to); calendar buckets follow the merchant's
// time zone.
package reports
