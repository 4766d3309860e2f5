package simulator

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Handler serves the simulator relative to its mount point:
//
//	POST /v1/payments                  authorize a card
//	POST /v1/mandate-charges           charge a saved mandate
//	GET  /v1/payments/{ref}            the payment's snapshot
//	POST /v1/payments/{ref}/captures   capture (part of) an authorization
//	POST /v1/payments/{ref}/void       release an uncaptured authorization
//	POST /v1/payments/{ref}/refunds    refund (part of) what was captured
//	GET  /3ds/{ref}                    the 3-D Secure challenge page
//	POST /3ds/{ref}                    its form
//
// Mount it under PublicURL's path, e.g. with
// http.StripPrefix("/simulator", s.Handler()).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/payments", s.api(s.handleAuthorize))
	mux.HandleFunc("POST /v1/mandate-charges", s.api(s.handleChargeMandate))
	mux.HandleFunc("GET /v1/payments/{ref}", s.api(s.handleGetPayment))
	mux.HandleFunc("POST /v1/payments/{ref}/captures", s.api(s.handleCapture))
	mux.HandleFunc("POST /v1/payments/{ref}/void", s.api(s.handleVoid))
	mux.HandleFunc("POST /v1/payments/{ref}/refunds", s.api(s.handleRefund))
	mux.HandleFunc("GET /3ds/{ref}", s.handleChallengePage)
	mux.HandleFunc("POST /3ds/{ref}", s.handleChallengeForm)
	return mux
}

// apiError is an API answer other than success.
type apiError struct {
	Status  int
	Type    string
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("simulator: %s: %s: %s", e.Type, e.Code, e.Message)
}

func invalidRequest(code, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: code, Message: msg}
}

func keyReused() *apiError {
	return &apiError{Status: http.StatusConflict, Type: "idempotency_error", Code: "idempotency_key_reused",
		Message: "this Idempotency-Key was used with another request"}
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

func validatePayment(account string, amount int64, currency string) error {
	switch {
	case account == "" || len(account) > 100:
		return invalidRequest("invalid_account", "account must have 1 to 100 characters")
	case amount <= 0:
		return invalidRequest("invalid_amount", "amount must be positive, in minor units")
	case !currencyRE.MatchString(currency):
		return invalidRequest("invalid_currency", "currency must be an ISO 4217 code such as SEK")
	}
	return nil
}

func validateReturnURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalidRequest("invalid_return_url", "return_url must be an absolute http(s) URL")
	}
	return nil
}

type apiHandler func(w http.ResponseWriter, r *http.Request, key string) (int, any, error)

// api wraps an API endpoint: authentication, the idempotency key, the
// fault-injected delay, and the JSON answer.
func (s *Server) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Like a real processor, finish what was received even when the
		// caller hangs up (a timeout): the work must not be cancelled
		// with the connection, only the answer is then lost.
		gone := r.Context()
		r = r.WithContext(context.WithoutCancel(gone))
		status, body, err := s.serveAPI(w, r, h)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				s.log.ErrorContext(r.Context(), "simulator: api", "path", r.URL.Path, "error", err)
				ae = &apiError{Status: http.StatusInternalServerError, Type: "api_error", Code: "internal", Message: "internal error"}
			}
			status, body = ae.Status, errorResponse{Error: wireError{Type: ae.Type, Code: ae.Code, Message: ae.Message}}
		}
		var raw []byte
		if b, ok := body.([]byte); ok {
			raw = b
		} else {
			raw = mustJSON(body)
		}
		if d := s.takeDelay(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-gone.Done():
				t.Stop()
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		//nolint:gosec // G705: JSON the simulator built, served as application/json
		_, _ = w.Write(raw)
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, h apiHandler) (int, any, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.secret)) != 1 {
		return 0, nil, &apiError{Status: http.StatusUnauthorized, Type: "unauthorized", Code: "unauthorized", Message: "missing or wrong bearer secret"}
	}
	key := r.Header.Get("Idempotency-Key")
	if r.Method == http.MethodPost && (key == "" || len(key) > 255) {
		return 0, nil, invalidRequest("idempotency_key_required", "POST needs an Idempotency-Key header of 1 to 255 characters")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	return h(w, r, key)
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// The message may quote the body, which may hold a card number.
		return invalidRequest("invalid_json", "the body is not the expected JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalidRequest("invalid_json", "the body is not the expected JSON")
	}
	return nil
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("simulator: stored answer: %w", err)
	}
	return nil
}

func (s *Server) handleAuthorize(_ http.ResponseWriter, r *http.Request, key string) (int, any, error) {
	var req authorizeRequest
	if err := decode(r, &req); err != nil {
		return 0, nil, err
	}
	resp, err := s.authorize(r.Context(), key, req)
	return http.StatusOK, resp, err
}

func (s *Server) handleChargeMandate(_ http.ResponseWriter, r *http.Request, key string) (int, any, error) {
	var req mandateChargeRequest
	if err := decode(r, &req); err != nil {
		return 0, nil, err
	}
	resp, err := s.chargeMandate(r.Context(), key, req)
	return http.StatusOK, resp, err
}

func (s *Server) handleGetPayment(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	p, err := s.payment(r.Context(), r.PathValue("ref"))
	if errors.Is(err, ErrNotFound) {
		return 0, nil, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "resource_missing", Message: "no such payment"}
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.snapshot(s.publicURL), nil
}

func (s *Server) handleCapture(_ http.ResponseWriter, r *http.Request, key string) (int, any, error) {
	var req captureRequest
	if err := decode(r, &req); err != nil {
		return 0, nil, err
	}
	return s.operate(r.Context(), operation{Kind: "capture", Ref: r.PathValue("ref"), Key: key, Amount: req.Amount, Currency: req.Currency, Final: req.Final})
}

func (s *Server) handleVoid(_ http.ResponseWriter, r *http.Request, key string) (int, any, error) {
	var req struct{}
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			return 0, nil, err
		}
	}
	return s.operate(r.Context(), operation{Kind: "void", Ref: r.PathValue("ref"), Key: key})
}

func (s *Server) handleRefund(_ http.ResponseWriter, r *http.Request, key string) (int, any, error) {
	var req refundRequest
	if err := decode(r, &req); err != nil {
		return 0, nil, err
	}
	return s.operate(r.Context(), operation{Kind: "refund", Ref: r.PathValue("ref"), Key: key, Amount: req.Amount, Currency: req.Currency})
}

func (s *Server) payment(ctx context.Context, ref string) (*paymentRow, error) {
	return getPayment(ctx, s.db.System, ref, false)
}
