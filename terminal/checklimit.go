package terminal

import (
	"context"

	"kassa/auth"
	"kassa/gid"
	"kassa/payments"
)

// CheckLimit applies the actor's limit per payment to amount: the one rule
// for the terminal, manual subscription charges and subscription plans
// (billing.Limits). Only a SALES member's own limit applies.
//
// Errors: codes AMOUNT_ABOVE_LIMIT, LIMIT_CURRENCY_MISMATCH.
func (s *Service) CheckLimit(ctx context.Context, a payments.Actor, merchantID gid.MerchantID, amount int64, currency string) error {
	if a.System || a.APIKeyID != nil || a.UserID == nil {
		return nil
	}
	role := a.Role
	if role == "" {
		role = auth.RoleSales // fail closed: an actor without a role is held to a limit if it has one
	}
	return s.checkLimit(ctx, &auth.Principal{MerchantID: merchantID, Kind: auth.CredentialSession, UserID: *a.UserID,
		CredentialID: *a.UserID, Role: role}, amount, currency)
}
