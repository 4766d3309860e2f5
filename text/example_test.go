package text_test

import (
	"fmt"

	"kassa/text"
)

func ExampleProblem() {
	fmt.Printf("%q\n", text.Problem("Anna Andersson\nStorgatan 1"))
	fmt.Printf("%q\n", text.Problem("Anna\x00"))
	fmt.Printf("%q\n", text.Problem("Anna\x1b[31m"))
	fmt.Printf("%q\n", text.Problem("Anna\xff"))
	// Output:
	// ""
	// "contains a NUL character"
	// "contains the control character U+001B"
	// "is not valid UTF-8"
}

func ExampleClean() {
	fmt.Printf("%q\n", text.Clean("Mozilla/5.0\x00 (X11)\xff", 100))
	fmt.Printf("%q\n", text.Clean("åäö", 5))
	// Output:
	// "Mozilla/5.0 (X11)�"
	// "åä"
}

func ExamplePreferred() {
	fmt.Println(text.Preferred("sv-SE,sv;q=0.9,en;q=0.8"))
	fmt.Println(text.Preferred("de-DE,en-GB;q=0.7"))
	fmt.Printf("%q\n", text.Preferred("de-DE"))
	// Output:
	// sv
	// en
	// ""
}
