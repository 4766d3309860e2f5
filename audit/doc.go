// Package audit is kassa's audit trail: who did what, for the merchant to
// review. It owns the append-only audit_events table for actions that are
// not payment operations (a member's payment limit set or removed), and
// reads the payment operations people and API keys caused (taking,
// capturing, voiding, refunding) from the payments package, where each is
// recorded with its actor in the same transaction as the operation.
//
// Entries are written in the transaction of the change they describe
// (RecordTx), so the trail holds an entry if and only if the change
// committed; the database refuses the application any UPDATE or DELETE on
// them. Listing merges both sources newest first on their time-ordered ids.
package audit
