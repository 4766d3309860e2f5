package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v82"

	"kassa/payments"
)

// Config configures the connector.
type Config struct {
	// SecretKey is the Stripe API secret key (KASSA_STRIPE_SECRET_KEY).
	SecretKey string
	// WebhookSecrets are the webhook endpoint signing secrets (whsec_…).
	// A callback signed under any of them is accepted, so a secret can be
	// rotated by configuring the old and the new one until Stripe's
	// rotation window has passed.
	WebhookSecrets []string
	// BackendURL is the API base URL; "" is the real Stripe. Tests point it
	// at stripe-mock.
	BackendURL string
	// HTTPClient carries the API requests; nil uses a plain http.Client.
	HTTPClient *http.Client
	// Timeout bounds each operation (all its requests together); zero
	// means DefaultTimeout.
	Timeout time.Duration
	// Multicapture says the Stripe account has multicapture: authorizations
	// then ask for it (request_multicapture=if_available) and captures that
	// are not Final keep the rest of the authorization open. Without it a
	// partial capture releases the rest, and a further capture fails with
	// payments.ErrNotSupported.
	Multicapture bool
}

// DefaultTimeout bounds an operation when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Metadata keys kassa puts on PaymentIntents; webhooks echo them.
const (
	MetadataPaymentID  = "kassa_payment_id"
	MetadataMerchantID = "kassa_merchant_id"
)

// Client is the Stripe connector.
type Client struct {
	api          *stripego.Client
	secrets      [][]byte
	timeout      time.Duration
	multicapture bool
	now          func() time.Time // the webhook tolerance clock; tests move it
}

var _ payments.Processor = (*Client)(nil)

// New builds a connector. It needs the API secret key and at least one
// webhook signing secret: without callbacks no payment would ever be
// confirmed.
func New(cfg Config) (*Client, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("stripe: SecretKey is required")
	}
	var secrets [][]byte
	for _, s := range cfg.WebhookSecrets {
		if s != "" {
			secrets = append(secrets, []byte(s))
		}
	}
	if len(secrets) == 0 {
		return nil, errors.New("stripe: at least one webhook secret is required")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	bc := &stripego.BackendConfig{
		HTTPClient: hc,
		// kassa retries with the same idempotency key itself (on
		// ErrTimeout); retrying here as well would hide timeouts and
		// stretch calls past the operation's deadline.
		MaxNetworkRetries: stripego.Int64(0),
		// stripe-go logs to stderr by default; errors reach kassa's
		// structured logs through the returned errors instead.
		LeveledLogger: &stripego.LeveledLogger{Level: stripego.LevelNull},
	}
	if cfg.BackendURL != "" {
		bc.URL = stripego.String(cfg.BackendURL)
	}
	return &Client{
		api:          stripego.NewClient(cfg.SecretKey, stripego.WithBackends(stripego.NewBackendsWithConfig(bc))),
		secrets:      secrets,
		timeout:      timeout,
		multicapture: cfg.Multicapture,
		now:          time.Now,
	}, nil
}

// Name implements payments.Processor.
func (c *Client) Name() string { return "stripe" }

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

func checkKey(key string) error {
	if key == "" {
		return errors.New("stripe: an idempotency key is required")
	}
	return nil
}

// Authorize creates and confirms a PaymentIntent. A full card number becomes
// a PaymentMethod first: real Stripe accepts raw card numbers only on
// accounts allowed to send them (PCI), so in production Card.Number is
// normally a PaymentMethod id (pm_…) made by Stripe.js or a test id such as
// pm_card_visa, which is passed through.
func (c *Client) Authorize(ctx context.Context, req payments.AuthorizeRequest) (payments.AuthorizeResponse, error) {
	if err := checkKey(req.IdempotencyKey); err != nil {
		return payments.AuthorizeResponse{}, err
	}
	if req.Amount <= 0 {
		return payments.AuthorizeResponse{}, fmt.Errorf("stripe: amount must be positive, got %d", req.Amount)
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()

	pmID, pm, err := c.paymentMethod(ctx, req)
	if err != nil {
		return payments.AuthorizeResponse{}, err
	}
	p := &stripego.PaymentIntentCreateParams{
		Amount:             stripego.Int64(req.Amount),
		Currency:           stripego.String(strings.ToLower(req.Currency)),
		PaymentMethod:      stripego.String(pmID),
		PaymentMethodTypes: stripego.StringSlice([]string{"card"}),
		Confirm:            stripego.Bool(true),
	}
	if !req.Capture {
		p.CaptureMethod = stripego.String(string(stripego.PaymentIntentCaptureMethodManual))
	}
	if req.Description != "" {
		p.Description = stripego.String(req.Description)
	}
	if req.ReturnURL != "" {
		p.ReturnURL = stripego.String(req.ReturnURL)
	}
	if req.SaveMandate {
		// An off-session charge needs the PaymentMethod saved on a
		// Customer; Stripe attaches it when this intent succeeds.
		cus, err := c.customer(ctx, req)
		if err != nil {
			return payments.AuthorizeResponse{}, err
		}
		p.Customer = stripego.String(cus)
		p.SetupFutureUsage = stripego.String(string(stripego.PaymentIntentSetupFutureUsageOffSession))
	}
	var card stripego.PaymentIntentCreatePaymentMethodOptionsCardParams
	useCard := false
	if req.Initiator == payments.InitiatorMerchantMOTO {
		card.MOTO = stripego.Bool(true)
		useCard = true
	}
	if c.multicapture && !req.Capture {
		card.RequestMulticapture = stripego.String("if_available")
		useCard = true
	}
	if useCard {
		p.PaymentMethodOptions = &stripego.PaymentIntentCreatePaymentMethodOptionsParams{Card: &card}
	}
	p.AddMetadata(MetadataPaymentID, req.PaymentID.String())
	p.AddMetadata(MetadataMerchantID, req.MerchantID.String())
	p.AddExpand("latest_charge")
	p.AddExpand("payment_method")
	p.SetIdempotencyKey(req.IdempotencyKey)

	pi, err := c.api.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return authError("authorize", err)
	}
	resp := authResponse(pi)
	if resp.Card == (payments.CardInfo{}) && pm != nil {
		resp.Card = cardFromPaymentMethod(pm)
	}
	return resp, nil
}

// paymentMethod returns the PaymentMethod to confirm with: a pm_… id as
// given, or one made from the full card.
func (c *Client) paymentMethod(ctx context.Context, req payments.AuthorizeRequest) (string, *stripego.PaymentMethod, error) {
	number := strings.NewReplacer(" ", "", "-", "").Replace(req.Card.Number)
	if strings.HasPrefix(number, "pm_") {
		return number, nil, nil
	}
	if number == "" {
		return "", nil, fmt.Errorf("%w: no card number", payments.ErrInvalidCard)
	}
	p := &stripego.PaymentMethodCreateParams{
		Type: stripego.String(string(stripego.PaymentMethodTypeCard)),
		Card: &stripego.PaymentMethodCreateCardParams{
			Number:   stripego.String(number),
			ExpMonth: stripego.Int64(int64(req.Card.ExpMonth)),
			ExpYear:  stripego.Int64(int64(req.Card.ExpYear)),
		},
	}
	if req.Card.CVC != "" {
		p.Card.CVC = stripego.String(req.Card.CVC)
	}
	if req.Card.Holder != "" {
		p.BillingDetails = &stripego.PaymentMethodCreateBillingDetailsParams{Name: stripego.String(req.Card.Holder)}
	}
	// Derived from the payment's key, so a retried authorization makes the
	// same PaymentMethod and then sends identical intent parameters.
	p.SetIdempotencyKey(req.IdempotencyKey + "-pm")
	pm, err := c.api.V1PaymentMethods.Create(ctx, p)
	if err != nil {
		mapped := mapError("create payment method", err)
		var de *payments.DeclineError
		if errors.As(mapped, &de) {
			return "", nil, fmt.Errorf("%w: %s", payments.ErrInvalidCard, de.Code)
		}
		return "", nil, mapped
	}
	return pm.ID, pm, nil
}

func (c *Client) customer(ctx context.Context, req payments.AuthorizeRequest) (string, error) {
	p := &stripego.CustomerCreateParams{}
	p.AddMetadata(MetadataMerchantID, req.MerchantID.String())
	p.AddMetadata(MetadataPaymentID, req.PaymentID.String())
	if req.Card.Holder != "" {
		p.Name = stripego.String(req.Card.Holder)
	}
	p.SetIdempotencyKey(req.IdempotencyKey + "-customer")
	cus, err := c.api.V1Customers.Create(ctx, p)
	if err != nil {
		return "", mapError("create customer", err)
	}
	return cus.ID, nil
}

// ChargeMandate confirms an off-session PaymentIntent on a saved
// PaymentMethod. The mandate token is "cus_…/pm_…" as Authorize reports it
// with SaveMandate (a bare "pm_…" is accepted too).
func (c *Client) ChargeMandate(ctx context.Context, req payments.MandateChargeRequest) (payments.AuthorizeResponse, error) {
	if err := checkKey(req.IdempotencyKey); err != nil {
		return payments.AuthorizeResponse{}, err
	}
	if req.Amount <= 0 {
		return payments.AuthorizeResponse{}, fmt.Errorf("stripe: amount must be positive, got %d", req.Amount)
	}
	customer, pm := parseMandateToken(req.MandateToken)
	if pm == "" {
		return payments.AuthorizeResponse{}, fmt.Errorf("%w: mandate token %q is not a Stripe payment method", payments.ErrInvalidCard, req.MandateToken)
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()

	p := &stripego.PaymentIntentCreateParams{
		Amount:             stripego.Int64(req.Amount),
		Currency:           stripego.String(strings.ToLower(req.Currency)),
		PaymentMethod:      stripego.String(pm),
		PaymentMethodTypes: stripego.StringSlice([]string{"card"}),
		Confirm:            stripego.Bool(true),
		OffSession:         stripego.Bool(true),
	}
	if customer != "" {
		p.Customer = stripego.String(customer)
	}
	if !req.Capture {
		p.CaptureMethod = stripego.String(string(stripego.PaymentIntentCaptureMethodManual))
	}
	if req.Description != "" {
		p.Description = stripego.String(req.Description)
	}
	p.AddMetadata(MetadataPaymentID, req.PaymentID.String())
	p.AddMetadata(MetadataMerchantID, req.MerchantID.String())
	p.AddExpand("latest_charge")
	p.AddExpand("payment_method")
	p.SetIdempotencyKey(req.IdempotencyKey)

	pi, err := c.api.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return authError("charge mandate", err)
	}
	return authResponse(pi), nil
}

// Capture captures Amount of a PaymentIntent (all that is capturable when
// Amount is zero).
func (c *Client) Capture(ctx context.Context, req payments.CaptureRequest) (payments.OperationResponse, error) {
	if err := checkKey(req.IdempotencyKey); err != nil {
		return payments.OperationResponse{}, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()

	p := &stripego.PaymentIntentCaptureParams{}
	if req.Amount > 0 {
		p.AmountToCapture = stripego.Int64(req.Amount)
	}
	if c.multicapture {
		p.FinalCapture = stripego.Bool(req.Final)
	}
	p.AddExpand("latest_charge")
	p.SetIdempotencyKey(req.IdempotencyKey)

	pi, err := c.api.V1PaymentIntents.Capture(ctx, req.ProcessorRef, p)
	if err != nil {
		return payments.OperationResponse{}, c.captureError(ctx, req.ProcessorRef, err)
	}
	ref := pi.ID
	if pi.LatestCharge != nil && pi.LatestCharge.ID != "" {
		ref = pi.LatestCharge.ID
	}
	return payments.OperationResponse{OperationRef: ref, Snapshot: snapshotFromIntent(pi)}, nil
}

// captureError tells a capture Stripe cannot do (a second capture without
// multicapture) and an expired authorization from other refusals.
func (c *Client) captureError(ctx context.Context, ref string, err error) error {
	mapped := mapError("capture", err)
	var se *stripego.Error
	if !errors.As(err, &se) || se.Code != stripego.ErrorCodePaymentIntentUnexpectedState {
		return mapped
	}
	pi := se.PaymentIntent
	if pi == nil || pi.Status == "" {
		got, gerr := c.api.V1PaymentIntents.Retrieve(ctx, ref, nil)
		if gerr != nil {
			return mapped
		}
		pi = got
	}
	switch {
	case pi.Status == stripego.PaymentIntentStatusSucceeded && !c.multicapture:
		return fmt.Errorf("stripe: capture: %w: the PaymentIntent is already captured and the account has no multicapture", payments.ErrNotSupported)
	case pi.Status == stripego.PaymentIntentStatusCanceled && isExpiry(pi.CancellationReason):
		return &payments.DeclineError{Code: "authorization_expired", Message: "the authorization expired before capture"}
	}
	return mapped
}

// Void cancels a PaymentIntent, releasing its authorization.
func (c *Client) Void(ctx context.Context, req payments.VoidRequest) (payments.OperationResponse, error) {
	if err := checkKey(req.IdempotencyKey); err != nil {
		return payments.OperationResponse{}, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()

	p := &stripego.PaymentIntentCancelParams{}
	p.AddExpand("latest_charge")
	p.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := c.api.V1PaymentIntents.Cancel(ctx, req.ProcessorRef, p)
	if err != nil {
		return payments.OperationResponse{}, mapError("void", err)
	}
	return payments.OperationResponse{OperationRef: pi.ID, Snapshot: snapshotFromIntent(pi)}, nil
}

// Refund creates a Refund on a PaymentIntent. kassa's free-text reason goes
// into the refund's metadata; Stripe's reason is picked from it.
func (c *Client) Refund(ctx context.Context, req payments.RefundRequest) (payments.OperationResponse, error) {
	if err := checkKey(req.IdempotencyKey); err != nil {
		return payments.OperationResponse{}, err
	}
	if req.Amount <= 0 {
		return payments.OperationResponse{}, fmt.Errorf("stripe: refund amount must be positive, got %d", req.Amount)
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()

	p := &stripego.RefundCreateParams{
		PaymentIntent: stripego.String(req.ProcessorRef),
		Amount:        stripego.Int64(req.Amount),
		Reason:        stripego.String(string(RefundReason(req.Reason))),
	}
	if req.Reason != "" {
		p.AddMetadata("kassa_reason", truncate(req.Reason, 500))
	}
	p.AddExpand("charge")
	p.SetIdempotencyKey(req.IdempotencyKey)
	r, err := c.api.V1Refunds.Create(ctx, p)
	if err != nil {
		return payments.OperationResponse{}, mapError("refund", err)
	}
	if r.Status == stripego.RefundStatusFailed || r.Status == stripego.RefundStatusCanceled {
		code := string(r.FailureReason)
		if code == "" {
			code = "refund_" + string(r.Status)
		}
		return payments.OperationResponse{}, &payments.DeclineError{Code: code, Message: "Stripe did not make the refund"}
	}
	var snap payments.Snapshot
	if expanded(r.Charge) {
		snap = snapshotFromCharge(r.Charge)
	}
	return payments.OperationResponse{OperationRef: r.ID, Snapshot: snap}, nil
}

// RefundReason maps kassa's free-text reason to Stripe's enum.
func RefundReason(reason string) stripego.RefundReason {
	r := strings.ToLower(reason)
	switch {
	case strings.Contains(r, "duplicate"):
		return stripego.RefundReasonDuplicate
	case strings.Contains(r, "fraud"):
		return stripego.RefundReasonFraudulent
	default:
		return stripego.RefundReasonRequestedByCustomer
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// mandateToken is what kassa stores for an off-session charge: the Customer
// the PaymentMethod is saved on, and the PaymentMethod.
func mandateToken(customer, pm string) string {
	if pm == "" {
		return ""
	}
	if customer == "" {
		return pm
	}
	return customer + "/" + pm
}

func parseMandateToken(t string) (customer, pm string) {
	if cus, p, ok := strings.Cut(t, "/"); ok {
		if !strings.HasPrefix(cus, "cus_") || !strings.HasPrefix(p, "pm_") {
			return "", ""
		}
		return cus, p
	}
	if !strings.HasPrefix(t, "pm_") {
		return "", ""
	}
	return "", t
}

// authError turns a refused confirmation into a DECLINED answer; other
// errors stay errors.
func authError(op string, err error) (payments.AuthorizeResponse, error) {
	mapped := mapError(op, err)
	var de *payments.DeclineError
	if !errors.As(mapped, &de) {
		return payments.AuthorizeResponse{}, mapped
	}
	var se *stripego.Error
	if errors.As(err, &se) && se.Code == stripego.ErrorCodeResourceMissing && se.Param == "payment_method" {
		return payments.AuthorizeResponse{}, fmt.Errorf("%w: no such payment method", payments.ErrInvalidCard)
	}
	resp := payments.AuthorizeResponse{Status: payments.AuthDeclined, DeclineCode: de.Code, DeclineMsg: de.Message}
	if se != nil && se.PaymentIntent != nil {
		resp.ProcessorRef = se.PaymentIntent.ID
	}
	return resp, nil
}

// authResponse maps a confirmed PaymentIntent to the synchronous answer.
// Success is left PENDING: the webhook confirms it.
func authResponse(pi *stripego.PaymentIntent) payments.AuthorizeResponse {
	snap := snapshotFromIntent(pi)
	resp := payments.AuthorizeResponse{ProcessorRef: pi.ID, Card: snap.Card, MandateToken: snap.MandateToken}
	switch pi.Status {
	case stripego.PaymentIntentStatusRequiresAction:
		if pi.NextAction != nil && pi.NextAction.RedirectToURL != nil && pi.NextAction.RedirectToURL.URL != "" {
			resp.Status = payments.AuthRequiresAction
			resp.ActionURL = pi.NextAction.RedirectToURL.URL
			return resp
		}
		// Without a redirect (no ReturnURL, or an off-session charge) the
		// customer cannot be sent anywhere to authenticate.
		resp.Status = payments.AuthDeclined
		resp.DeclineCode = string(stripego.ErrorCodeAuthenticationRequired)
		resp.DeclineMsg = "the card requires authentication and no redirect was offered"
	case stripego.PaymentIntentStatusRequiresPaymentMethod, stripego.PaymentIntentStatusCanceled:
		resp.Status = payments.AuthDeclined
		resp.DeclineCode, resp.DeclineMsg = failure(pi.LastPaymentError)
	default:
		resp.Status = payments.AuthPending
	}
	return resp
}
