package outbox

import (
	"strings"
	"unicode/utf8"

	"github.com/guanjia/guanjia/bot"
)

// Split breaks a reply whose text is longer than max characters into several, at line
// boundaries, so nothing is ever cut off; only a single line longer than max is broken
// inside, at a character boundary. Choices and the photo stay with the last part.
func Split(r bot.Reply, max int) []bot.Reply {
	if max <= 0 || utf8.RuneCountInString(r.Text) <= max {
		return []bot.Reply{r}
	}
	var parts []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if curLen > 0 {
			parts = append(parts, cur.String())
			cur.Reset()
			curLen = 0
		}
	}
	for _, line := range strings.Split(r.Text, "\n") {
		for utf8.RuneCountInString(line) > max {
			flush()
			cut := byteIndexOfRune(line, max)
			parts = append(parts, line[:cut])
			line = line[cut:]
		}
		n := utf8.RuneCountInString(line)
		if curLen > 0 && curLen+1+n > max {
			flush()
		}
		if curLen > 0 {
			cur.WriteByte('\n')
			curLen++
		}
		cur.WriteString(line)
		curLen += n
	}
	flush()
	out := make([]bot.Reply, len(parts))
	for i, p := range parts {
		part := r
		part.Text = p
		if i < len(parts)-1 {
			part.Choices, part.Photo = nil, ""
		}
		out[i] = part
	}
	return out
}

// byteIndexOfRune returns the byte offset of the n-th rune of s.
func byteIndexOfRune(s string, n int) int {
	i := 0
	for off := range s {
		if i == n {
			return off
		}
		i++
	}
	return len(s)
}
