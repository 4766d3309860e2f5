package server_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/payments/simulator"
)

// signCallback signs body as the simulator does.
func signCallback(secret string, body []byte) string {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// TestSignedCallbackThatIsNotAnEventIs400: a processor's body that is
// signed but unreadable is the sender's fault: 400, never 500 (a 5xx is
// retried, for ever).
func TestSignedCallbackThatIsNotAnEventIs400(t *testing.T) {
	t.Parallel()
	b := setup(t)
	post := func(body []byte) response {
		req := b.request(t, http.MethodPost, "/callbacks/simulator", bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
		req.Header.Set(simulator.SignatureHeader, signCallback(b.cfg.ProcessorSettings["KASSA_SIMULATOR_SECRET"], body))
		return b.do(t, req)
	}
	for name, body := range map[string]string{
		"Empty":            ``,
		"Whitespace":       "  \n",
		"NotJSON":          `payment captured`,
		"Array":            `[]`,
		"Null":             `null`,
		"Truncated":        `{"id": "evt_1", "type": "payment.captured"`,
		"MissingFields":    `{"id": "evt_1"}`,
		"PaymentIDNotUUID": `{"id": "evt_1", "type": "payment.captured", "created": 1, "data": {"ref": "pay_1", "payment_id": "not-a-uuid"}}`,
		"AmountAString":    `{"id": "evt_1", "type": "payment.captured", "created": 1, "data": {"ref": "pay_1", "amount": "many"}}`,
		"NULInRef":         `{"id": "evt_1", "type": "payment.captured", "created": 1, "data": {"ref": "pay\u0000_1"}}`,
		"NULInID":          `{"id": "evt\u0000", "type": "payment.captured", "created": 1, "data": {"ref": "pay_1"}}`,
	} {
		r := post([]byte(body))
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r)
		require.Equal(t, "INVALID_CALLBACK_BODY", r.code(), name)
	}
	// A readable event for no payment kassa knows is still acknowledged.
	r := post([]byte(`{"id": "evt_2", "type": "payment.captured", "created": 1, "data": {"ref": "pay_unknown"}}`))
	require.Equal(t, http.StatusOK, r.status, "%s", r)
	require.NotContains(t, b.logs.String(), `"level":"ERROR"`)
}
