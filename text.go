package guanjia

import (
	"strings"
	"unicode"
)

// StripControl drops control and format characters from text people typed or imported (a
// name, a note), keeping line breaks when keepLines: an escape sequence in a name must not
// reach an operator's terminal or a chat as anything but the visible characters around it.
// Tabs become spaces.
func StripControl(s string, keepLines bool) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r == '\n' && keepLines:
			return r
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r) && r != '\u200d':
			return -1
		}
		return r
	}, s)
}
