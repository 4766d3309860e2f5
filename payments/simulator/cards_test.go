package simulator

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kassa/luhn"
	"kassa/payments"
)

func testTestCards(t *testing.T, b *bundle) {
	lastYear := b.clock.Now().Year() - 1

	cases := []struct {
		name      string
		number    string
		opts      []authOpt
		status    payments.AuthStatus
		decline   string
		brand     string
		last4     string
		simStatus Status
		threeDS   string
		hold      time.Duration
		events    []string
	}{
		{name: "VisaSucceeds", number: "4242424242424242", status: payments.AuthPending, brand: "visa", last4: "4242",
			simStatus: StatusAuthorized, threeDS: "NOT_REQUIRED", hold: 7 * 24 * time.Hour, events: []string{EventAuthorized}},
		{name: "NumberWithSpaces", number: "4242 4242 4242 4242", status: payments.AuthPending, brand: "visa", last4: "4242",
			simStatus: StatusAuthorized, threeDS: "NOT_REQUIRED", hold: 7 * 24 * time.Hour, events: []string{EventAuthorized}},
		{name: "CaptureAtOnce", number: "4242424242424242", opts: []authOpt{withCapture}, status: payments.AuthPending, brand: "visa", last4: "4242",
			simStatus: StatusCaptured, threeDS: "NOT_REQUIRED", hold: 7 * 24 * time.Hour, events: []string{EventAuthorized, EventCaptured}},
		{name: "ChallengeForCustomer", number: "4000000000003220", status: payments.AuthRequiresAction, brand: "visa", last4: "3220",
			simStatus: StatusRequiresAction, events: []string{EventRequiresAction}},
		{name: "NoChallengeForMOTO", number: "4000000000003220", opts: []authOpt{withMOTO}, status: payments.AuthPending, brand: "visa", last4: "3220",
			simStatus: StatusAuthorized, threeDS: "NOT_REQUIRED", hold: 5 * 24 * time.Hour, events: []string{EventAuthorized}},
		{name: "NoChallengeForRecurring", number: "4000000000003220", opts: []authOpt{withRecurring}, status: payments.AuthPending, brand: "visa", last4: "3220",
			simStatus: StatusAuthorized, threeDS: "NOT_REQUIRED", hold: 5 * 24 * time.Hour, events: []string{EventAuthorized}},
		{name: "CardDeclined", number: "4000000000000002", status: payments.AuthDeclined, decline: CodeCardDeclined, brand: "visa", last4: "0002",
			simStatus: StatusFailed, events: []string{EventFailed}},
		{name: "InsufficientFunds", number: "4000000000009995", status: payments.AuthDeclined, decline: CodeInsufficientFunds, brand: "visa", last4: "9995",
			simStatus: StatusFailed, events: []string{EventFailed}},
		{name: "ExpiredCard", number: "4000000000000069", status: payments.AuthDeclined, decline: CodeExpiredCard, brand: "visa", last4: "0069",
			simStatus: StatusFailed, events: []string{EventFailed}},
		{name: "ProcessingError", number: "4000000000000119", status: payments.AuthDeclined, decline: CodeProcessingError, brand: "visa", last4: "0119",
			simStatus: StatusFailed, events: []string{EventFailed}},
		{name: "DuplicateCallbacks", number: "4000000000000259", status: payments.AuthPending, brand: "visa", last4: "0259",
			simStatus: StatusAuthorized, threeDS: "NOT_REQUIRED", hold: 7 * 24 * time.Hour, events: []string{EventAuthorized, EventAuthorized}},
		{name: "Mastercard", number: "5555555555554444", status: payments.AuthPending, brand: "mastercard", last4: "4444",
			simStatus: StatusAuthorized, threeDS: "NOT_REQUIRED", hold: 7 * 24 * time.Hour, events: []string{EventAuthorized}},
		{name: "Mastercard2Series", number: "2223003122003222", status: payments.AuthPending, brand: "mastercard", last4: "3222",
			simStatus: StatusAuthorized, threeDS: "NOT_REQUIRED", hold: 7 * 24 * time.Hour, events: []string{EventAuthorized}},
		{name: "Amex", number: "378282246310005", status: payments.AuthPending, brand: "amex", last4: "0005",
			simStatus: StatusAuthorized, threeDS: "NOT_REQUIRED", hold: 7 * 24 * time.Hour, events: []string{EventAuthorized}},
		{name: "AnyOtherValidNumber", number: "4000056655665556", status: payments.AuthPending, brand: "visa", last4: "5556",
			simStatus: StatusAuthorized, threeDS: "NOT_REQUIRED", hold: 7 * 24 * time.Hour, events: []string{EventAuthorized}},
		{name: "ExpiryDateInThePast", number: "4242424242424242", opts: []authOpt{withExpiry(12, lastYear)}, status: payments.AuthDeclined,
			decline: CodeExpiredCard, brand: "visa", last4: "4242", simStatus: StatusFailed, events: []string{EventFailed}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]authOpt{withAccount(uuid.New())}, tc.opts...)
			req, resp := b.authorize(t, tc.number, opts...)

			require.Equal(t, tc.status, resp.Status)
			require.NotEmpty(t, resp.ProcessorRef)
			require.Equal(t, tc.decline, resp.DeclineCode)
			if tc.decline != "" {
				require.NotEmpty(t, resp.DeclineMsg)
			}
			require.Equal(t, payments.CardInfo{Brand: tc.brand, Last4: tc.last4, ExpMonth: req.Card.ExpMonth, ExpYear: req.Card.ExpYear}, resp.Card)
			if tc.status == payments.AuthRequiresAction {
				require.Equal(t, b.ts.URL+"/simulator/3ds/"+resp.ProcessorRef, resp.ActionURL)
			} else {
				require.Empty(t, resp.ActionURL)
			}

			p := b.payment(t, resp.ProcessorRef)
			require.Equal(t, tc.simStatus, p.Status)
			require.Equal(t, tc.threeDS, p.ThreeDS)
			require.Equal(t, req.IdempotencyKey, p.IdempotencyKey)
			require.Equal(t, req.PaymentID, p.PaymentID)
			require.Equal(t, req.MerchantID.String(), p.Account)
			require.Equal(t, req.Initiator, p.Initiator)
			require.Equal(t, tc.decline, p.FailureCode)
			if tc.hold > 0 {
				require.Equal(t, int64(1000), p.Authorized)
				require.True(t, p.CaptureBefore.Equal(b.clock.Now().Add(tc.hold)), "capture before %s, want %s", p.CaptureBefore, b.clock.Now().Add(tc.hold))
			} else {
				require.Zero(t, p.Authorized)
				require.True(t, p.CaptureBefore.IsZero())
			}

			require.EventuallyWithT(t, func(c *assert.CollectT) {
				require.Equal(c, tc.events, b.recv.typesFor(resp.ProcessorRef))
			}, 10*time.Second, 10*time.Millisecond)
			for _, ev := range b.recv.eventsFor(resp.ProcessorRef) {
				require.Equal(t, req.PaymentID, ev.PaymentID)
				require.Equal(t, int64(1000), ev.Snapshot.Amount)
				require.Equal(t, "SEK", ev.Snapshot.Currency)
				require.Equal(t, tc.last4, ev.Snapshot.Card.Last4)
				require.Equal(t, tc.brand, ev.Snapshot.Card.Brand)
				switch ev.Type {
				case EventFailed:
					require.True(t, ev.Snapshot.Failed)
					require.Equal(t, tc.decline, ev.Snapshot.FailureCode)
					require.NotEmpty(t, ev.Snapshot.FailureMessage)
				case EventAuthorized:
					require.Equal(t, int64(1000), ev.Snapshot.Authorized)
					require.Equal(t, "NOT_REQUIRED", ev.Snapshot.ThreeDS)
					require.True(t, ev.Snapshot.CaptureBefore.Equal(p.CaptureBefore))
				case EventCaptured:
					require.Equal(t, int64(1000), ev.Snapshot.Captured)
				case EventRequiresAction:
					require.True(t, ev.Snapshot.RequiresAction)
					require.Empty(t, ev.Snapshot.ThreeDS)
				}
			}
		})
	}
}

func testInvalidCards(t *testing.T, b *bundle) {
	year := b.clock.Now().Year() + 2
	cases := []struct {
		name   string
		number string
		opts   []authOpt
	}{
		{"LuhnFails", "4242424242424241", nil},
		{"TooShort", "42424242424", nil},
		{"TooLong", "42424242424242424242", nil},
		{"Letters", "4242x24242424242", nil},
		{"Empty", "", nil},
		{"MonthZero", "4242424242424242", []authOpt{withExpiry(0, year)}},
		{"MonthThirteen", "4242424242424242", []authOpt{withExpiry(13, year)}},
		{"TwoDigitYear", "4242424242424242", []authOpt{withExpiry(12, year%100)}},
		{"ShortCVC", "4242424242424242", []authOpt{withCVC("12")}},
		{"NoCVC", "4242424242424242", []authOpt{withCVC("")}},
		{"LettersInCVC", "4242424242424242", []authOpt{withCVC("12a")}},
		{"AmexNeedsFourDigitCVC", "378282246310005", []authOpt{withCVC("123")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			account := uuid.New()
			req := b.authRequest(tc.number, append([]authOpt{withAccount(account)}, tc.opts...)...)
			_, err := b.client.Authorize(context.Background(), req)
			require.ErrorIs(t, err, payments.ErrInvalidCard)
			if len(tc.number) > 4 {
				require.NotContains(t, err.Error(), tc.number)
			}
			ps, err := b.srv.Payments(context.Background(), account.String())
			require.NoError(t, err)
			require.Empty(t, ps, "an invalid card creates no payment")
		})
	}
}

func TestCardParsing(t *testing.T) {
	t.Parallel()
	for number, want := range map[string]string{
		"4242424242424242": "visa", "5105105105105100": "mastercard", "2221000000000009": "mastercard",
		"2720990000000007": "mastercard", "371449635398431": "amex", "340000000000009": "amex", "6011111111111117": "unknown",
	} {
		cvc := "123"
		if want == "amex" {
			cvc = "1234"
		}
		c, err := parseCard(number, 1, 2030, cvc)
		require.NoError(t, err, number)
		require.Equal(t, want, c.Brand, number)
		require.Equal(t, number[len(number)-4:], c.Last4)
	}
	for _, n := range []string{"4000000000003220", "4000000000000002", "4000000000009995", "4000000000000069", "4000000000000119", "4000000000000259"} {
		_, err := parseCard(n, 1, 2030, "123")
		require.NoError(t, err, "test card %s must pass the Luhn check", n)
	}

	now := time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC)
	require.False(t, expired(3, 2026, now), "valid through the end of its month")
	require.True(t, expired(2, 2026, now))
	require.True(t, expired(3, 2026, now.Add(time.Minute)))
	require.False(t, expired(12, 2026, now))
}

func FuzzParseCard(f *testing.F) {
	for _, n := range []string{"4242424242424242", "4242 4242 4242 4242", "378282246310005", "", "4-2", "0000000000000000"} {
		f.Add(n, 12, 2030, "123")
	}
	f.Fuzz(func(t *testing.T, number string, month, year int, cvc string) {
		c, err := parseCard(number, month, year, cvc)
		if err != nil {
			return
		}
		digits, ok := normalizeNumber(number)
		if !ok || !luhn.Valid(digits) {
			t.Fatalf("accepted %q", number)
		}
		if len(c.Last4) != 4 || !allDigits(c.Last4) || c.Brand == "" || c.ExpMonth < 1 || c.ExpMonth > 12 {
			t.Fatalf("bad card %+v from %q", c, number)
		}
	})
}
