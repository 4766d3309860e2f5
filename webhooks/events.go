package webhooks

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// EventType names what happened, e.g. ORDER_PAID. In a delivery's body it
// is written the Standard Webhooks way, dotted and lower case: order.paid.
type EventType string

// The events of orders and payments.
const (
	OrderPaid           EventType = "ORDER_PAID"
	OrderReserved       EventType = "ORDER_RESERVED"
	PaymentCaptured     EventType = "PAYMENT_CAPTURED"
	PaymentRefunded     EventType = "PAYMENT_REFUNDED"
	PaymentFailed       EventType = "PAYMENT_FAILED"
	ReservationExpiring EventType = "RESERVATION_EXPIRING"
	PaymentDuplicate    EventType = "PAYMENT_DUPLICATE"
)

func init() {
	RegisterEventType(OrderPaid, "An order was paid: its payment was captured (in full or, at delivery, in part).")
	RegisterEventType(OrderReserved, "A RESERVE order's amount was reserved on the card: deliver, then capture.")
	RegisterEventType(PaymentCaptured, "Money was captured on a payment (each capture, partial ones too).")
	RegisterEventType(PaymentRefunded, "Money was refunded on a payment (each refund).")
	RegisterEventType(PaymentFailed, "A payment failed: declined, or 3-D Secure failed.")
	RegisterEventType(ReservationExpiring, "A reservation expires within a day: capture it or lose it.")
	RegisterEventType(PaymentDuplicate, "A payment was authorized for an order already paid, cancelled or being paid by another payment (e.g. a second browser tab); kassa reverses it automatically: voided while reserved, refunded once captured.")
}

var (
	registryMu sync.RWMutex
	registry   = map[EventType]string{}
	typeRE     = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
)

// RegisterEventType adds an event type merchants can subscribe to. Call it
// from an init function; it panics on a malformed or repeated name, which
// is a programming error.
func RegisterEventType(t EventType, description string) {
	if !typeRE.MatchString(string(t)) {
		panic(fmt.Sprintf("webhooks: malformed event type %q (want e.g. ORDER_PAID)", t))
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[t]; dup {
		panic(fmt.Sprintf("webhooks: event type %q registered twice", t))
	}
	registry[t] = description
}

// Known reports whether t is registered.
func (t EventType) Known() bool {
	registryMu.RLock()
	defer registryMu.RUnlock()
	_, ok := registry[t]
	return ok
}

// Dotted is the name in a delivery's body: ORDER_PAID is order.paid,
// SUBSCRIPTION_PAYMENT_FAILED is subscription.payment_failed.
func (t EventType) Dotted() string {
	s := strings.ToLower(string(t))
	return strings.Replace(s, "_", ".", 1)
}

// EventTypeInfo describes a registered event type.
type EventTypeInfo struct {
	Type        EventType
	Name        string // dotted
	Description string
}

// EventTypes lists the registered event types by name.
func EventTypes() []EventTypeInfo {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]EventTypeInfo, 0, len(registry))
	for t, d := range registry {
		out = append(out, EventTypeInfo{Type: t, Name: t.Dotted(), Description: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}
