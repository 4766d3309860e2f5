package merchants_test

import (
	"errors"
	"fmt"
	"testing"

	"kassa/merchants"
)

func ExampleNormalizeOrganisationNumber() {
	for _, s := range []string{"5560160680", "556016-0680", "16556016-0680", "19121212-1212", "556016-0681", "17556016-0680"} {
		fmt.Println(merchants.NormalizeOrganisationNumber(s))
	}
	// Output:
	// 556016-0680 <nil>
	// 556016-0680 <nil>
	// 556016-0680 <nil>
	// 121212-1212 <nil>
	//  not a Swedish organisation number
	//  not a Swedish organisation number
}

func ExampleNormalizeVATNumber() {
	for _, s := range []string{"se556016068001", "SE 5560 1606 8001", "SE556016068002", "DE123456789", "XX123456789"} {
		fmt.Println(merchants.NormalizeVATNumber(s))
	}
	// Output:
	// SE556016068001 <nil>
	// SE556016068001 <nil>
	//  not an EU VAT number
	// DE123456789 <nil>
	//  not an EU VAT number
}

func TestNormalizePostalCode(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ country, in, want string }{
		{"SE", "11351", "113 51"}, {"SE", "113 51", "113 51"}, {"SE", " 113  51 ", "113 51"},
		{"SE", "01351", ""}, {"SE", "1135", ""}, {"SE", "113515", ""},
		{"DE", "10115", "10115"}, {"GB", "sw1a 1aa", "SW1A 1AA"}, {"NL", "1012-AB", "1012-AB"},
		{"DE", "", ""}, {"DE", "-1", ""}, {"DE", "123456789012345678901", ""},
	} {
		got, err := merchants.NormalizePostalCode(c.country, c.in)
		if c.want == "" {
			if !errors.Is(err, merchants.ErrInvalidPostalCode) {
				t.Errorf("%s %q: got %q, %v; want INVALID_POSTAL_CODE", c.country, c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s %q: got %q, %v; want %q", c.country, c.in, got, err, c.want)
		}
	}
}

// Normalizing is idempotent and what it returns is what the table's
// CHECK constraints take.
func FuzzNormalizeOrganisationAndVATNumber(f *testing.F) {
	for _, s := range []string{"5560160680", "556016-0680", "SE556016068001", "nl857546016b01", "16 556016 0680", "IE1234567FA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := merchants.NormalizeOrganisationNumber(s); err == nil {
			if again, err := merchants.NormalizeOrganisationNumber(n); err != nil || again != n {
				t.Fatalf("%q → %q → %q, %v", s, n, again, err)
			}
			if len(n) != 11 || n[6] != '-' {
				t.Fatalf("%q → %q: not NNNNNN-NNNN", s, n)
			}
		}
		if v, err := merchants.NormalizeVATNumber(s); err == nil {
			if again, err := merchants.NormalizeVATNumber(v); err != nil || again != v {
				t.Fatalf("%q → %q → %q, %v", s, v, again, err)
			}
			if len(v) < 4 || len(v) > 15 {
				t.Fatalf("%q → %q: length out of bounds", s, v)
			}
			for _, r := range v {
				if allowed := r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '*'; !allowed {
					t.Fatalf("%q → %q: %q not allowed", s, v, r)
				}
			}
		}
	})
}
