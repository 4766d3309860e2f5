package terminal

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/google/uuid"

	"kassa/fault"
	"kassa/gid"
)

// FormTTL is how long a rendered terminal form can be submitted.
const FormTTL = 12 * time.Hour

// NewFormNonce returns the nonce of a freshly rendered payment form: a
// time-ordered UUID in hex. The form carries it; the payment's id is
// derived from it, so the same form submitted twice is the same payment.
func NewFormNonce() string {
	id := uuid.Must(uuid.NewV7())
	return hex.EncodeToString(id[:])
}

// ErrFormExpired is the answer to a form nonce that is malformed, too old
// or from the future.
var ErrFormExpired = fault.New(fault.Define("FORM_EXPIRED",
	"The terminal form is too old (or its nonce malformed): check the details and submit again."), "this form has expired: check the details and submit again")

// FormPaymentID derives the payment id of a form submission from the
// form's nonce and who submits it. The id keeps the nonce's timestamp (so
// payments still sort by time) and fills the rest from a hash of merchant,
// user and nonce: no one can aim a nonce at another payment's id.
//
// Errors: ErrFormExpired.
func FormPaymentID(merchantID gid.MerchantID, userID uuid.UUID, nonce string, now time.Time) (uuid.UUID, error) {
	b, err := hex.DecodeString(nonce)
	if err != nil || len(b) != 16 {
		return uuid.Nil, ErrFormExpired
	}
	n, _ := uuid.FromBytes(b)
	if n.Version() != 7 {
		return uuid.Nil, ErrFormExpired
	}
	sec, nsec := n.Time().UnixTime()
	rendered := time.Unix(sec, nsec)
	if rendered.After(now.Add(time.Minute)) || now.Sub(rendered) > FormTTL {
		return uuid.Nil, ErrFormExpired
	}
	h := sha256.New()
	h.Write([]byte("kassa terminal form\x00"))
	h.Write(merchantID.UUID[:])
	h.Write(userID[:])
	h.Write(n[:])
	sum := h.Sum(nil)
	var id uuid.UUID
	copy(id[:6], n[:6])
	copy(id[6:], sum[:10])
	id[6] = 0x70 | id[6]&0x0f // version 7
	id[8] = 0x80 | id[8]&0x3f // RFC 4122 variant
	return id, nil
}
