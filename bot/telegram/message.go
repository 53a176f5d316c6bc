package telegram

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"github.com/guanjia/guanjia/bot"
)

// message maps a Telegram message to the channel-neutral one. Messages from bots, commands
// addressed to another bot and messages with neither text nor photo are not delivered.
func (c *Channel) message(updateID int64, m *models.Message) (bot.Message, bool) {
	if m.From == nil || m.From.IsBot {
		return bot.Message{}, false
	}
	text, ents := m.Text, m.Entities
	if text == "" {
		text, ents = m.Caption, m.CaptionEntities
	}
	out := bot.Message{
		Channel:    Name,
		ID:         itoa(updateID),
		ChatID:     itoa(m.Chat.ID),
		Group:      m.Chat.Type != models.ChatTypePrivate,
		SenderID:   itoa(m.From.ID),
		SenderName: displayName(m.From),
		Photo:      largestPhoto(m.Photo),
		At:         time.Unix(int64(m.Date), 0),
	}
	out.ChatName = out.SenderName
	if out.Group {
		out.ChatName = m.Chat.Title
	}
	out.Mentioned = c.mentioned(m, text, ents)
	if r := m.ReplyToMessage; r != nil {
		out.Quote = r.Text
		if out.Quote == "" {
			out.Quote = r.Caption
		}
	}
	// A command first, as "/cmd@<bot>" holds a mention; then one that followed a mention.
	text, ok := c.command(text)
	if ok {
		text, ok = c.command(c.stripMentions(text))
	}
	if !ok {
		return bot.Message{}, false
	}
	out.Text = text
	return out, out.Text != "" || out.Photo != ""
}

// command is a bot command at the start of a message: "/repair", "/repair@guanjia_bot".
var command = regexp.MustCompile(`^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,32}))?(?:\s+|$)`)

// command normalises "/cmd@ourbot args" to "/cmd args" and reports false for a command
// addressed to another bot. Anything not starting with a command is plain text.
func (c *Channel) command(text string) (string, bool) {
	text = strings.TrimSpace(text)
	m := command.FindStringSubmatchIndex(text)
	if m == nil {
		return text, true
	}
	if m[4] >= 0 && !strings.EqualFold(text[m[4]:m[5]], c.username) {
		return "", false
	}
	cmd, rest := text[m[2]-1:m[3]], strings.TrimSpace(text[m[1]:])
	if rest == "" {
		return cmd, true
	}
	return cmd + " " + rest, true
}

// mentioned reports whether the message addresses the bot: "@<bot>" in the text or its
// entities, a text mention of the bot, or a reply to one of the bot's messages.
func (c *Channel) mentioned(m *models.Message, text string, ents []models.MessageEntity) bool {
	if r := m.ReplyToMessage; r != nil && r.From != nil && r.From.ID == c.botID {
		return true
	}
	for _, e := range ents {
		switch e.Type {
		case models.MessageEntityTypeTextMention:
			if e.User != nil && e.User.ID == c.botID {
				return true
			}
		case models.MessageEntityTypeMention, models.MessageEntityTypeBotCommand:
			if len(c.mentionSpans(entityText(text, e))) > 0 {
				return true
			}
		}
	}
	return len(c.mentionSpans(text)) > 0
}

// mentionSpans finds "@<bot>" in text, case-insensitively and not as the start of a longer
// name, as byte ranges.
func (c *Channel) mentionSpans(text string) [][2]int {
	at := "@" + strings.ToLower(c.username)
	lower := asciiLower(text)
	var spans [][2]int
	for i := 0; ; {
		j := strings.Index(lower[i:], at)
		if j < 0 {
			return spans
		}
		start, end := i+j, i+j+len(at)
		if end == len(text) || !isNameByte(text[end]) {
			spans = append(spans, [2]int{start, end})
		}
		i = end
	}
}

// stripMentions takes "@<bot>" out of the text, with the spaces after it, so that flows see
// the same words as on other channels.
func (c *Channel) stripMentions(text string) string {
	spans := c.mentionSpans(text)
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, s := range spans {
		b.WriteString(text[last:s[0]])
		last = s[1]
		for last < len(text) && text[last] == ' ' {
			last++
		}
	}
	b.WriteString(text[last:])
	return strings.TrimSpace(b.String())
}

// asciiLower lowers A-Z only, so byte offsets stay those of text.
func asciiLower(text string) string {
	b := []byte(text)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func isNameByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// entityText returns the part of text an entity covers; the Bot API counts UTF-16 units.
func entityText(text string, e models.MessageEntity) string {
	u := utf16.Encode([]rune(text))
	if e.Offset < 0 || e.Length < 0 || e.Offset+e.Length > len(u) {
		return ""
	}
	return string(utf16.Decode(u[e.Offset : e.Offset+e.Length]))
}

// displayName is how the person shows in Telegram.
func displayName(u *models.User) string {
	if name := strings.TrimSpace(u.FirstName + " " + u.LastName); name != "" {
		return name
	}
	return u.Username
}

// largestPhoto returns the file reference of the largest size of a photo, "" without one.
func largestPhoto(sizes []models.PhotoSize) string {
	best := -1
	for i, p := range sizes {
		if best < 0 || p.Width*p.Height > sizes[best].Width*sizes[best].Height ||
			p.Width*p.Height == sizes[best].Width*sizes[best].Height && p.FileSize > sizes[best].FileSize {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return "tg:" + sizes[best].FileID
}
