// Package luhn holds the Luhn (mod 10) check digit, which card numbers and
// Swedish organisation and personal identity numbers carry: one home for
// it, so a fix or a faster version reaches card validation, the card
// processor simulator and merchant details alike.
package luhn

// Valid reports whether the last digit of digits is the Luhn check digit of
// the ones before it. digits must hold only the ASCII digits 0–9 (callers
// strip spaces and dashes and check that first); an empty string is not
// valid.
func Valid(digits string) bool {
	if digits == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
