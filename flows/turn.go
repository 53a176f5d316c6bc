package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// turn is one inbound message being answered: who is talking where, and what to reply.
type turn struct {
	e      *Engine
	msg    bot.Message
	chat   guanjia.Chat
	person guanjia.Person
	// known is false for a sender the records do not know yet.
	known bool
	lang  string
	key   guanjia.SessionKey
	out   []bot.Reply
	err   error
}

func (e *Engine) newTurn(ctx context.Context, m bot.Message) (*turn, error) {
	// Until the records say otherwise (or when they cannot be read), the chat is what the
	// platform says: an apology in a private chat is not addressed as in a group.
	t := &turn{e: e, msg: m, lang: e.Templates.Lang(""), chat: fallbackChat(m),
		key: guanjia.SessionKey{Channel: m.Channel, Chat: m.ChatID, Person: m.SenderID}}
	chat, err := e.Directory.Chat(ctx, m.Channel, m.ChatID)
	switch {
	case errors.Is(err, guanjia.ErrNotFound):
		chat = t.chat
	case err != nil:
		return t, fmt.Errorf("flows: find chat: %w", err)
	}
	t.chat = chat
	p, err := e.Directory.PersonByIdentity(ctx, m.Channel, m.SenderID)
	switch {
	case errors.Is(err, guanjia.ErrNotFound):
		t.person = guanjia.Person{ID: guanjia.IdentityID(m.Channel, m.SenderID), Name: m.SenderName,
			Community: chat.Community, Roles: []guanjia.Role{guanjia.RoleResident}}
	case err != nil:
		return t, fmt.Errorf("flows: find person: %w", err)
	default:
		t.person, t.known = p, true
		t.lang = e.Templates.Lang(p.Lang)
	}
	return t, nil
}

// fallbackChat is the chat of m as the platform describes it, for a chat the records do not know.
func fallbackChat(m bot.Message) guanjia.Chat {
	role := guanjia.ChatPrivate
	if m.Group {
		// An unbound group serves nobody in particular; it is still a group for privacy.
		role = guanjia.ChatBuilding
	}
	return guanjia.Chat{ID: guanjia.ChatID(m.Channel, m.ChatID), Channel: m.Channel,
		PlatformID: m.ChatID, Name: m.ChatName, Role: role}
}

// turnSessions are the engine's sessions: inside a turn the mux commits, saves and deletes are
// recorded on the turn (and read back from it) instead of being written at once.
type turnSessions struct{ Sessions }

// Load reads a conversation, with its Data ready to write to: a conversation saved with no
// answers yet (its data left out of the stored form) comes back with an empty map, not nil.
func (s turnSessions) Load(ctx context.Context, key guanjia.SessionKey) (guanjia.Session, error) {
	if tx, ok := bot.TurnFrom(ctx); ok {
		if ch, ok := tx.Session(key); ok {
			if ch.Session == nil {
				return guanjia.Session{}, fmt.Errorf("flows: load session %s: %w", key, guanjia.ErrNotFound)
			}
			return withData(*ch.Session), nil
		}
	}
	sess, err := s.Sessions.Load(ctx, key)
	return withData(sess), err
}

func withData(s guanjia.Session) guanjia.Session {
	if s.Data == nil {
		s.Data = map[string]string{}
	}
	return s
}

func (s turnSessions) Save(ctx context.Context, sess guanjia.Session) error {
	if tx, ok := bot.TurnFrom(ctx); ok {
		if sess.Expires.IsZero() {
			return fmt.Errorf("flows: save session %s: no expiry: %w", sess.Key, guanjia.ErrInvalid)
		}
		tx.SaveSession(sess)
		return nil
	}
	return s.Sessions.Save(ctx, sess)
}

func (s turnSessions) Delete(ctx context.Context, key guanjia.SessionKey) error {
	if tx, ok := bot.TurnFrom(ctx); ok {
		tx.DeleteSession(key)
		return nil
	}
	return s.Sessions.Delete(ctx, key)
}

// text is the message text without surrounding space and a leading bot mention.
func (t *turn) text() string {
	s := strings.TrimSpace(t.msg.Text)
	for _, at := range []string{"@管家", "@guanjia"} {
		s = strings.TrimSpace(strings.ReplaceAll(s, at, ""))
	}
	return s
}

// render renders a template in the turn's language; a failure is kept and reported by Handle.
func (t *turn) render(key string, data any) string {
	return t.e.render(t.lang, key, data, &t.err)
}

// label renders a short label template.
// residentsRead reports whether residents read this chat: a group other than a staff group,
// where tickets, fees and binding are not handled.
func (t *turn) residentsRead() bool { return t.chat.IsGroup() && t.chat.Role != guanjia.ChatStaff }

func (t *turn) label(key string) string { return t.render(key, nil) }

func (e *Engine) render(lang, key string, data any, errp *error) string {
	s, err := e.Templates.Render(lang, key, data)
	if err != nil {
		if *errp == nil {
			*errp = err
		}
		return key
	}
	return s
}

// here is a reply in the chat the message came from; its choices are for the sender alone.
func (t *turn) here(text string, opts []option) bot.Reply {
	r := bot.Reply{Channel: t.msg.Channel, ChatID: t.msg.ChatID, Group: t.chat.IsGroup(), Text: t.addressed(text)}
	if len(opts) > 0 {
		r.Choices, r.For = t.choices(opts), t.msg.SenderID
	}
	return r
}

// say replies in the chat the message came from.
func (t *turn) say(key string, data any) {
	t.out = append(t.out, t.here(t.render(key, data), nil))
}

// ask replies with a question and its options.
func (t *turn) ask(key string, data any, opts []option) {
	t.out = append(t.out, t.here(t.render(key, data), opts))
}

// reask says why an answer was not taken and asks the question again, in one message.
func (t *turn) reask(reason, key string, data any, opts []option) {
	t.out = append(t.out, t.here(t.render(reason, nil)+"\n"+t.render(key, data), opts))
}

// addressed names the person a group reply is for, since several people talk there.
func (t *turn) addressed(text string) string {
	if t.chat.IsGroup() && t.msg.SenderName != "" {
		return "@" + t.msg.SenderName + " " + text
	}
	return text
}

// send adds a message to another chat.
func (t *turn) send(r bot.Reply) { t.out = append(t.out, r) }

// option is one answer a step offers: the value that comes back, and its label's template.
type option struct {
	value string
	label string
}

func (t *turn) choices(opts []option) []bot.Choice {
	cs := make([]bot.Choice, len(opts))
	for i, o := range opts {
		cs[i] = bot.Choice{Label: t.label(o.label), Value: o.value}
	}
	return cs
}

// pick finds which option the message chose: a picked choice, its number, or its words.
func (t *turn) pick(opts []option) (string, bool) {
	for _, o := range opts {
		if t.msg.Choice == o.value {
			return o.value, true
		}
	}
	// The answer as typed, then without the words around it ("报修吧", "我要报修", "1吧").
	for _, text := range answerForms(t.msg.Text) {
		if v, ok := t.pickText(opts, text); ok {
			return v, true
		}
	}
	return "", false
}

// pickText finds the option one form of an answer names: its number, its words, or words
// that mean it (answerWords).
func (t *turn) pickText(opts []option, text string) (string, bool) {
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(opts) {
		return opts[n-1].value, true
	}
	if text == "" {
		return "", false
	}
	for _, o := range opts {
		if slices.Contains(answerWords[o.label], strings.ToLower(text)) {
			return o.value, true
		}
	}
	// The words of an option, or of its start ("紧急" for "紧急（如漏水不止…）"); else a part
	// of the words that only one option has ("提交" of "确认提交").
	var part []string
	for _, o := range opts {
		for _, lang := range []string{t.lang, "zh", "en"} {
			l, err := t.e.Templates.Render(lang, o.label, nil)
			if err != nil {
				continue
			}
			if strings.EqualFold(l, text) || strings.HasPrefix(l, text+"（") || strings.HasPrefix(l, text+" (") {
				return o.value, true
			}
			if utf8.RuneCountInString(text) >= 2 && strings.Contains(strings.ToLower(l), strings.ToLower(text)) && !slices.Contains(part, o.value) {
				part = append(part, o.value)
			}
		}
	}
	if len(part) == 1 {
		return part[0], true
	}
	return "", false
}

// answerWords are what people answer an option with besides its own words, by the option's
// label: 「不急」 is 一般, 「不用」 is 不要.
var answerWords = map[string][]string{
	"repair.urgency.normal": {"不急", "不着急", "不是很急", "不太急", "不怎么急", "没那么急", "不算急", "不紧急",
		"不是很着急", "不太着急", "还好", "还行", "一般般", "普通", "not urgent", "normal"},
	"repair.urgency.urgent": {"急", "很急", "特别急", "非常急", "挺急", "比较急", "太急了", "急急急", "着急", "很着急",
		"特别着急", "非常着急", "十万火急", "加急", "urgent", "very urgent"},
	"event.yes": {"需要", "好", "好的", "是", "是的", "对", "嗯", "可以", "yes", "y"},
	"event.no":  {"不用", "不用了", "不要了", "不需要", "不需要了", "否", "不", "不了", "no", "n"},
}

// answerLeads and answerTrails are the words around an answer that do not change it:
// 「我要」报修「吧」.
var (
	answerLeads  = []string{"我要", "我想", "我选", "选", "要", "是", "就", "那就", "还是", "帮我"}
	answerTrails = []string{"吧", "啊", "呀", "呢", "哈", "啦", "嘛", "的", "哦", "喔"}
)

// answerForms are an answer to a choice as typed (see choiceText), then without its filler
// words, plainest last; a form is never empty.
func answerForms(s string) []string {
	text := choiceText(s)
	forms := []string{text}
	cut := text
	for changed := true; changed; {
		changed = false
		for _, w := range answerTrails {
			if c, ok := strings.CutSuffix(cut, w); ok && strings.TrimSpace(c) != "" {
				cut, changed = strings.TrimSpace(c), true
			}
		}
		for _, w := range answerLeads {
			if c, ok := strings.CutPrefix(cut, w); ok && strings.TrimSpace(c) != "" {
				cut, changed = strings.TrimSpace(c), true
			}
		}
	}
	if cut = choiceText(cut); cut != text {
		forms = append(forms, cut)
	}
	return forms
}

// chineseDigits are the numbers people type with a Chinese keyboard for a choice.
var chineseDigits = map[string]string{"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5",
	"六": "6", "七": "7", "八": "8", "九": "9", "十": "10", "十一": "11", "十二": "12"}

// choiceText is an answer to a choice as plain as it gets: full-width letters and digits
// (１, ２ from a Chinese keyboard) as ASCII, no closing punctuation, "第二个" and "二" as "2".
func choiceText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= '！' && r <= '～' {
			return r - '！' + '!'
		}
		if r == '\u3000' {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), "。.!！~"))
	if inner, ok := strings.CutPrefix(s, "第"); ok {
		inner = strings.TrimRight(inner, "个项条")
		if _, err := strconv.Atoi(inner); err == nil {
			return inner
		}
		if d, ok := chineseDigits[inner]; ok {
			return d
		}
	}
	if d, ok := chineseDigits[s]; ok {
		return d
	}
	return s
}
