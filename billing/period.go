package billing

import (
	"fmt"
	"time"
)

// Interval is how often a plan bills.
type Interval string

// The intervals a plan can bill at.
const (
	Monthly    Interval = "MONTHLY"
	Quarterly  Interval = "QUARTERLY"
	Semiannual Interval = "SEMIANNUAL"
	Yearly     Interval = "YEARLY"
)

// Months is the length of the interval in calendar months.
func (i Interval) Months() int {
	switch i {
	case Monthly:
		return 1
	case Quarterly:
		return 3
	case Semiannual:
		return 6
	case Yearly:
		return 12
	}
	return 0
}

// Valid reports whether i is known.
func (i Interval) Valid() bool { return i.Months() > 0 }

// every words how often i charges, in lang ("varje månad", "every month").
func (i Interval) every(lang string) string {
	sv := map[Interval]string{Monthly: "varje månad", Quarterly: "varje kvartal", Semiannual: "varje halvår", Yearly: "varje år"}
	en := map[Interval]string{Monthly: "every month", Quarterly: "every quarter", Semiannual: "every half-year", Yearly: "every year"}
	if lang == "en" {
		return en[i]
	}
	return sv[i]
}

// Period is a half-open billing period [Start, End).
type Period struct {
	Index int // 0 for the first period
	Start time.Time
	End   time.Time
}

func (p Period) String() string {
	return fmt.Sprintf("%s – %s", p.Start.Format("2006-01-02"), p.End.Format("2006-01-02"))
}

// Schedule computes a subscription's periods. Periods keep their anchor:
// a subscription started on the 31st bills on the last day of shorter
// months and returns to the 31st when the month has one (Jan 31 → Feb 28
// or 29 → Mar 31 → Apr 30). Periods are computed in the merchant's time
// zone, so "the 1st at 00:00" stays local midnight across daylight-saving
// changes, and stored in UTC.
type Schedule struct {
	Anchor   time.Time // the first period's start
	Interval Interval
	Location *time.Location
}

// NewSchedule returns the schedule of a subscription starting at anchor in
// the time zone tz (e.g. "Europe/Stockholm").
func NewSchedule(anchor time.Time, interval Interval, tz string) (Schedule, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Schedule{}, fmt.Errorf("billing: time zone %q: %w", tz, err)
	}
	if !interval.Valid() {
		return Schedule{}, fmt.Errorf("billing: unknown interval %q", interval)
	}
	return Schedule{Anchor: anchor.In(loc), Interval: interval, Location: loc}, nil
}

// boundary is the start of period n: the anchor's day of month (clamped to
// the month's last day) and wall-clock time, n intervals later.
func (s Schedule) boundary(n int) time.Time {
	a := s.Anchor
	months := int(a.Month()) - 1 + n*s.Interval.Months()
	year := a.Year() + months/12
	month := time.Month(months%12 + 1)
	if months < 0 {
		year = a.Year() + (months-11)/12
		month = time.Month((months%12+12)%12 + 1)
	}
	day := min(a.Day(), daysIn(year, month))
	return time.Date(year, month, day, a.Hour(), a.Minute(), a.Second(), a.Nanosecond(), s.Location)
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Period returns period n.
func (s Schedule) Period(n int) Period {
	return Period{Index: n, Start: s.boundary(n).UTC(), End: s.boundary(n + 1).UTC()}
}

// PeriodAt returns the period containing t (t before the anchor gives
// period 0).
func (s Schedule) PeriodAt(t time.Time) Period {
	if t.Before(s.Anchor) {
		return s.Period(0)
	}
	// Estimate from the months elapsed, then step to the right period.
	lt := t.In(s.Location)
	n := ((lt.Year()-s.Anchor.Year())*12 + int(lt.Month()) - int(s.Anchor.Month())) / s.Interval.Months()
	for n > 0 && s.boundary(n).After(t) {
		n--
	}
	for !s.boundary(n + 1).After(t) {
		n++
	}
	return s.Period(n)
}
