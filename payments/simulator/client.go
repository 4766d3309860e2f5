package simulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"kassa/gid"
	"kassa/payments"
)

// Client is kassa's connector to the simulator: a payments.Processor that
// talks to a Server over HTTP only, as it would to a real processor.
type Client struct {
	baseURL string
	secret  string
	http    *http.Client
	timeout time.Duration
}

var _ payments.Processor = (*Client)(nil)

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithTimeout bounds each call (default 10 s); a call that runs out of
// time returns payments.ErrTimeout.
func WithTimeout(d time.Duration) ClientOption { return func(c *Client) { c.timeout = d } }

// NewClient returns a Client for the Server mounted at baseURL (the
// Server's PublicURL), authenticating with secret.
func NewClient(baseURL, secret string, opts ...ClientOption) *Client {
	c := &Client{baseURL: strings.TrimRight(baseURL, "/"), secret: secret, http: &http.Client{}, timeout: 10 * time.Second}
	for _, o := range opts {
		o(c)
	}
	return c
}

// SignatureTolerance is how far a callback's timestamp may be from now.
const SignatureTolerance = 5 * time.Minute

// APIError is an answer of the simulator that is neither a success nor a
// decline: a malformed request, an idempotency key reused with another
// request, an unknown payment, a wrong secret, a server failure.
type APIError struct {
	StatusCode int
	Type       string
	Code       string
	Message    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("simulator: %d %s: %s: %s", e.StatusCode, e.Type, e.Code, e.Message)
}

// Name is "simulator".
func (c *Client) Name() string { return "simulator" }

// Authorize sends the card to the simulator. A decline is an answer, not
// an error: Status DECLINED with DeclineCode.
func (c *Client) Authorize(ctx context.Context, req payments.AuthorizeRequest) (payments.AuthorizeResponse, error) {
	in := authorizeRequest{
		PaymentID: req.PaymentID, Account: req.MerchantID.String(), Amount: req.Amount, Currency: req.Currency,
		Capture: req.Capture, Initiator: string(req.Initiator), ReturnURL: req.ReturnURL,
		SaveMandate: req.SaveMandate, Description: req.Description,
		Card: wireCardIn{Number: req.Card.Number, ExpMonth: req.Card.ExpMonth, ExpYear: req.Card.ExpYear, CVC: req.Card.CVC, Holder: req.Card.Holder},
	}
	if in.Initiator == "" {
		in.Initiator = string(payments.InitiatorCustomer)
	}
	var out authorizeResponse
	if err := c.do(ctx, http.MethodPost, "/v1/payments", req.IdempotencyKey, in, &out); err != nil {
		return payments.AuthorizeResponse{}, err
	}
	return out.public(), nil
}

// ChargeMandate charges a saved mandate, merchant-initiated. A decline is
// an answer, not an error, as with Authorize.
func (c *Client) ChargeMandate(ctx context.Context, req payments.MandateChargeRequest) (payments.AuthorizeResponse, error) {
	in := mandateChargeRequest{
		PaymentID: req.PaymentID, Account: req.MerchantID.String(), Amount: req.Amount, Currency: req.Currency,
		Capture: req.Capture, MandateToken: req.MandateToken, Description: req.Description,
	}
	var out authorizeResponse
	if err := c.do(ctx, http.MethodPost, "/v1/mandate-charges", req.IdempotencyKey, in, &out); err != nil {
		return payments.AuthorizeResponse{}, err
	}
	return out.public(), nil
}

func (r authorizeResponse) public() payments.AuthorizeResponse {
	return payments.AuthorizeResponse{
		ProcessorRef: r.Ref,
		Status:       payments.AuthStatus(r.Status),
		ActionURL:    r.ActionURL,
		Card:         r.Card.info(),
		MandateToken: r.MandateToken,
		DeclineCode:  r.DeclineCode,
		DeclineMsg:   r.DeclineMessage,
	}
}

// Capture takes Amount (0: all that remains) of an authorization.
func (c *Client) Capture(ctx context.Context, req payments.CaptureRequest) (payments.OperationResponse, error) {
	return c.operation(ctx, "/captures", req.ProcessorRef, req.IdempotencyKey, captureRequest{Amount: req.Amount, Currency: req.Currency, Final: req.Final})
}

// Void releases an uncaptured authorization.
func (c *Client) Void(ctx context.Context, req payments.VoidRequest) (payments.OperationResponse, error) {
	return c.operation(ctx, "/void", req.ProcessorRef, req.IdempotencyKey, struct{}{})
}

// Refund returns Amount (0: all that remains) of what was captured.
func (c *Client) Refund(ctx context.Context, req payments.RefundRequest) (payments.OperationResponse, error) {
	return c.operation(ctx, "/refunds", req.ProcessorRef, req.IdempotencyKey, refundRequest{Amount: req.Amount, Currency: req.Currency, Reason: req.Reason})
}

func (c *Client) operation(ctx context.Context, suffix, ref, key string, in any) (payments.OperationResponse, error) {
	if ref == "" {
		return payments.OperationResponse{}, errors.New("simulator: no processor reference")
	}
	var out operationResponse
	if err := c.do(ctx, http.MethodPost, "/v1/payments/"+url.PathEscape(ref)+suffix, key, in, &out); err != nil {
		return payments.OperationResponse{}, err
	}
	return payments.OperationResponse{OperationRef: out.ID, Snapshot: out.Payment.snapshot()}, nil
}

// do sends one API request. A decline (402) is a *payments.DeclineError,
// a card the simulator will not tokenize payments.ErrInvalidCard, running
// out of time payments.ErrTimeout, any other refusal an *APIError.
func (c *Client) do(ctx context.Context, method, path, key string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("simulator: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.secret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(ctx, method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return transportError(ctx, method, path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("simulator: %s %s: decode answer: %w", method, path, err)
		}
		return nil
	}
	var e errorResponse
	_ = json.Unmarshal(raw, &e)
	switch {
	case resp.StatusCode == http.StatusPaymentRequired:
		return fmt.Errorf("simulator: %s %s: %w", method, path, &payments.DeclineError{Code: e.Error.Code, Message: e.Error.Message})
	case e.Error.Type == "invalid_card":
		return fmt.Errorf("%w: %s", payments.ErrInvalidCard, e.Error.Message)
	}
	return &APIError{StatusCode: resp.StatusCode, Type: e.Error.Type, Code: e.Error.Code, Message: e.Error.Message}
}

// transportError tells a timeout (the processor may have acted: retry
// with the same key) from other failures to reach it.
func transportError(ctx context.Context, method, path string, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("simulator: %s %s: %w", method, path, payments.ErrTimeout)
	}
	return fmt.Errorf("simulator: %s %s: %w", method, path, err)
}

// ParseCallback verifies the Simulator-Signature header over the raw body
// (HMAC-SHA256 with the shared secret, timestamp within 5 minutes of now
// either way) and then parses the one event the body holds.
//
// Errors: payments.ErrBadSignature for a missing, malformed, stale or
// wrong signature; any other error for a signed body that is not an
// event.
func (c *Client) ParseCallback(header http.Header, body []byte) ([]payments.Event, error) {
	if err := verifySignature(c.secret, header.Get(SignatureHeader), body, time.Now()); err != nil {
		return nil, err
	}
	var ev wireEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("simulator: callback body: %w", err)
	}
	if ev.ID == "" || ev.Type == "" || ev.Data.Ref == "" {
		return nil, errors.New("simulator: callback body: id, type and data.ref are required")
	}
	account, _ := uuid.Parse(ev.Data.Account)
	return []payments.Event{{
		ID:           ev.ID,
		Type:         ev.Type,
		ProcessorRef: ev.Data.Ref,
		PaymentID:    ev.Data.PaymentID,
		MerchantID:   gid.MerchantID{UUID: account},
		Created:      time.Unix(ev.Created, 0).UTC(),
		Snapshot:     ev.Data.snapshot(),
	}}, nil
}

func verifySignature(secret, header string, body []byte, now time.Time) error {
	ts, sigs, err := ParseSignatureHeader(header)
	if err != nil {
		return fmt.Errorf("%w: %v", payments.ErrBadSignature, err)
	}
	age := now.Sub(time.Unix(ts, 0))
	if age > SignatureTolerance || age < -SignatureTolerance {
		return fmt.Errorf("%w: timestamp outside the tolerance", payments.ErrBadSignature)
	}
	want := sign(secret, strconv.FormatInt(ts, 10), body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no matching signature", payments.ErrBadSignature)
}

// ParseSignatureHeader splits "t=<unix>,v1=<hex>[,v1=<hex>…]" into the
// timestamp and the v1 signatures (32 bytes each). Other keys are ignored,
// so the scheme can grow; exactly one t and at least one v1 are required.
func ParseSignatureHeader(h string) (ts int64, sigs [][]byte, err error) {
	if h == "" {
		return 0, nil, errors.New("no signature header")
	}
	if len(h) > 4096 {
		return 0, nil, errors.New("signature header too long")
	}
	seenT := false
	for item := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return 0, nil, errors.New("malformed signature header")
		}
		switch k {
		case "t":
			if seenT {
				return 0, nil, errors.New("more than one timestamp")
			}
			seenT = true
			if v == "" || len(v) > 12 || !allDigits(v) {
				return 0, nil, errors.New("malformed timestamp")
			}
			ts, _ = strconv.ParseInt(v, 10, 64)
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != 32 {
				return 0, nil, errors.New("malformed v1 signature")
			}
			sigs = append(sigs, sig)
		}
	}
	if !seenT {
		return 0, nil, errors.New("no timestamp")
	}
	if len(sigs) == 0 {
		return 0, nil, errors.New("no v1 signature")
	}
	return ts, sigs, nil
}
