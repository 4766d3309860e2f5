package money

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFormatterIsBuiltOncePerLocale(t *testing.T) {
	require.Same(t, formatter("sv-SE"), formatter("sv-SE"))
	require.NotSame(t, formatter("sv-SE"), formatter("en"))
}

func TestFormattersStayBounded(t *testing.T) {
	// Locales come from requests and stored preferences: any number of
	// them keeps the cache at its bound, and each still formats.
	for i := range 3 * maxFormatters {
		require.Contains(t, Format(Money{Amount: 123450, Currency: "SEK"}, fmt.Sprintf("en-%03d", i)), "1,234.50")
	}
	n := 0
	formatters.Range(func(any, any) bool { n++; return true })
	require.LessOrEqual(t, n, maxFormatters)
}

func TestFormatConcurrently(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			for range 100 {
				locale := []string{"sv", "en", "de"}[i%3]
				want := map[string]string{"sv": "1\u00a0234,50\u00a0kr", "en": "SEK\u00a01,234.50", "de": "1.234,50\u00a0SEK"}[locale]
				if got := Format(Money{Amount: 123450, Currency: "SEK"}, locale); got != want {
					t.Errorf("%s: %q, want %q", locale, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkFormat(b *testing.B) {
	m := Money{Amount: 123450, Currency: "SEK"}
	for b.Loop() {
		Format(m, "sv")
	}
}
