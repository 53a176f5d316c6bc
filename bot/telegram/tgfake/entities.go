package tgfake

import (
	"unicode/utf16"

	"github.com/go-telegram/bot/models"
)

// entities finds what Telegram marks in a text a person sends: commands ("/repair",
// "/repair@guanjia_bot") and mentions ("@guanjia_bot"). Offsets and lengths count UTF-16 code
// units, as in the Bot API, so Chinese text before an entity shifts it as it does there.
func entities(text string) []models.MessageEntity {
	rs := []rune(text)
	var out []models.MessageEntity
	prevWord := false
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if (r == '/' || r == '@') && !prevWord {
			j := i + 1
			for j < len(rs) && isWord(rs[j]) {
				j++
			}
			typ := models.MessageEntityTypeMention
			if r == '/' {
				typ = models.MessageEntityTypeBotCommand
				if j < len(rs) && rs[j] == '@' {
					k := j + 1
					for k < len(rs) && isWord(rs[k]) {
						k++
					}
					if k-j-1 >= 5 {
						j = k
					}
				}
			}
			name := j - i - 1
			if (typ == models.MessageEntityTypeBotCommand && name >= 1) || (typ == models.MessageEntityTypeMention && name >= 5) {
				out = append(out, models.MessageEntity{Type: typ, Offset: u16len(rs[:i]), Length: u16len(rs[i:j])})
				i = j - 1
				prevWord = true
				continue
			}
		}
		prevWord = isWord(r)
	}
	return out
}

func isWord(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func u16len(rs []rune) int { return len(utf16.Encode(rs)) }
