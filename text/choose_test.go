package text_test

import (
	"testing"

	"kassa/text"
)

func TestChooseLanguage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                           string
		user, acceptLanguage, merchant string
		want                           string
	}{
		{"PersonsChoiceWinsOverBrowser", "en", "sv-SE,sv;q=0.9", "sv", "en"},
		{"PersonsChoiceWinsOverMerchant", "sv", "", "en", "sv"},
		{"BrowserWhenNoChoice", "", "en-GB,en;q=0.9", "sv", "en"},
		{"BrowserSwedish", "", "sv-SE", "en", "sv"},
		{"BrowserFirstLanguageKassaSpeaks", "", "de-DE,fr;q=0.9,en;q=0.8,sv;q=0.7", "sv", "en"},
		{"MerchantWhenBrowserSpeaksNeither", "", "de-DE,fr;q=0.9", "en", "en"},
		{"MerchantWhenNoBrowserHeader", "", "", "en", "en"},
		{"SwedishWhenNothingKnown", "", "", "", "sv"},
		{"UnknownChoiceIgnored", "fi", "en", "sv", "en"},
		{"UnknownMerchantLanguageIgnored", "", "", "de", "sv"},
		{"ChoiceInUpperCase", "EN", "sv", "sv", "en"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := text.ChooseLanguage(c.user, c.acceptLanguage, c.merchant); got != c.want {
				t.Errorf("ChooseLanguage(%q, %q, %q) = %q, want %q", c.user, c.acceptLanguage, c.merchant, got, c.want)
			}
		})
	}
}
