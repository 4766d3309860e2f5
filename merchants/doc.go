// Package merchants owns the merchant: the tenant every other row belongs
// to, with its name, default currency, time zone and locale.
//
// A merchant is created together with its first owner and first API key in
// one transaction, so there is never a merchant no one can reach.
package merchants
