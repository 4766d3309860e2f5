package server

import (
	"context"

	"github.com/google/uuid"

	"kassa/gid"
	"kassa/payments"
)

// processorAccount answers a processor's look-up of a merchant account
// (the built-in simulator's), as a real processor knows its merchants from
// onboarding: the name customers know the merchant by (branding's display
// name) and the merchant's language. The simulator's 3-D Secure page shows
// them instead of an id.
func (s *Server) processorAccount(ctx context.Context, account string) (payments.MerchantAccount, error) {
	u, err := uuid.Parse(account)
	if err != nil {
		return payments.MerchantAccount{}, err
	}
	id := gid.Of[gid.MerchantID](u)
	m, err := s.merchants.Get(ctx, id)
	if err != nil {
		return payments.MerchantAccount{}, err
	}
	b, err := s.branding.Of(ctx, m)
	if err != nil {
		return payments.MerchantAccount{}, err
	}
	return payments.MerchantAccount{Name: b.Name(), Locale: m.Locale}, nil
}
