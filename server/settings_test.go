package server_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

const updateMerchant = `mutation($input: UpdateMerchantInput!) { updateMerchant(input: $input) {
	merchant { id name legalName organisationNumber vatNumber timeZone locale
	  address { line1 line2 postalCode city country } }
	userErrors { field message code } } }`

type merchantDetails struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	LegalName          *string `json:"legalName"`
	OrganisationNumber *string `json:"organisationNumber"`
	VATNumber          *string `json:"vatNumber"`
	TimeZone           string  `json:"timeZone"`
	Locale             string  `json:"locale"`
	Address            *struct {
		Line1      string  `json:"line1"`
		Line2      *string `json:"line2"`
		PostalCode string  `json:"postalCode"`
		City       string  `json:"city"`
		Country    string  `json:"country"`
	} `json:"address"`
}

type updateMerchantResult struct {
	UpdateMerchant struct {
		Merchant   *merchantDetails      `json:"merchant"`
		UserErrors []kassatest.UserError `json:"userErrors"`
	} `json:"updateMerchant"`
}

// merchantRow is the merchant's row as stored, to prove what did (not)
// change.
func merchantRow(t *testing.T, e *kassatest.Env) string {
	t.Helper()
	var row string
	require.NoError(t, e.SQL.Get(&row, `SELECT row_to_json(m)::text FROM merchants m WHERE id = $1`, e.Merchant.Merchant.ID))
	return row
}

func addressInput(line1, postalCode, city, country string) map[string]any {
	return map[string]any{"line1": line1, "postalCode": postalCode, "city": city, "country": country}
}

func TestUpdateMerchant(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	admin := e.AddStaff(t, "Ada Admin", "ada@snickeri.test", auth.RoleAdmin)
	sales := e.AddStaff(t, "Sam Sales", "sam@snickeri.test", auth.RoleSales)
	audits := func() int {
		return e.Count(t, `SELECT count(*) FROM audit_events WHERE action = 'merchant.updated'`)
	}

	t.Run("InvalidFieldChangesNothing", func(t *testing.T) {
		cases := []struct {
			name  string
			input map[string]any
			code  string
			field []string
		}{
			{"EmptyName", map[string]any{"name": "  "}, "INVALID_NAME", []string{"input", "name"}},
			{"TwoLineLegalName", map[string]any{"legalName": "Snickeri\nNord AB"}, "INVALID_LEGAL_NAME", []string{"input", "legalName"}},
			{"OrganisationNumberBadCheckDigit", map[string]any{"organisationNumber": "556016-0681"}, "INVALID_ORGANISATION_NUMBER", []string{"input", "organisationNumber"}},
			{"OrganisationNumberTooShort", map[string]any{"organisationNumber": "55601606"}, "INVALID_ORGANISATION_NUMBER", []string{"input", "organisationNumber"}},
			{"OrganisationNumberLetters", map[string]any{"organisationNumber": "55601A-0680"}, "INVALID_ORGANISATION_NUMBER", []string{"input", "organisationNumber"}},
			{"SwedishVATWithoutSuffix01", map[string]any{"vatNumber": "SE556016068002"}, "INVALID_VAT_NUMBER", []string{"input", "vatNumber"}},
			{"SwedishVATBadCheckDigit", map[string]any{"vatNumber": "SE556016068101"}, "INVALID_VAT_NUMBER", []string{"input", "vatNumber"}},
			{"SwedishVATTooShort", map[string]any{"vatNumber": "SE55601606801"}, "INVALID_VAT_NUMBER", []string{"input", "vatNumber"}},
			{"GermanVATWrongLength", map[string]any{"vatNumber": "DE12345678"}, "INVALID_VAT_NUMBER", []string{"input", "vatNumber"}},
			{"NonEUPrefix", map[string]any{"vatNumber": "US123456789"}, "INVALID_VAT_NUMBER", []string{"input", "vatNumber"}},
			{"UnknownTimeZone", map[string]any{"timeZone": "Europe/Gothenburg"}, "INVALID_TIME_ZONE", []string{"input", "timeZone"}},
			{"LocalTimeZone", map[string]any{"timeZone": "Local"}, "INVALID_TIME_ZONE", []string{"input", "timeZone"}},
			{"PathAsTimeZone", map[string]any{"timeZone": "../../etc/passwd"}, "INVALID_TIME_ZONE", []string{"input", "timeZone"}},
			{"UnknownCountry", map[string]any{"address": addressInput("Storgatan 1", "113 51", "Stockholm", "XX")}, "INVALID_COUNTRY", []string{"input", "address", "country"}},
			{"CountryName", map[string]any{"address": addressInput("Storgatan 1", "113 51", "Stockholm", "Sweden")}, "INVALID_COUNTRY", []string{"input", "address", "country"}},
			{"SwedishPostalCodeTooShort", map[string]any{"address": addressInput("Storgatan 1", "1135", "Stockholm", "SE")}, "INVALID_POSTAL_CODE", []string{"input", "address", "postalCode"}},
			{"SwedishPostalCodeLetters", map[string]any{"address": addressInput("Storgatan 1", "11A 51", "Stockholm", "SE")}, "INVALID_POSTAL_CODE", []string{"input", "address", "postalCode"}},
			{"ForeignPostalCodeSymbols", map[string]any{"address": addressInput("Hauptstraße 1", "10115!", "Berlin", "DE")}, "INVALID_POSTAL_CODE", []string{"input", "address", "postalCode"}},
			{"EmptyAddressLine", map[string]any{"address": addressInput("", "113 51", "Stockholm", "SE")}, "INVALID_ADDRESS", []string{"input", "address", "line1"}},
			{"EmptyCity", map[string]any{"address": addressInput("Storgatan 1", "113 51", " ", "SE")}, "INVALID_CITY", []string{"input", "address", "city"}},
			// A valid field beside an invalid one is not kept either.
			{"ValidBesideInvalid", map[string]any{"name": "Nytt Namn AB", "legalName": "Nytt Namn Aktiebolag", "vatNumber": "SE123"},
				"INVALID_VAT_NUMBER", []string{"input", "vatNumber"}},
		}
		before, auditsBefore := merchantRow(t, e), audits()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var out updateMerchantResult
				e.GraphQL(t, updateMerchant, map[string]any{"input": c.input}).Decode(t, &out)
				require.Nil(t, out.UpdateMerchant.Merchant)
				require.Len(t, out.UpdateMerchant.UserErrors, 1)
				ue := out.UpdateMerchant.UserErrors[0]
				require.Equal(t, c.code, ue.Code, ue.Message)
				require.Equal(t, c.field, ue.Field)
				require.NotEmpty(t, ue.Message)
				require.Equal(t, before, merchantRow(t, e), "an invalid update changed the merchant")
			})
		}
		require.Equal(t, auditsBefore, audits(), "a refused update is on the audit trail")
	})

	t.Run("ValidUpdateIsNormalizedAndAudited", func(t *testing.T) {
		var out updateMerchantResult
		e.GraphQL(t, updateMerchant, map[string]any{"input": map[string]any{
			"name": "  Snickeri Nord  ", "legalName": "Snickeri Nord AB", "organisationNumber": "5560160680",
			"vatNumber": "se 5560 1606 8001", "timeZone": "Europe/Helsinki", "locale": "en",
			"address": map[string]any{"line1": "Storgatan 1", "line2": "c/o Olga", "postalCode": "11351", "city": "Stockholm", "country": "se"},
		}}).Decode(t, &out)
		require.Empty(t, out.UpdateMerchant.UserErrors)
		m := out.UpdateMerchant.Merchant
		require.NotNil(t, m)
		require.Equal(t, "Snickeri Nord", m.Name)
		require.Equal(t, "Snickeri Nord AB", *m.LegalName)
		require.Equal(t, "556016-0680", *m.OrganisationNumber)
		require.Equal(t, "SE556016068001", *m.VATNumber)
		require.Equal(t, "Europe/Helsinki", m.TimeZone)
		require.Equal(t, "en", m.Locale)
		require.NotNil(t, m.Address)
		require.Equal(t, "Storgatan 1", m.Address.Line1)
		require.Equal(t, "c/o Olga", *m.Address.Line2)
		require.Equal(t, "113 51", m.Address.PostalCode)
		require.Equal(t, "Stockholm", m.Address.City)
		require.Equal(t, "SE", m.Address.Country)

		// Read back through the viewer: the change is stored.
		var v struct {
			Viewer struct{ Merchant merchantDetails } `json:"viewer"`
		}
		e.Query(t, `{ viewer { merchant { id name legalName organisationNumber vatNumber timeZone locale
			address { line1 line2 postalCode city country } } } }`, nil, &v)
		require.Equal(t, *m, v.Viewer.Merchant)

		// On the trail, by the API key, naming what changed.
		var detail string
		require.NoError(t, e.SQL.Get(&detail, `SELECT detail FROM audit_events WHERE action = 'merchant.updated' AND actor_api_key = $1`,
			e.Merchant.APIKey.ID))
		require.Equal(t, "changed address, legalName, locale, name, organisationNumber, timeZone, vatNumber", detail)
	})

	t.Run("OnlyGivenFieldsChange", func(t *testing.T) {
		var out updateMerchantResult
		e.GraphQL(t, updateMerchant, map[string]any{"input": map[string]any{"legalName": "Snickeri Nord Aktiebolag"}}).Decode(t, &out)
		require.Empty(t, out.UpdateMerchant.UserErrors)
		m := out.UpdateMerchant.Merchant
		require.Equal(t, "Snickeri Nord Aktiebolag", *m.LegalName)
		require.Equal(t, "Snickeri Nord", m.Name)
		require.Equal(t, "556016-0680", *m.OrganisationNumber)
		require.Equal(t, "SE556016068001", *m.VATNumber)
		require.Equal(t, "Europe/Helsinki", m.TimeZone)
		require.Equal(t, "113 51", m.Address.PostalCode)
	})

	t.Run("OtherEUVATNumberByFormat", func(t *testing.T) {
		for in, want := range map[string]string{"DE123456789": "DE123456789", "nl 8575.46.016.B01": "NL857546016B01", "FI-12345678": "FI12345678"} {
			var out updateMerchantResult
			e.GraphQL(t, updateMerchant, map[string]any{"input": map[string]any{"vatNumber": in}}).Decode(t, &out)
			require.Empty(t, out.UpdateMerchant.UserErrors, in)
			require.Equal(t, want, *out.UpdateMerchant.Merchant.VATNumber)
		}
	})

	t.Run("NullRemovesAnOptionalDetail", func(t *testing.T) {
		var out updateMerchantResult
		e.GraphQL(t, updateMerchant, map[string]any{"input": map[string]any{"vatNumber": nil, "address": nil}}).Decode(t, &out)
		require.Empty(t, out.UpdateMerchant.UserErrors)
		m := out.UpdateMerchant.Merchant
		require.Nil(t, m.VATNumber)
		require.Nil(t, m.Address)
		require.Equal(t, "556016-0680", *m.OrganisationNumber, "a detail left out was removed")
		require.Zero(t, e.Count(t, `SELECT count(*) FROM merchants WHERE id = $1 AND (postal_code IS NOT NULL OR address_line1 IS NOT NULL OR country IS NOT NULL)`,
			e.Merchant.Merchant.ID))
	})

	t.Run("ForeignAddress", func(t *testing.T) {
		var out updateMerchantResult
		e.GraphQL(t, updateMerchant, map[string]any{"input": map[string]any{
			"address": addressInput("Hauptstraße 1", "10115", "Berlin", "DE")}}).Decode(t, &out)
		require.Empty(t, out.UpdateMerchant.UserErrors)
		require.Equal(t, "10115", out.UpdateMerchant.Merchant.Address.PostalCode)
		require.Nil(t, out.UpdateMerchant.Merchant.Address.Line2)
	})

	t.Run("Roles", func(t *testing.T) {
		for _, c := range []struct {
			who   kassatest.Staff
			allow bool
		}{{e.Owner, true}, {admin, true}, {sales, false}} {
			t.Run(string(c.who.Role), func(t *testing.T) {
				b := e.Login(t, c.who)
				before, auditsBefore := merchantRow(t, e), audits()
				name := "Namn satt av " + c.who.Name
				r := e.GraphQLAs(t, b, updateMerchant, map[string]any{"input": map[string]any{"name": name}})
				if !c.allow {
					require.Equal(t, "FORBIDDEN", r.Code(), "%s", r.Raw)
					require.Equal(t, before, merchantRow(t, e))
					require.Equal(t, auditsBefore, audits())
					return
				}
				var out updateMerchantResult
				r.Decode(t, &out)
				require.Empty(t, out.UpdateMerchant.UserErrors)
				require.Equal(t, name, out.UpdateMerchant.Merchant.Name)
				require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM audit_events WHERE action = 'merchant.updated' AND actor_user = $1`, c.who.ID))
			})
		}
	})

	t.Run("AnotherMerchantIsUntouched", func(t *testing.T) {
		other, key := e.NewMerchant(t, "Annan Butik AB")
		var out updateMerchantResult
		e.QueryKey(t, key, updateMerchant, map[string]any{"input": map[string]any{"legalName": "Annan Butik Aktiebolag"}}, &out)
		require.Empty(t, out.UpdateMerchant.UserErrors)
		require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM merchants WHERE legal_name = 'Annan Butik Aktiebolag' AND id = $1`, other.Merchant.ID))
		require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM merchants WHERE legal_name = 'Snickeri Nord Aktiebolag'`))
	})
}

const updateMyPreferences = `mutation($input: UpdateMyPreferencesInput!) { updateMyPreferences(input: $input) {
	user { id locale } userErrors { field message code } } }`

type preferencesResult struct {
	UpdateMyPreferences struct {
		User *struct {
			ID     string  `json:"id"`
			Locale *string `json:"locale"`
		} `json:"user"`
		UserErrors []kassatest.UserError `json:"userErrors"`
	} `json:"updateMyPreferences"`
}

func TestUpdateMyPreferences(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	sales := e.AddStaff(t, "Sam Sales", "sam@snickeri.test", auth.RoleSales)
	b := e.Login(t, sales)
	owner := e.Login(t, e.Owner)

	viewerLocale := func(b *kassatest.Browser) *string {
		var v struct {
			Viewer struct {
				User struct {
					Locale *string `json:"locale"`
				} `json:"user"`
			} `json:"viewer"`
		}
		e.GraphQLAs(t, b, `{ viewer { user { locale } } }`, nil).Decode(t, &v)
		return v.Viewer.User.Locale
	}
	// principalLocale is what the page layer gets: the session's principal.
	principalLocale := func(b *kassatest.Browser) string {
		u, err := url.Parse(e.URL)
		require.NoError(t, err)
		for _, c := range b.Client.Jar.Cookies(u) {
			if c.Name == auth.SessionCookie {
				p, err := e.Server.Auth().AuthenticateSession(context.Background(), c.Value)
				require.NoError(t, err)
				return p.Locale
			}
		}
		t.Fatal("no session cookie")
		return ""
	}

	require.Nil(t, viewerLocale(b), "a person who never chose has no language")
	require.Equal(t, "", principalLocale(b))

	t.Run("ChooseEnglish", func(t *testing.T) {
		var out preferencesResult
		e.GraphQLAs(t, b, updateMyPreferences, map[string]any{"input": map[string]any{"locale": "en"}}).Decode(t, &out)
		require.Empty(t, out.UpdateMyPreferences.UserErrors)
		require.Equal(t, sales.GlobalID, out.UpdateMyPreferences.User.ID)
		require.Equal(t, "en", *out.UpdateMyPreferences.User.Locale)
		require.Equal(t, "en", *viewerLocale(b))
		require.Equal(t, "en", principalLocale(b))
		require.Nil(t, viewerLocale(owner), "another person's choice changed")
		require.Equal(t, "", principalLocale(owner))
	})

	t.Run("LeftOutKeepsTheChoice", func(t *testing.T) {
		var out preferencesResult
		e.GraphQLAs(t, b, updateMyPreferences, map[string]any{"input": map[string]any{}}).Decode(t, &out)
		require.Empty(t, out.UpdateMyPreferences.UserErrors)
		require.Equal(t, "en", *out.UpdateMyPreferences.User.Locale)
	})

	t.Run("NullForgetsTheChoice", func(t *testing.T) {
		var out preferencesResult
		e.GraphQLAs(t, b, updateMyPreferences, map[string]any{"input": map[string]any{"locale": nil}}).Decode(t, &out)
		require.Empty(t, out.UpdateMyPreferences.UserErrors)
		require.Nil(t, out.UpdateMyPreferences.User.Locale)
		require.Nil(t, viewerLocale(b))
		require.Equal(t, "", principalLocale(b))
	})

	t.Run("UnknownLanguageIsRefused", func(t *testing.T) {
		r := e.GraphQLAs(t, b, updateMyPreferences, map[string]any{"input": map[string]any{"locale": "fi"}})
		require.NotEmpty(t, r.Errors, "%s", r.Raw)
		require.Nil(t, viewerLocale(b))
	})

	t.Run("APIKeyIsNotAPerson", func(t *testing.T) {
		var out preferencesResult
		e.Query(t, updateMyPreferences, map[string]any{"input": map[string]any{"locale": "en"}}, &out)
		require.Nil(t, out.UpdateMyPreferences.User)
		require.Equal(t, []string{"NOT_A_PERSON"}, kassatest.Codes(out.UpdateMyPreferences.UserErrors))
		require.Zero(t, e.Count(t, `SELECT count(*) FROM users WHERE locale IS NOT NULL`))
	})
}
