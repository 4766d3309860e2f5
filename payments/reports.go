package payments

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"kassa/fault"
	"kassa/gid"
	"kassa/money"
)

// ReportInterval is the length of a sales report's buckets, in the
// merchant's calendar.
type ReportInterval string

// The report intervals.
const (
	ReportDay   ReportInterval = "DAY"   // local midnight to midnight (23 or 25 hours on a daylight-saving change)
	ReportWeek  ReportInterval = "WEEK"  // ISO weeks, Monday 00:00 to Monday 00:00
	ReportMonth ReportInterval = "MONTH" // the 1st 00:00 to the next 1st 00:00
)

// MaxReportBuckets is the most buckets one sales report has.
const MaxReportBuckets = 400

// sqlUnit is the interval's date_trunc unit and step.
func (i ReportInterval) sqlUnit() (unit, step string, ok bool) {
	switch i {
	case ReportDay:
		return "day", "1 day", true
	case ReportWeek:
		return "week", "1 week", true
	case ReportMonth:
		return "month", "1 month", true
	}
	return "", "", false
}

// CheckRange refuses a report range that is empty, reversed or outside
// the years 1900–9999.
//
// Errors: code INVALID_RANGE.
func CheckRange(from, to time.Time) error {
	if !from.Before(to) {
		return fault.New(ErrInvalidRange, "from must be before to")
	}
	if from.Year() < 1900 || to.Year() > 9999 {
		return fault.New(ErrInvalidRange, "from and to must lie between the years 1900 and 9999")
	}
	return nil
}

// SalesBucket is what was captured and refunded in [Start, End).
type SalesBucket struct {
	Start        time.Time `db:"start"`
	End          time.Time `db:"end"`
	Currency     string    `db:"-"`
	Captured     int64     `db:"captured"`
	Refunded     int64     `db:"refunded"`
	CaptureCount int       `db:"capture_count"`
	RefundCount  int       `db:"refund_count"`
}

// CapturedMoney is the bucket's captured amount as Money.
func (b SalesBucket) CapturedMoney() money.Money {
	return money.Money{Amount: b.Captured, Currency: b.Currency}
}

// RefundedMoney is the bucket's refunded amount as Money.
func (b SalesBucket) RefundedMoney() money.Money {
	return money.Money{Amount: b.Refunded, Currency: b.Currency}
}

// NetMoney is captured less refunded, as Money.
func (b SalesBucket) NetMoney() money.Money {
	return money.Money{Amount: b.Captured - b.Refunded, Currency: b.Currency}
}

// SalesQuery is what SalesReport takes.
type SalesQuery struct {
	From, To time.Time
	Interval ReportInterval
	Currency string
	TimeZone string // IANA name, e.g. Europe/Stockholm: the calendar of the buckets
}

// SalesReport sums what was captured and refunded in Currency, bucket by
// bucket of the merchant's calendar, by when kassa recorded each capture
// and refund (payment_ledger). Buckets are computed in SQL in TimeZone,
// so a day is local midnight to local midnight (23 or 25 hours across a
// daylight-saving change); the first and last are cut to From and To.
// Every bucket is there, empty ones with zeros.
//
// Errors: fault.ErrForbidden (a may not see totals: rules.go); codes
// INVALID_RANGE, INVALID_INTERVAL, INVALID_CURRENCY, TOO_MANY_BUCKETS
// (more than MaxReportBuckets).
func (s *Service) SalesReport(ctx context.Context, a Actor, merchantID gid.MerchantID, q SalesQuery) ([]SalesBucket, error) {
	if !a.MaySeeTotals() {
		return nil, fault.ErrForbidden
	}
	if err := CheckRange(q.From, q.To); err != nil {
		return nil, err
	}
	unit, step, ok := q.Interval.sqlUnit()
	if !ok {
		return nil, fault.New(fault.ErrInvalidInterval, "interval must be DAY, WEEK or MONTH")
	}
	if !money.ValidCurrency(q.Currency) {
		return nil, fault.New(fault.ErrInvalidCurrency, "currency must be an ISO 4217 code such as SEK")
	}
	var bs []SalesBucket
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		// The buckets: generate_series walks the local calendar
		// (timestamp without time zone) and AT TIME ZONE turns each
		// local boundary into the instant it is. Counted first, so a
		// range of too many buckets reads no money at all.
		const buckets = `
			SELECT l AS local, greatest(l AT TIME ZONE $1::text, $2::timestamptz) AS start,
			  least((l + $5::interval) AT TIME ZONE $1::text, $3::timestamptz) AS "end"
			FROM generate_series(date_trunc($4::text, $2::timestamptz AT TIME ZONE $1::text), $3::timestamptz AT TIME ZONE $1::text, $5::interval) AS l
			WHERE l AT TIME ZONE $1::text < $3::timestamptz`
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM (`+buckets+` LIMIT $6) b`,
			q.TimeZone, q.From.UTC(), q.To.UTC(), unit, step, MaxReportBuckets+1); err != nil {
			return err
		}
		if n > MaxReportBuckets {
			return fault.New(ErrTooManyBuckets, "the range has more than %d buckets of this interval: choose a shorter range or a longer interval", MaxReportBuckets)
		}
		// One range scan of the ledger, each row summed into the local
		// bucket it falls in (date_trunc of its local time), joined to
		// every bucket so empty ones show zeros. JIT compiling would
		// cost more than the query.
		if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &bs, `
			WITH b AS (`+buckets+`),
			s AS (
			  SELECT date_trunc($4::text, occurred_at AT TIME ZONE $1::text) AS local,
			    sum(amount) FILTER (WHERE kind = 'CAPTURE') AS captured, sum(amount) FILTER (WHERE kind = 'REFUND') AS refunded,
			    count(*) FILTER (WHERE kind = 'CAPTURE') AS capture_count, count(*) FILTER (WHERE kind = 'REFUND') AS refund_count
			  FROM payment_ledger
			  WHERE merchant_id = $6 AND currency = $7 AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
			  GROUP BY 1
			)
			SELECT b.start, b."end", coalesce(s.captured, 0)::bigint AS captured, coalesce(s.refunded, 0)::bigint AS refunded,
			  coalesce(s.capture_count, 0) AS capture_count, coalesce(s.refund_count, 0) AS refund_count
			FROM b LEFT JOIN s USING (local)
			ORDER BY b.start`,
			q.TimeZone, q.From.UTC(), q.To.UTC(), unit, step, merchantID, q.Currency)
	})
	if err != nil {
		return nil, err
	}
	for i := range bs {
		bs[i].Currency = q.Currency
	}
	return bs, nil
}

// CurrencyTotals is what was captured and refunded in one currency.
type CurrencyTotals struct {
	Currency string `db:"currency"`
	Captured int64  `db:"captured"`
	Refunded int64  `db:"refunded"`
}

// Figures are the payments' part of the dashboard's overview.
type Figures struct {
	// Revenue is captured and refunded in the range, per currency (only
	// currencies that moved), by currency code.
	Revenue []CurrencyTotals
	// Failed counts payments made in the range that failed (declined,
	// refused).
	Failed int
	// Reservations are the open ones now (something left to capture, not
	// lapsed, not voided), whatever the range.
	Reservations ReservationFigures
}

// ReservationFigures summarize the open reservations.
type ReservationFigures struct {
	Count int
	// Amounts is what is left to capture, per currency.
	Amounts []money.Money
	// LapsingWithin24h counts those whose captureBefore is less than 24
	// hours from now (or already past, not yet swept).
	LapsingWithin24h int
}

// Figures returns the payments' figures for the overview of [from, to);
// the reservations are as of now.
//
// Errors: fault.ErrForbidden (a may not see totals: rules.go).
func (s *Service) Figures(ctx context.Context, a Actor, merchantID gid.MerchantID, from, to time.Time) (Figures, error) {
	if !a.MaySeeTotals() {
		return Figures{}, fault.ErrForbidden
	}
	var f Figures
	now := s.now().UTC()
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if err := tx.SelectContext(ctx, &f.Revenue, `
			SELECT currency,
			  coalesce(sum(amount) FILTER (WHERE kind = 'CAPTURE'), 0)::bigint AS captured,
			  coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0)::bigint AS refunded
			FROM payment_ledger WHERE merchant_id = $1 AND occurred_at >= $2 AND occurred_at < $3
			GROUP BY currency ORDER BY currency`, merchantID, from.UTC(), to.UTC()); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &f.Failed, `
			SELECT count(*) FROM payments WHERE merchant_id = $1 AND status = 'FAILED' AND created_at >= $2 AND created_at < $3`,
			merchantID, from.UTC(), to.UTC()); err != nil {
			return err
		}
		var rows []struct {
			Currency string `db:"currency"`
			Count    int    `db:"count"`
			Amount   int64  `db:"amount"`
			Lapsing  int    `db:"lapsing"`
		}
		if err := tx.SelectContext(ctx, &rows, `
			SELECT currency, count(*) AS count, sum(amount_authorized - amount_captured)::bigint AS amount,
			  count(*) FILTER (WHERE capture_before < $2) AS lapsing
			FROM payments
			WHERE merchant_id = $1 AND status IN ('AUTHORIZED', 'PARTIALLY_CAPTURED') AND NOT expired AND NOT voided
			GROUP BY currency ORDER BY currency`, merchantID, now.Add(24*time.Hour)); err != nil {
			return err
		}
		f.Reservations.Amounts = []money.Money{}
		for _, r := range rows {
			f.Reservations.Count += r.Count
			f.Reservations.LapsingWithin24h += r.Lapsing
			f.Reservations.Amounts = append(f.Reservations.Amounts, money.Money{Amount: r.Amount, Currency: r.Currency})
		}
		return nil
	})
	return f, err
}
