package server

import (
	"context"

	"github.com/google/uuid"

	"kassa/payments/simulator"
)

// simulatorAccount answers the built-in simulator's look-up of a merchant
// account, as a real processor knows its merchants from onboarding: the
// name customers know the merchant by (branding's display name) and the
// merchant's language. The 3-D Secure page shows them instead of an id.
func (s *Server) simulatorAccount(ctx context.Context, account string) (simulator.Account, error) {
	id, err := uuid.Parse(account)
	if err != nil {
		return simulator.Account{}, err
	}
	m, err := s.merchants.Get(ctx, id)
	if err != nil {
		return simulator.Account{}, err
	}
	b, err := s.branding.Get(ctx, id)
	if err != nil {
		return simulator.Account{}, err
	}
	return simulator.Account{Name: b.Name(), Locale: m.Locale}, nil
}
