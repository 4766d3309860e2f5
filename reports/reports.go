package reports

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"kassa/billing"
	"kassa/fault"
	"kassa/gid"
	"kassa/merchants"
	"kassa/money"
	"kassa/orders"
	"kassa/payments"
)

// Service computes the dashboard's figures.
type Service struct {
	Merchants *merchants.Service
	Payments  *payments.Service
	Orders    *orders.Service
	Billing   *billing.Service
}

// Revenue is what was captured and refunded in one currency.
type Revenue struct {
	Currency string
	Captured int64
	Refunded int64
}

// CapturedMoney is the captured amount as Money.
func (r Revenue) CapturedMoney() money.Money {
	return money.Money{Amount: r.Captured, Currency: r.Currency}
}

// RefundedMoney is the refunded amount as Money.
func (r Revenue) RefundedMoney() money.Money {
	return money.Money{Amount: r.Refunded, Currency: r.Currency}
}

// NetMoney is captured less refunded, as Money.
func (r Revenue) NetMoney() money.Money {
	return money.Money{Amount: r.Captured - r.Refunded, Currency: r.Currency}
}

// Overview is the dashboard's figures for a range.
type Overview struct {
	From, To time.Time
	// Revenue per currency: the merchant's default currency first (zeros
	// when nothing moved), then any other that moved, by code.
	Revenue []Revenue
	// PaidOrders counts orders paid in the range (all currencies).
	PaidOrders int
	// AverageOrderValue per currency with paid orders: their net (paid
	// less refunded) divided by their number, truncated to the minor unit.
	AverageOrderValue []money.Money
	Reservations      payments.ReservationFigures
	Subscriptions     billing.Figures
	FailedPayments    int
}

// Overview returns the figures for [from, to). Revenue, paid orders and
// failed payments are those of the range; reservations and subscriptions
// are as of now.
//
// Errors: fault.ErrForbidden (payments.Actor.MaySeeTotals); code
// INVALID_RANGE.
func (s *Service) Overview(ctx context.Context, a payments.Actor, merchantID gid.MerchantID, from, to time.Time) (Overview, error) {
	if !a.MaySeeTotals() {
		return Overview{}, fault.ErrForbidden
	}
	if err := payments.CheckRange(from, to); err != nil {
		return Overview{}, err
	}
	m, err := s.Merchants.Get(ctx, merchantID)
	if err != nil {
		return Overview{}, err
	}
	// Three domains, three transactions: run side by side, the overview
	// waits for the slowest rather than for their sum.
	var (
		wg   sync.WaitGroup
		pf   payments.Figures
		paid []orders.PaidFigures
		sf   billing.Figures
		errs [3]error
	)
	wg.Go(func() { pf, errs[0] = s.Payments.Figures(ctx, a, merchantID, from, to) })
	wg.Go(func() { paid, errs[1] = s.Orders.PaidBetween(ctx, a, merchantID, from, to) })
	wg.Go(func() { sf, errs[2] = s.Billing.Figures(ctx, a, merchantID) })
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return Overview{}, err
	}
	o := Overview{From: from, To: to, Reservations: pf.Reservations, Subscriptions: sf, FailedPayments: pf.Failed,
		AverageOrderValue: []money.Money{}}
	o.Revenue = []Revenue{{Currency: m.DefaultCurrency}}
	for _, r := range pf.Revenue {
		if r.Currency == m.DefaultCurrency {
			o.Revenue[0].Captured, o.Revenue[0].Refunded = r.Captured, r.Refunded
			continue
		}
		o.Revenue = append(o.Revenue, Revenue(r))
	}
	for _, p := range paid {
		o.PaidOrders += p.Orders
		if p.Orders > 0 {
			o.AverageOrderValue = append(o.AverageOrderValue, money.Money{Amount: p.Net / int64(p.Orders), Currency: p.Currency})
		}
	}
	return o, nil
}

// Sales is a sales report: captured and refunded per bucket of the
// merchant's calendar.
type Sales struct {
	Currency string
	TimeZone string
	Interval payments.ReportInterval
	Buckets  []payments.SalesBucket
}

// Sales returns the sales report of [from, to) in currency (empty: the
// merchant's default currency), in buckets of interval in the merchant's
// time zone.
//
// Errors: as payments.Service.SalesReport.
func (s *Service) Sales(ctx context.Context, a payments.Actor, merchantID gid.MerchantID, from, to time.Time, interval payments.ReportInterval, currency string) (Sales, error) {
	if !a.MaySeeTotals() {
		return Sales{}, fault.ErrForbidden
	}
	m, err := s.Merchants.Get(ctx, merchantID)
	if err != nil {
		return Sales{}, err
	}
	if currency == "" {
		currency = m.DefaultCurrency
	}
	bs, err := s.Payments.SalesReport(ctx, a, merchantID, payments.SalesQuery{From: from, To: to, Interval: interval, Currency: currency, TimeZone: m.TimeZone})
	if err != nil {
		return Sales{}, err
	}
	return Sales{Currency: currency, TimeZone: m.TimeZone, Interval: interval, Buckets: slices.Clip(bs)}, nil
}

// ActiveSubscriptions is the number of active subscriptions (the
// subscription figures are flat here, as the API names them).
func (o Overview) ActiveSubscriptions() int { return o.Subscriptions.Active }

// PastDueSubscriptions is the number of subscriptions whose last charge failed.
func (o Overview) PastDueSubscriptions() int { return o.Subscriptions.PastDue }

// MonthlyRecurringRevenue is the recurring revenue per month, one Money a currency.
func (o Overview) MonthlyRecurringRevenue() []money.Money { return o.Subscriptions.MRR }
