package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"kassa/fault"
	"kassa/payments"
	// The processors kassa can use: each registers itself (its settings
	// and how it is built) with payments; one import line enables one.
	_ "kassa/payments/simulator"
	_ "kassa/payments/stripe"
)

// defaultProcessor is KASSA_PROCESSOR's default: the built-in simulator.
const defaultProcessor = "simulator"

// processorNames lists the registered processors for a message:
// "simulator or stripe".
func processorNames() string {
	var names []string
	for _, p := range payments.Processors() {
		names = append(names, p.Name)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// settingOf looks a processor setting up in c (empty when unset).
func settingOf(c Config) func(string) string {
	return func(name string) string { return c.ProcessorSettings[name] }
}

// buildProcessor builds the configured card processor from its registration,
// with what kassa offers it: the database, its URLs, the data directory,
// the log, the test clock, and the merchant look-up.
func (s *Server) buildProcessor() (payments.BuiltProcessor, error) {
	p, ok := payments.LookupProcessor(s.cfg.Processor)
	if !ok {
		return payments.BuiltProcessor{}, fmt.Errorf("unknown KASSA_PROCESSOR %q (%s)", s.cfg.Processor, processorNames())
	}
	env := payments.ProcessorEnv{
		Settings: p.Settings(settingOf(s.cfg)), DB: s.db, DataDir: s.cfg.DataDir, Logger: s.log,
		HandlerURL: s.cfg.PublicURL + "/" + p.Name, CallbackURL: s.cfg.PublicURL + "/callbacks/" + p.Name,
		Accounts: s.processorAccount,
	}
	if s.cfg.SimulatorClock != nil {
		env.Clock = s.cfg.SimulatorClock
	}
	b, err := p.Build(env)
	if err == nil && b.Processor == nil {
		err = fmt.Errorf("processor %s built no processor", p.Name)
	}
	return b, err
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
