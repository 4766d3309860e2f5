package luhn

import "testing"

func TestValid(t *testing.T) {
	for _, c := range []struct {
		digits string
		want   bool
	}{
		{"4242424242424242", true},     // a test card
		{"4000000000003220", true},     // the 3-D Secure test card
		{"4242424242424241", false},    // last digit off by one
		{"5560160680", true},           // an organisation number (556016-0680)
		{"5560160681", false},          //
		{"0", true},                    // zero's check digit is 0
		{"", false},                    // nothing is not a number
		{"42424242424242a2", false},    // not only digits
		{"79927398713", true},          // the textbook example
		{"79927398710", false},         //
		{"00000000000000000", true},    // zeros
		{"1234567812345670", true},     //
		{"1234567812345678", false},    //
		{"4111 1111 1111 1111", false}, // spaces are the caller's to strip
	} {
		if got := Valid(c.digits); got != c.want {
			t.Errorf("Valid(%q) = %v, want %v", c.digits, got, c.want)
		}
	}
}
