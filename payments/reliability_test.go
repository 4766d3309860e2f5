package payments_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"kassa/fault"
	"kassa/payments"
	"kassa/payments/paymentstest"
	"kassa/payments/simulator"
)

// testConcurrentPartialCaptures: 50 captures at once on one reservation
// never take more than was authorized, and the ones that succeed add up
// exactly, in kassa's books and the processor's.
func testConcurrentPartialCaptures(t *testing.T, b *bundle) {
	p := b.authorized(t, payments.CaptureReserve)

	const n = 50
	amounts := make([]int64, n)
	var asked int64
	for i := range amounts {
		amounts[i] = 250 + 10*int64(i%7)
		asked += amounts[i]
	}
	require.Greater(t, asked, amount, "the captures ask for more than was authorized")

	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = b.capture(p, amounts[i])
		})
	}
	close(start)
	wg.Wait()

	var captured int64
	var succeeded int
	minRefused := int64(-1)
	for i, err := range errs {
		if err == nil {
			captured += amounts[i]
			succeeded++
			continue
		}
		// Refused: too much for what remains, or nothing remains.
		if !errors.Is(err, fault.ErrInvalidState) {
			requireFault(t, err, fault.ErrAmountTooLarge)
		}
		if minRefused < 0 || amounts[i] < minRefused {
			minRefused = amounts[i]
		}
	}
	require.LessOrEqual(t, captured, amount)
	for _, err := range errs {
		if errors.Is(err, fault.ErrInvalidState) {
			require.Equal(t, amount, captured, "INVALID_STATE only once all was captured: %v", err)
		}
	}
	require.Positive(t, minRefused, "some captures must have been refused")
	require.Less(t, amount-captured, minRefused, "a capture was refused although enough remained")

	check := func(t *testing.T) {
		p := b.Get(t, p)
		require.Equal(t, captured, p.AmountCaptured, "kassa's captured amount is the sum of the successful captures")
		sp := b.RequireBooksAgree(t, p)
		var simOK int
		for _, op := range sp.Operations {
			require.Equal(t, "capture", op.Kind)
			require.Equal(t, "SUCCEEDED", op.Result, "kassa never sent a capture the processor had to refuse")
			simOK++
		}
		require.Equal(t, succeeded, simOK)
		ops := b.Operations(t, p)
		require.Len(t, ops, succeeded, "refused captures leave no operation behind")
		for _, op := range ops {
			require.Equal(t, "SUCCEEDED", op.Status)
		}
	}
	t.Run("RightAfter", check)
	b.SettlePayment(t, p.ProcessorRef)
	t.Run("AfterTheCallbacks", check)
}

// TestHeldCallbacks runs, on one fixture whose callbacks are recorded but
// not applied, the behaviours that deliver real callbacks themselves:
// again, at once, reordered, tampered with.
func TestHeldCallbacks(t *testing.T) {
	t.Parallel()
	var transitions sync.Map // payment id → *atomic.Int32
	b := setup(t, paymentstest.WithListener(func(_ context.Context, _ *sqlx.Tx, before, after payments.Payment) error {
		if before.Status != payments.StatusAuthorized && after.Status == payments.StatusAuthorized {
			n, _ := transitions.LoadOrStore(after.ID, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
		}
		return nil
	}))
	b.authorizations = func(p payments.Payment) int32 {
		if n, ok := transitions.Load(p.ID); ok {
			return n.(*atomic.Int32).Load()
		}
		return 0
	}
	b.Callbacks.Hold()
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *bundle)
	}{
		{"NotAuthorizedWithoutTheCallback", testNotAuthorizedWithoutTheCallback},
		{"DuplicateCallback", testDuplicateCallback},
		{"CallbacksInAnyOrder", testCallbacksInAnyOrder},
		{"CallbackVerification", testCallbackVerification},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, b)
		})
	}
}

// testDuplicateCallback delivers one real, signed callback ten times at
// once: one state transition, one event row.
func testDuplicateCallback(t *testing.T, b *bundle) {
	p := b.Authorize(t, b.Payment(b.merchant, cardOK, amount))
	d := b.Callbacks.Wait(t, p.ProcessorRef, simulator.EventAuthorized)
	b.SettlePayment(t, p.ProcessorRef)
	require.Equal(t, payments.StatusPending, b.Get(t, p).Status)
	require.Zero(t, b.authorizations(p))

	errs := make([]error, 10)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range errs {
		wg.Go(func() {
			<-start
			errs[i] = b.Service.HandleCallback(b.ctx, "simulator", d.Header, d.Body)
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err, "every delivery is acknowledged")
	}

	p = b.Get(t, p)
	require.Equal(t, payments.StatusAuthorized, p.Status)
	require.Equal(t, int32(1), b.authorizations(p), "one state transition")
	rows := 0
	for _, e := range b.Events(t, p) {
		if e.ProcessorEventID != nil && *e.ProcessorEventID == d.EventID {
			rows++
			require.Equal(t, simulator.EventAuthorized, e.Type)
		}
	}
	require.Equal(t, 1, rows, "one payment_events row for the event")
	b.RequireBooksAgree(t, p)
}

// testCardThatDuplicatesAndReorders: the simulator's 4000 0000 0000 0259
// delivers every callback twice and out of order; each is recorded once
// and the payment ends as the processor has it.
func testCardThatDuplicatesAndReorders(t *testing.T, b *bundle) {
	n := b.Payment(b.merchant, cardDuplicates, amount)
	n.CaptureMode = payments.CaptureImmediate
	immediate := b.WaitStatus(t, b.Authorize(t, n), payments.StatusCaptured)

	n = b.Payment(b.merchant, cardDuplicates, amount)
	dup := b.WaitStatus(t, b.Authorize(t, n), payments.StatusAuthorized)
	dup, err := b.capture(dup, 4000)
	require.NoError(t, err)
	dup, err = b.refund(dup, 1000)
	require.NoError(t, err)
	b.SettlePayment(t, immediate.ProcessorRef)
	b.SettlePayment(t, dup.ProcessorRef)

	for _, p := range []payments.Payment{immediate, dup} {
		p = b.Get(t, p)
		b.RequireBooksAgree(t, p)
		seen := map[string]int{}
		var order []string
		for _, d := range b.Callbacks.For(*p.ProcessorRef) {
			if seen[d.EventID] == 0 {
				order = append(order, d.Type)
			}
			seen[d.EventID]++
		}
		for id, times := range seen {
			require.Equal(t, 2, times, "event %s delivered twice", id)
		}
		recorded := map[string]int{}
		for _, e := range b.Events(t, p) {
			if e.ProcessorEventID != nil {
				recorded[*e.ProcessorEventID]++
			}
		}
		require.Len(t, recorded, len(seen))
		for id, times := range recorded {
			require.Equal(t, 1, times, "event %s recorded once", id)
		}
		if p.ID == immediate.ID {
			require.Equal(t, []string{simulator.EventCaptured, simulator.EventAuthorized}, order, "the simulator reorders")
			require.Equal(t, payments.StatusCaptured, p.Status)
		} else {
			require.Equal(t, payments.StatusPartiallyRefunded, p.Status)
			require.Equal(t, [3]int64{amount, 4000, 1000}, [3]int64{p.AmountAuthorized, p.AmountCaptured, p.AmountRefunded})
		}
	}
}

// testCallbacksInAnyOrder: each flow's callbacks, recorded from one
// payment and applied to it in order, are then replayed, in every order
// and with a duplicate, to fresh payments: each ends as the first did.
func testCallbacksInAnyOrder(t *testing.T, b *bundle) {
	for _, flow := range []struct {
		name  string
		card  string
		mode  payments.CaptureMode
		drive func(t *testing.T, b *bundle, p payments.Payment, deliver func(typ string))
	}{
		{"CapturedInPartsAndRefunded", cardOK, payments.CaptureReserve, func(t *testing.T, b *bundle, p payments.Payment, deliver func(string)) {
			deliver(simulator.EventAuthorized)
			_, err := b.capture(p, 3000)
			require.NoError(t, err)
			_, err = b.capture(p, 2000)
			require.NoError(t, err)
			_, err = b.refund(p, 1000)
			require.NoError(t, err)
		}},
		{"ChallengePassedAndCaptured", cardChallenge, payments.CaptureImmediate, func(t *testing.T, b *bundle, p payments.Payment, _ func(string)) {
			b.Challenge(t, *p.NextActionURL, "1234", false)
		}},
		{"ChallengeFailed", cardChallenge, payments.CaptureReserve, func(t *testing.T, b *bundle, p payments.Payment, _ func(string)) {
			b.Challenge(t, *p.NextActionURL, "0000", false)
		}},
		{"Voided", cardOK, payments.CaptureReserve, func(t *testing.T, b *bundle, p payments.Payment, deliver func(string)) {
			deliver(simulator.EventAuthorized)
			_, err := b.Service.Void(b.ctx, b.actor(), p.MerchantID, p.ID)
			require.NoError(t, err)
		}},
	} {
		t.Run(flow.name, func(t *testing.T) {
			t.Parallel()
			newPayment := func() payments.Payment {
				n := b.Payment(b.merchant, flow.card, amount)
				n.CaptureMode = flow.mode
				return b.Authorize(t, n)
			}
			ref := newPayment()
			applied := map[string]bool{}
			deliver := func(typ string) {
				d := b.Callbacks.Wait(t, ref.ProcessorRef, typ)
				require.NoError(t, b.Service.HandleCallback(b.ctx, "simulator", d.Header, d.Body))
				applied[d.EventID] = true
			}
			flow.drive(t, b, ref, deliver)
			b.SettlePayment(t, ref.ProcessorRef)
			var events []paymentstest.Delivery
			for _, d := range b.Callbacks.For(*ref.ProcessorRef) {
				events = append(events, d)
				if !applied[d.EventID] {
					require.NoError(t, b.Service.HandleCallback(b.ctx, "simulator", d.Header, d.Body))
				}
			}
			require.GreaterOrEqual(t, len(events), 2)
			want := b.Get(t, ref)
			b.RequireBooksAgree(t, want)

			for i, order := range permutations(len(events)) {
				p := newPayment()
				for _, k := range append(order, order[0]) {
					body := retarget(t, events[k].Body, fmt.Sprintf("%s_%d", events[k].EventID, i), *p.ProcessorRef, p.ID.String())
					require.NoError(t, b.Service.HandleCallback(b.ctx, "simulator", paymentstest.Signed(body), body))
				}
				got := b.Get(t, p)
				require.Equal(t, outcome(want), outcome(got), "order %v", order)
			}
		})
	}
}

// outcome is what must not depend on the order of callbacks.
func outcome(p payments.Payment) string {
	s := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	return fmt.Sprintf("%s authorized=%d captured=%d refunded=%d voided=%t expired=%t failed=%t failure=%s 3ds=%s action=%t captureBefore=%t card=%s/%s",
		p.Status, p.AmountAuthorized, p.AmountCaptured, p.AmountRefunded, p.Voided, p.Expired, p.Failed, s(p.FailureCode), p.ThreeDS,
		p.NextActionURL != nil, p.CaptureBefore != nil, s(p.CardBrand), s(p.CardLast4))
}

func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, rest := range permutations(n - 1) {
		for pos := 0; pos <= len(rest); pos++ {
			p := append(append(append([]int{}, rest[:pos]...), n-1), rest[pos:]...)
			out = append(out, p)
		}
	}
	return out
}

// retarget rewrites a recorded callback body for another payment, under a
// new event id.
func retarget(t *testing.T, body []byte, id, ref, paymentID string) []byte {
	t.Helper()
	return editEvent(t, body, func(ev map[string]any, data map[string]any) {
		ev["id"] = id
		data["ref"] = ref
		data["payment_id"] = paymentID
	})
}

func editEvent(t *testing.T, body []byte, edit func(ev, data map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var ev map[string]any
	require.NoError(t, dec.Decode(&ev))
	data, ok := ev["data"].(map[string]any)
	require.True(t, ok, "callback without data: %s", body)
	edit(ev, data)
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	return out
}

// testCallbackVerification: only callbacks signed with the secret, fresh,
// over the exact body, of the right amount and currency, change anything.
func testCallbackVerification(t *testing.T, b *bundle) {
	p := b.Authorize(t, b.Payment(b.merchant, cardOK, amount))
	d := b.Callbacks.Wait(t, p.ProcessorRef, simulator.EventAuthorized)
	b.SettlePayment(t, p.ProcessorRef)

	unchanged := func(t *testing.T, fn func()) {
		t.Helper()
		before, events := b.Get(t, p), len(b.Events(t, p))
		fn()
		require.Equal(t, before, b.Get(t, p), "the payment changed")
		require.Len(t, b.Events(t, p), events, "an event was recorded")
	}
	header := func(v string) http.Header {
		h := http.Header{}
		if v != "" {
			h.Set(simulator.SignatureHeader, v)
		}
		return h
	}
	now := time.Now()

	for name, tc := range map[string]struct {
		header http.Header
		body   []byte
	}{
		"ChangedBody":         {d.Header, bytes.Replace(d.Body, []byte(`"authorized":10000`), []byte(`"authorized":10001`), 1)},
		"OtherSecret":         {header(paymentstest.SignatureHeader("whsec_other", now, d.Body)), d.Body},
		"ForgedSignature":     {header("t=" + fmt.Sprint(now.Unix()) + ",v1=" + strings.Repeat("ab", 32)), d.Body},
		"StaleTimestamp":      {header(paymentstest.SignatureHeader(paymentstest.Secret, now.Add(-simulator.SignatureTolerance-time.Minute), d.Body)), d.Body},
		"TimestampInFuture":   {header(paymentstest.SignatureHeader(paymentstest.Secret, now.Add(simulator.SignatureTolerance+time.Minute), d.Body)), d.Body},
		"NoSignature":         {header(""), d.Body},
		"MalformedSignature":  {header("t=abc,v1=xyz"), d.Body},
		"SignatureOfNoBody":   {header(paymentstest.SignatureHeader(paymentstest.Secret, now, nil)), d.Body},
		"TimestampMoved":      {header(moveTimestamp(t, d.Header.Get(simulator.SignatureHeader), -1)), d.Body},
		"SignedBodyTruncated": {d.Header, d.Body[:len(d.Body)-1]},
	} {
		t.Run("Refuses"+name, func(t *testing.T) {
			require.NotEqual(t, string(d.Body), "")
			unchanged(t, func() {
				err := b.Service.HandleCallback(b.ctx, "simulator", tc.header, tc.body)
				require.ErrorIs(t, err, payments.ErrBadSignature)
			})
		})
	}

	t.Run("UnknownProcessorIsRefused", func(t *testing.T) {
		unchanged(t, func() {
			require.ErrorIs(t, b.Service.HandleCallback(b.ctx, "acme", d.Header, d.Body), payments.ErrUnknownProcessor)
		})
	})

	t.Run("UnknownEventTypeIsAcknowledged", func(t *testing.T) {
		body := editEvent(t, d.Body, func(ev, _ map[string]any) {
			ev["id"] = "evt_unknown_type"
			ev["type"] = "payment.disputed"
		})
		unchanged(t, func() {
			require.NoError(t, b.Service.HandleCallback(b.ctx, "simulator", paymentstest.Signed(body), body))
		})
		require.True(t, b.Logs.Contains("evt_unknown_type"), "the ignored event is logged")
	})

	t.Run("AmountOrCurrencyMismatchIsNotMarkedPaid", func(t *testing.T) {
		for i, edit := range []func(data map[string]any){
			func(data map[string]any) { data["amount"], data["authorized"] = 1, 1 },
			func(data map[string]any) { data["amount"], data["authorized"] = amount*2, amount*2 },
			func(data map[string]any) { data["currency"] = "EUR" },
		} {
			body := editEvent(t, d.Body, func(ev, data map[string]any) {
				ev["id"] = fmt.Sprintf("evt_mismatch_%d", i)
				edit(data)
			})
			require.NoError(t, b.Service.HandleCallback(b.ctx, "simulator", paymentstest.Signed(body), body), "acknowledged")
			q := b.Get(t, p)
			require.Equal(t, payments.StatusPending, q.Status, "case %d", i)
			require.Zero(t, q.AmountAuthorized)
		}
		var mismatches int
		for _, e := range b.Events(t, p) {
			if e.Type == "callback.amount_mismatch" {
				mismatches++
			}
		}
		require.Equal(t, 3, mismatches, "each mismatch is recorded")
	})

	t.Run("TheGenuineCallbackStillCounts", func(t *testing.T) {
		require.NoError(t, b.Service.HandleCallback(b.ctx, "simulator", d.Header, d.Body))
		q := b.Get(t, p)
		require.Equal(t, payments.StatusAuthorized, q.Status)
		b.RequireBooksAgree(t, q)

		// A capture reported in another currency does not count either.
		q, err := b.capture(q, 2000)
		require.NoError(t, err)
		c := b.Callbacks.Wait(t, p.ProcessorRef, simulator.EventCaptured)
		body := editEvent(t, c.Body, func(ev, data map[string]any) {
			ev["id"] = "evt_capture_in_euro"
			data["currency"] = "EUR"
			data["captured"] = amount
		})
		require.NoError(t, b.Service.HandleCallback(b.ctx, "simulator", paymentstest.Signed(body), body))
		require.Equal(t, int64(2000), b.Get(t, p).AmountCaptured)
	})
}

// TestProcessorTimeout: the processor acted but its answer came too late.
// kassa retries with the same key, and the processor acts once.
func TestProcessorTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, paymentstest.WithClientOptions(simulator.WithTimeout(250*time.Millisecond)))
	slow := 3 * time.Second
	var p payments.Payment

	// The cases share the simulator's delay knob, so they run in turn.
	t.Run("AuthorizationIsRetriedWithTheSameKey", func(t *testing.T) {
		b.Sim.DelayResponses(1, slow)
		var err error
		p, err = b.Service.Authorize(b.ctx, b.Payment(b.merchant, cardOK, amount))
		require.NoError(t, err)
		require.NotNil(t, p.ProcessorRef)
		sps, err := b.Sim.Payments(b.ctx, b.merchant.String())
		require.NoError(t, err)
		require.Len(t, sps, 1, "one authorization at the processor")
		require.Equal(t, payments.IdempotencyKey("authorize", p.ID.UUID), sps[0].IdempotencyKey)
		require.Equal(t, *p.ProcessorRef, sps[0].Ref)
		p = b.WaitStatus(t, p, payments.StatusAuthorized)
		b.RequireBooksAgree(t, p)
	})

	t.Run("CaptureIsRetriedWithTheSameKey", func(t *testing.T) {
		b.Sim.DelayResponses(1, slow)
		q, err := b.capture(p, 4000)
		require.NoError(t, err)
		require.Equal(t, int64(4000), q.AmountCaptured)
		sp := b.SimPayment(t, p.ProcessorRef)
		require.Len(t, sp.Operations, 1, "one capture at the processor")
		ops := b.Operations(t, p)
		require.Len(t, ops, 1)
		require.Equal(t, payments.IdempotencyKey("capture", ops[0].ID), sp.Operations[0].IdempotencyKey)
		require.Equal(t, "SUCCEEDED", ops[0].Status)
	})

	t.Run("UnansweredCaptureIsSettledByTheSweep", func(t *testing.T) {
		b.Sim.DelayResponses(3, slow)
		_, err := b.capture(p, 1000)
		requireFault(t, err, payments.ErrProcessorUnavailable)
		ops := b.Operations(t, p)
		require.Len(t, ops, 2)
		require.Equal(t, "PENDING", ops[1].Status)
		require.Len(t, b.SimPayment(t, p.ProcessorRef).Operations, 2, "the processor acted once")

		// A pending capture holds its amount.
		_, err = b.capture(p, amount-4000)
		requireFault(t, err, fault.ErrAmountTooLarge)

		b.Clock.Advance(2 * time.Minute)
		settled, err := b.Service.RetryPending(b.ctx, time.Minute)
		require.NoError(t, err)
		require.Equal(t, 1, settled)
		ops = b.Operations(t, p)
		require.Equal(t, "SUCCEEDED", ops[1].Status)
		sp := b.SimPayment(t, p.ProcessorRef)
		require.Len(t, sp.Operations, 2, "the retry reused the key")
		require.Equal(t, payments.IdempotencyKey("capture", ops[1].ID), sp.Operations[1].IdempotencyKey)
		b.Settle(t)
		q := b.Get(t, p)
		require.Equal(t, int64(5000), q.AmountCaptured)
		b.RequireBooksAgree(t, q)
	})

	t.Run("UnansweredAuthorizationIsSettledByTheCallback", func(t *testing.T) {
		m := b.NewMerchant(t)
		b.Sim.DelayResponses(3, slow)
		q, err := b.Service.Authorize(b.ctx, b.Payment(m, cardOK, amount))
		requireFault(t, err, payments.ErrProcessorUnavailable)
		// The callback may have come while kassa was still retrying.
		require.Contains(t, []payments.Status{payments.StatusPending, payments.StatusAuthorized}, q.Status)
		q = b.WaitStatus(t, q, payments.StatusAuthorized)
		sps, err := b.Sim.Payments(b.ctx, m.String())
		require.NoError(t, err)
		require.Len(t, sps, 1, "one authorization at the processor")
		require.Equal(t, sps[0].Ref, *q.ProcessorRef)
		require.Equal(t, payments.IdempotencyKey("authorize", q.ID.UUID), sps[0].IdempotencyKey)
		b.RequireBooksAgree(t, q)
	})
}

// testIdempotencyKeys: every call carries the key derived from kassa's row
// id, as the processor recorded it.
func testIdempotencyKeys(t *testing.T, b *bundle) {

	t.Run("AuthorizeCaptureRefund", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		var err error
		for _, part := range []int64{1000, 2000} {
			_, err = b.capture(p, part)
			require.NoError(t, err)
		}
		_, err = b.refund(p, 500)
		require.NoError(t, err)
		sp := b.SimPayment(t, p.ProcessorRef)
		require.Equal(t, "kassa-authorize-"+p.ID.String(), sp.IdempotencyKey)
		require.Equal(t, payments.IdempotencyKey("authorize", p.ID.UUID), sp.IdempotencyKey)
		ops := b.Operations(t, p)
		require.Len(t, sp.Operations, len(ops))
		for i, op := range ops {
			require.Equal(t, payments.IdempotencyKey(strings.ToLower(op.Kind), op.ID), sp.Operations[i].IdempotencyKey)
			require.Equal(t, strings.ToLower(op.Kind), sp.Operations[i].Kind)
			require.Equal(t, op.Amount, sp.Operations[i].Amount)
		}
	})

	t.Run("Void", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		_, err := b.Service.Void(b.ctx, b.actor(), p.MerchantID, p.ID)
		require.NoError(t, err)
		ops := b.Operations(t, p)
		require.Len(t, ops, 1)
		sp := b.SimPayment(t, p.ProcessorRef)
		require.Len(t, sp.Operations, 1)
		require.Equal(t, payments.IdempotencyKey("void", ops[0].ID), sp.Operations[0].IdempotencyKey)
	})

	t.Run("SameIDAuthorizesOnce", func(t *testing.T) {
		t.Parallel()
		m := b.NewMerchant(t)
		n := b.Payment(m, cardOK, amount)
		n.ID = uuid.Must(uuid.NewV7())
		first := b.Authorize(t, n)
		second := b.Authorize(t, n)
		require.Equal(t, first.ID, second.ID)
		require.Equal(t, *first.ProcessorRef, *second.ProcessorRef)
		sps, err := b.Sim.Payments(b.ctx, m.String())
		require.NoError(t, err)
		require.Len(t, sps, 1)
	})
}

// moveTimestamp shifts the t= of a signature header by seconds, keeping
// its signature.
func moveTimestamp(t *testing.T, h string, seconds int64) string {
	t.Helper()
	ts, sigs, err := simulator.ParseSignatureHeader(h)
	require.NoError(t, err)
	require.Len(t, sigs, 1)
	return fmt.Sprintf("t=%d,v1=%x", ts+seconds, sigs[0])
}
