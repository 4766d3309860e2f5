package merchants

import (
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // time zones are checked the same on every machine, with or without the system's zoneinfo
	"unicode/utf8"

	"kassa/fault"
	"kassa/luhn"
)

// Error codes of the merchant's details. Compare with errors.Is.
var (
	ErrInvalidOrganisationNumber = &fault.Error{Code: fault.Define("INVALID_ORGANISATION_NUMBER",
		"The organisation number is not a valid Swedish organisation number."), Message: "not a Swedish organisation number"}
	ErrInvalidVATNumber = &fault.Error{Code: fault.Define("INVALID_VAT_NUMBER",
		"The VAT number is not an EU VAT number."), Message: "not an EU VAT number"}
	ErrInvalidTimeZone = &fault.Error{Code: fault.Define("INVALID_TIME_ZONE",
		"The time zone is not an IANA time zone name."), Message: "not an IANA time zone"}
	ErrInvalidCountry = &fault.Error{Code: fault.Define("INVALID_COUNTRY",
		"The country is not an ISO 3166-1 alpha-2 code."), Message: "not an ISO 3166-1 alpha-2 country code"}
	ErrInvalidPostalCode = &fault.Error{Code: fault.Define("INVALID_POSTAL_CODE",
		"The postal code is not a postal code of the country."), Message: "not a postal code"}
)

// NormalizeOrganisationNumber returns a Swedish organisationsnummer as
// NNNNNN-NNNN. It takes ten digits with or without the hyphen and spaces,
// or twelve with the prefix 16 that some registers write (or 19/20: a sole
// trader's number is their personnummer, often written with the century),
// and checks the last digit (Luhn, as Bolagsverket computes it).
//
// Errors: ErrInvalidOrganisationNumber.
func NormalizeOrganisationNumber(s string) (string, error) {
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len(digits) == 12 && (strings.HasPrefix(digits, "16") || strings.HasPrefix(digits, "19") || strings.HasPrefix(digits, "20")) {
		digits = digits[2:]
	}
	if len(digits) != 10 || !allDigits(digits) || !luhn.Valid(digits) {
		return "", ErrInvalidOrganisationNumber
	}
	return digits[:6] + "-" + digits[6:], nil
}

// euVAT is the format of each EU member state's VAT number after its
// prefix (the European Commission's VIES formats; Greece is EL, Northern
// Ireland XI). Sweden's is checked more strictly by NormalizeVATNumber.
var euVAT = map[string]*regexp.Regexp{
	"AT": regexp.MustCompile(`^U[0-9]{8}$`),
	"BE": regexp.MustCompile(`^[01][0-9]{9}$`),
	"BG": regexp.MustCompile(`^[0-9]{9,10}$`),
	"CY": regexp.MustCompile(`^[0-9]{8}[A-Z]$`),
	"CZ": regexp.MustCompile(`^[0-9]{8,10}$`),
	"DE": regexp.MustCompile(`^[0-9]{9}$`),
	"DK": regexp.MustCompile(`^[0-9]{8}$`),
	"EE": regexp.MustCompile(`^[0-9]{9}$`),
	"EL": regexp.MustCompile(`^[0-9]{9}$`),
	"ES": regexp.MustCompile(`^[0-9A-Z][0-9]{7}[0-9A-Z]$`),
	"FI": regexp.MustCompile(`^[0-9]{8}$`),
	"FR": regexp.MustCompile(`^[0-9A-Z]{2}[0-9]{9}$`),
	"HR": regexp.MustCompile(`^[0-9]{11}$`),
	"HU": regexp.MustCompile(`^[0-9]{8}$`),
	"IE": regexp.MustCompile(`^([0-9]{7}[A-Z]{1,2}|[0-9][A-Z+*][0-9]{5}[A-Z])$`),
	"IT": regexp.MustCompile(`^[0-9]{11}$`),
	"LT": regexp.MustCompile(`^([0-9]{9}|[0-9]{12})$`),
	"LU": regexp.MustCompile(`^[0-9]{8}$`),
	"LV": regexp.MustCompile(`^[0-9]{11}$`),
	"MT": regexp.MustCompile(`^[0-9]{8}$`),
	"NL": regexp.MustCompile(`^[0-9]{9}B[0-9]{2}$`),
	"PL": regexp.MustCompile(`^[0-9]{10}$`),
	"PT": regexp.MustCompile(`^[0-9]{9}$`),
	"RO": regexp.MustCompile(`^[0-9]{2,10}$`),
	"SI": regexp.MustCompile(`^[0-9]{8}$`),
	"SK": regexp.MustCompile(`^[0-9]{10}$`),
	"XI": regexp.MustCompile(`^([0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3})$`),
}

// NormalizeVATNumber returns an EU VAT number in upper case without spaces,
// dots or hyphens. A Swedish one is SE, the ten digits of an organisation
// number (check digit verified) and 01; another member state's must have
// that state's format.
//
// Errors: ErrInvalidVATNumber.
func NormalizeVATNumber(s string) (string, error) {
	v := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '.' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
	if len(v) < 4 || len(v) > 15 {
		return "", ErrInvalidVATNumber
	}
	prefix, rest := v[:2], v[2:]
	if prefix == "SE" {
		if len(rest) != 12 || !allDigits(rest) || !strings.HasSuffix(rest, "01") || !luhn.Valid(rest[:10]) {
			return "", ErrInvalidVATNumber
		}
		return v, nil
	}
	if re, ok := euVAT[prefix]; ok && re.MatchString(rest) {
		return v, nil
	}
	return "", ErrInvalidVATNumber
}

// ValidTimeZone reports whether tz names an IANA time zone ("Local" and ""
// are not names).
func ValidTimeZone(tz string) bool {
	if tz == "" || tz == "Local" || len(tz) > 100 {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}

// countries are the officially assigned ISO 3166-1 alpha-2 codes.
var countries = func() map[string]bool {
	const codes = `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
		CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
		GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP
		KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT
		MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
		SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
		UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`
	m := map[string]bool{}
	for _, c := range strings.Fields(codes) {
		m[c] = true
	}
	return m
}()

// NormalizeCountry returns an ISO 3166-1 alpha-2 code in upper case.
//
// Errors: ErrInvalidCountry.
func NormalizeCountry(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if !countries[c] {
		return "", ErrInvalidCountry
	}
	return c, nil
}

var postalCode = regexp.MustCompile(`^[0-9A-Z][0-9A-Z -]{0,18}[0-9A-Z]$|^[0-9A-Z]$`)

// NormalizePostalCode returns the postal code of an address in country: a
// Swedish one as "NNN NN" (five digits, with or without the space);
// another country's as given, in upper case, when it is 1 to 20 letters,
// digits, spaces and hyphens.
//
// Errors: ErrInvalidPostalCode.
func NormalizePostalCode(country, s string) (string, error) {
	p := strings.Join(strings.Fields(strings.ToUpper(s)), " ")
	if country == "SE" {
		d := strings.ReplaceAll(p, " ", "")
		if len(d) != 5 || !allDigits(d) || d[0] == '0' {
			return "", ErrInvalidPostalCode
		}
		return d[:3] + " " + d[3:], nil
	}
	if !postalCode.MatchString(p) {
		return "", ErrInvalidPostalCode
	}
	return p, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// oneLine checks a short text of one line: 1 to max characters.
func oneLine(s string, max int) bool {
	return s != "" && utf8.RuneCountInString(s) <= max && !strings.ContainsAny(s, "\r\n\t")
}
