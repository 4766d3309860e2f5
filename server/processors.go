package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"kassa/fault"
	"kassa/payments"
	"kassa/payments/simulator"
	"kassa/payments/stripe"
)

// processors builds the configured card processor, and the built-in
// simulator's server when that is the one.
func (s *Server) processors() ([]payments.Processor, *simulator.Server, error) {
	switch s.cfg.Processor {
	case "simulator":
		secret := s.cfg.SimulatorSecret
		if secret == "" {
			var err error
			if secret, err = simulatorSecret(s.cfg.DataDir); err != nil {
				return nil, nil, err
			}
		}
		base := s.cfg.PublicURL + "/simulator"
		sim := simulator.NewServer(simulator.Config{
			DB: s.db, PublicURL: base, CallbackURL: s.cfg.PublicURL + "/callbacks/simulator",
			Secret: secret, Clock: s.cfg.SimulatorClock, Logger: s.log,
		})
		return []payments.Processor{simulator.NewClient(base, secret)}, sim, nil
	case "stripe":
		if s.cfg.StripeSecretKey == "" {
			return nil, nil, errors.New("KASSA_PROCESSOR=stripe needs KASSA_STRIPE_SECRET_KEY")
		}
		c, err := stripe.New(stripe.Config{SecretKey: s.cfg.StripeSecretKey, WebhookSecrets: s.cfg.StripeWebhookSecrets, BackendURL: s.cfg.StripeAPIURL})
		if err != nil {
			return nil, nil, err
		}
		return []payments.Processor{c}, nil, nil
	}
	return nil, nil, fmt.Errorf("unknown KASSA_PROCESSOR %q (simulator or stripe)", s.cfg.Processor)
}

// callback receives a processor's callback: the raw body is verified
// before anything is parsed, and a bad signature changes nothing.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeError(w, r, http.StatusRequestEntityTooLarge, ErrRequestTooLarge, "the callback body is too large")
		return
	}
	err = s.payments.HandleCallback(r.Context(), r.PathValue("processor"), r.Header, body)
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"received":true}` + "\n"))
	case errors.Is(err, payments.ErrUnknownProcessor):
		writeError(w, r, http.StatusNotFound, fault.ErrNotFound.Code, "no such processor")
	case errors.Is(err, payments.ErrBadCallbackBody):
		// Signed, so the processor sent it: worth a warning, and a 400 that
		// says so (a 500 would have it retried forever).
		s.log.WarnContext(r.Context(), "callback rejected", "processor", r.PathValue("processor"), "reason", "body is not a valid event", "bytes", len(body))
		writeError(w, r, http.StatusBadRequest, ErrInvalidCallbackBody, "the callback body is not a valid event")
	case errors.Is(err, payments.ErrBadSignature):
		s.log.WarnContext(r.Context(), "callback rejected", "processor", r.PathValue("processor"), "reason", strings.TrimPrefix(err.Error(), "payments: "))
		writeError(w, r, http.StatusBadRequest, ErrBadSignature, "the callback signature is not valid")
	default:
		s.log.ErrorContext(r.Context(), "callback failed", "processor", r.PathValue("processor"), "error", err)
		writeError(w, r, http.StatusInternalServerError, ErrInternal, "internal error")
	}
}
