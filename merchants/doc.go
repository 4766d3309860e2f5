// Package merchants owns the merchant: the tenant every other row belongs
// to, with its name, default currency, time zone and locale, and the
// details receipts and invoices give for the seller (legal name, Swedish
// organisation number, EU VAT number, postal address).
//
// Details are stored normalised (organisation number NNNNNN-NNNN with its
// check digit verified, VAT number upper case without spaces, a Swedish
// postal code as NNN NN), so every document prints them the same way.
// Only OWNER and ADMIN members and the merchant's API keys change them
// (UpdateDetails takes the actor), all given fields or none, and each
// change is on the audit trail in the same transaction.
//
// A merchant is created together with its first owner and first API key in
// one transaction, so there is never a merchant no one can reach.
//
// Other packages read the merchant inside their own transaction with GetTx
// or CurrentTx, never the table; auth, which this package builds on, reads
// and locks it through auth.Merchants (ProfileTx, LockTx).
package merchants
