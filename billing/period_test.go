package billing_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/billing"
)

func stockholm(y int, m time.Month, d, h int) time.Time {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	return time.Date(y, m, d, h, 0, 0, 0, loc)
}

func ExampleSchedule_Period() {
	s, _ := billing.NewSchedule(stockholm(2027, time.January, 31, 0), billing.Monthly, "Europe/Stockholm")
	loc, _ := time.LoadLocation("Europe/Stockholm")
	for n := 0; n < 4; n++ {
		p := s.Period(n)
		fmt.Println(p.Start.In(loc).Format("2006-01-02 15:04 MST"))
	}
	// Output:
	// 2027-01-31 00:00 CET
	// 2027-02-28 00:00 CET
	// 2027-03-31 00:00 CEST
	// 2027-04-30 00:00 CEST
}

func ExampleSchedule_PeriodAt() {
	s, _ := billing.NewSchedule(stockholm(2026, time.August, 31, 9), billing.Quarterly, "Europe/Stockholm")
	p := s.PeriodAt(stockholm(2027, time.January, 15, 12))
	fmt.Println(p.Index, p)
	// Output:
	// 1 2026-11-30 – 2027-02-28
}

func TestAnchors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		anchor   time.Time
		interval billing.Interval
		want     []string
	}{
		{"MonthlyFrom31st", stockholm(2027, time.January, 31, 0), billing.Monthly,
			[]string{"2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30"}},
		{"MonthlyFrom31stLeapYear", stockholm(2028, time.January, 31, 0), billing.Monthly,
			[]string{"2028-01-31", "2028-02-29", "2028-03-31"}},
		{"QuarterlyFromAug31", stockholm(2026, time.August, 31, 0), billing.Quarterly,
			[]string{"2026-08-31", "2026-11-30", "2027-02-28", "2027-05-31", "2027-08-31"}},
		{"QuarterlyFromAug31Leap", stockholm(2027, time.August, 31, 0), billing.Quarterly,
			[]string{"2027-08-31", "2027-11-30", "2028-02-29", "2028-05-31"}},
		{"SemiannualFrom30th", stockholm(2026, time.August, 30, 0), billing.Semiannual,
			[]string{"2026-08-30", "2027-02-28", "2027-08-30", "2028-02-29"}},
		{"YearlyFromLeapDay", stockholm(2028, time.February, 29, 0), billing.Yearly,
			[]string{"2028-02-29", "2029-02-28", "2030-02-28", "2032-02-29"}},
		{"MonthlyFrom15thAcrossYear", stockholm(2026, time.November, 15, 0), billing.Monthly,
			[]string{"2026-11-15", "2026-12-15", "2027-01-15", "2027-02-15"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := billing.NewSchedule(tc.anchor, tc.interval, "Europe/Stockholm")
			require.NoError(t, err)
			loc, _ := time.LoadLocation("Europe/Stockholm")
			for i, want := range tc.want {
				n := i
				if tc.name == "YearlyFromLeapDay" && i == 3 {
					n = 4
				}
				got := s.Period(n).Start.In(loc).Format("2006-01-02")
				require.Equal(t, want, got, "period %d", n)
				// Periods tile time: each ends where the next starts.
				require.Equal(t, s.Period(n).End, s.Period(n+1).Start)
			}
		})
	}
}

func TestDaylightSaving(t *testing.T) {
	t.Parallel()
	// Local midnight stays local midnight across the March and October
	// changes: the UTC offset moves, the wall clock does not.
	s, err := billing.NewSchedule(stockholm(2027, time.January, 1, 0), billing.Monthly, "Europe/Stockholm")
	require.NoError(t, err)
	loc, _ := time.LoadLocation("Europe/Stockholm")
	for n := 0; n < 24; n++ {
		p := s.Period(n)
		local := p.Start.In(loc)
		require.Equal(t, 0, local.Hour(), "period %d starts %s", n, local)
		require.Equal(t, 1, local.Day())
		require.Equal(t, time.UTC, p.Start.Location())
	}
	mar := s.Period(2) // 1 March 2027 (CET) – 1 April (CEST): 31 days less an hour
	require.Equal(t, 31*24*time.Hour-time.Hour, mar.End.Sub(mar.Start))
	oct := s.Period(9) // 1 October (CEST) – 1 November (CET): 31 days and an hour
	require.Equal(t, 31*24*time.Hour+time.Hour, oct.End.Sub(oct.Start))
}

func TestPeriodAtIsConsistentWithPeriod(t *testing.T) {
	t.Parallel()
	for _, iv := range []billing.Interval{billing.Monthly, billing.Quarterly, billing.Semiannual, billing.Yearly} {
		s, err := billing.NewSchedule(stockholm(2026, time.January, 31, 13), iv, "Europe/Stockholm")
		require.NoError(t, err)
		for n := 0; n < 30; n++ {
			p := s.Period(n)
			require.Equal(t, n, s.PeriodAt(p.Start).Index, "%s start of %d", iv, n)
			require.Equal(t, n, s.PeriodAt(p.End.Add(-time.Nanosecond)).Index, "%s end of %d", iv, n)
			require.Equal(t, n, s.PeriodAt(p.Start.Add(p.End.Sub(p.Start)/2)).Index)
		}
	}
}
