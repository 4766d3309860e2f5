package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"kassa/payments"
	"kassa/payments/simulator"
	"kassa/payments/stripe"
)

// processors builds the configured card processor, and the built-in
// simulator's server when that is the one.
func (s *Server) processors() ([]payments.Processor, *simulator.Server, error) {
	switch s.cfg.Processor {
	case "simulator":
		if s.cfg.SimulatorSecret == "" {
			sec, err := simulatorSecret(s.cfg.DataDir)
			if err != nil {
				return nil, nil, err
			}
			s.cfg.SimulatorSecret = sec
		}
		base := s.cfg.PublicURL + "/simulator"
		sim := simulator.NewServer(simulator.Config{
			DB: s.db, PublicURL: base, CallbackURL: s.cfg.PublicURL + "/callbacks/simulator",
			Secret: s.cfg.SimulatorSecret, Clock: s.cfg.SimulatorClock, Logger: s.log,
		})
		return []payments.Processor{callbackGuard{simulator.NewClient(base, s.cfg.SimulatorSecret)}}, sim, nil
	case "stripe":
		if s.cfg.StripeSecretKey == "" {
			return nil, nil, errors.New("KASSA_PROCESSOR=stripe needs KASSA_STRIPE_SECRET_KEY")
		}
		c, err := stripe.New(stripe.Config{SecretKey: s.cfg.StripeSecretKey, WebhookSecrets: s.cfg.StripeWebhookSecrets, BackendURL: s.cfg.StripeAPIURL})
		if err != nil {
			return nil, nil, err
		}
		return []payments.Processor{callbackGuard{c}}, nil, nil
	}
	return nil, nil, fmt.Errorf("unknown KASSA_PROCESSOR %q (simulator or stripe)", s.cfg.Processor)
}

// errBadCallbackBody marks a callback whose signature is good but whose
// body is not an event kassa can read: the sender's fault, answered 400.
var errBadCallbackBody = errors.New("server: callback body is not a valid event")

// callbackGuard tells a processor's unreadable callback bodies from
// kassa's own failures. By the Processor contract every ParseCallback error
// other than ErrBadSignature is about the body; and text PostgreSQL cannot
// store (not UTF-8, or NUL) would fail later as a database error, so it is
// refused here too.
type callbackGuard struct{ payments.Processor }

func (g callbackGuard) ParseCallback(header http.Header, body []byte) ([]payments.Event, error) {
	events, err := g.Processor.ParseCallback(header, body)
	if err != nil {
		if errors.Is(err, payments.ErrBadSignature) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", errBadCallbackBody, err)
	}
	for _, ev := range events {
		if !storable(ev.ID, ev.Type, ev.ProcessorRef, ev.Snapshot.Currency, ev.Snapshot.FailureCode, ev.Snapshot.FailureMessage,
			ev.Snapshot.ThreeDS, ev.Snapshot.MandateToken, ev.Snapshot.Card.Brand, ev.Snapshot.Card.Last4) {
			return nil, fmt.Errorf("%w: text that is not UTF-8 or contains NUL", errBadCallbackBody)
		}
	}
	return events, nil
}

func storable(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

// callback receives a processor's callback: the raw body is verified
// before anything is parsed, and a bad signature changes nothing.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeError(w, r, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "the callback body is too large")
		return
	}
	err = s.payments.HandleCallback(r.Context(), r.PathValue("processor"), r.Header, body)
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"received":true}` + "\n"))
	case errors.Is(err, payments.ErrUnknownProcessor):
		writeError(w, r, http.StatusNotFound, "NOT_FOUND", "no such processor")
	case errors.Is(err, errBadCallbackBody):
		// Signed, so the processor sent it: worth a warning, and a 400 that
		// says so (a 500 would have it retried forever).
		s.log.WarnContext(r.Context(), "callback rejected", "processor", r.PathValue("processor"), "reason", "body is not a valid event", "bytes", len(body))
		writeError(w, r, http.StatusBadRequest, "INVALID_CALLBACK_BODY", "the callback body is not a valid event")
	case errors.Is(err, payments.ErrBadSignature):
		s.log.WarnContext(r.Context(), "callback rejected", "processor", r.PathValue("processor"), "reason", strings.TrimPrefix(err.Error(), "payments: "))
		writeError(w, r, http.StatusBadRequest, "BAD_SIGNATURE", "the callback signature is not valid")
	default:
		s.log.ErrorContext(r.Context(), "callback failed", "processor", r.PathValue("processor"), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
	}
}
