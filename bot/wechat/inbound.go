package wechat

import (
	"context"
	"html"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/eatmoreapple/openwechat"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// item is a message openwechat received, with the login it came in.
type item struct {
	s *session
	m *openwechat.Message
}

// feed hands messages from openwechat's receive loop to the consumer without ever blocking
// the loop on a slow handler, a download or Redis.
type feed struct {
	mu    sync.Mutex
	items []item
	kick  chan struct{}
}

func newFeed() *feed { return &feed{kick: make(chan struct{}, 1)} }

func (f *feed) push(it item) {
	f.mu.Lock()
	f.items = append(f.items, it)
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

func (f *feed) take() []item {
	f.mu.Lock()
	defer f.mu.Unlock()
	items := f.items
	f.items = nil
	return items
}

// consume turns received messages into bot messages, in the order they came, and delivers
// them until ctx is done. The mux handles them; nothing waits here for that.
func (c *Channel) consume(ctx context.Context, in bot.Inbox) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.feed.kick:
		}
		for _, it := range c.feed.take() {
			if ctx.Err() != nil {
				return
			}
			if msg, ok := c.toMessage(ctx, it.s, it.m); ok {
				in.Deliver(ctx, msg)
			}
		}
	}
}

// toMessage maps a WeChat message to the channel-neutral one; false means nothing to deliver
// (the account's own messages, official accounts, other kinds than text and photo, and group
// messages not meant for the bot).
func (c *Channel) toMessage(ctx context.Context, s *session, m *openwechat.Message) (bot.Message, bool) {
	isText := m.MsgType == openwechat.MsgTypeText && m.Url == ""
	if m.MsgType == openwechat.MsgTypeSys && strings.HasPrefix(m.FromUserName, "@@") {
		// Someone joined or left: who shows which name there may have changed.
		c.groupChanged(ctx, s, m.FromUserName)
		return bot.Message{}, false
	}
	if self, _ := s.me(); m.FromUserName == self || !isText && m.MsgType != openwechat.MsgTypeImage {
		return bot.Message{}, false
	}
	msg := bot.Message{Channel: Name, ID: m.MsgId, At: time.Unix(m.CreateTime, 0)}
	if isText {
		msg.Quote, msg.Text = splitQuote(strings.TrimSpace(m.Content))
	}
	log := c.log.With("message_id", m.MsgId)
	var ok bool
	switch {
	case strings.HasPrefix(m.FromUserName, "@@"):
		ok = c.fromGroup(ctx, s, m, &msg)
	case strings.HasPrefix(m.FromUserName, "@"):
		f, isFriend, err := c.friend(ctx, s, m.FromUserName)
		if err != nil {
			log.Warn("wechat sender unknown", "err", err)
			return bot.Message{}, false
		}
		if ok = isFriend; ok {
			dir, unlock := s.lockDir()
			msg.SenderID, msg.SenderName = dir.friendID(f), f.NickName
			ask := dir.askOnce(f.UserName)
			unlock()
			msg.ChatID, msg.ChatName = msg.SenderID, f.NickName
			if ask {
				c.say(ctx, bot.Reply{Channel: Name, ChatID: msg.ChatID, Text: askUnsure})
			}
		}
	}
	if !ok {
		return bot.Message{}, false
	}
	if m.MsgType == openwechat.MsgTypeImage {
		photo, err := c.savePhoto(ctx, s, m)
		if err != nil {
			log.Warn("wechat photo not saved", "err", err)
			again := "抱歉，这张图片没有收到，请再发一次。Sorry, the photo did not come through; please send it again."
			if msg.Group {
				c.refuse(ctx, msg.ChatID, msg.SenderName, again)
			} else {
				c.say(ctx, bot.Reply{Channel: Name, ChatID: msg.ChatID, Text: again})
			}
			return bot.Message{}, false
		}
		msg.Photo = photo
	}
	return msg, msg.Text != "" || msg.Photo != ""
}

// fromGroup fills in a group message's chat and sender and decides whether the bot should
// react: when @-mentioned by its display name in the group, when the message starts with a
// command word, or when the sender has a conversation in progress there.
func (c *Channel) fromGroup(ctx context.Context, s *session, m *openwechat.Message, msg *bot.Message) bool {
	log := c.log.With("message_id", m.MsgId)
	g, err := c.group(ctx, s, m.FromUserName)
	if err != nil {
		log.Warn("wechat group unknown", "err", err)
		return false
	}
	msg.Group, msg.ChatID, msg.ChatName = true, g.id, g.name
	// openwechat keeps the sender's UserName to itself; it heads the raw content.
	memberUser, _, found := strings.Cut(m.RawContent, ":<br/>")
	if !found {
		return false
	}
	member := c.groupMember(ctx, s, g, memberUser)
	if member == nil {
		log.Warn("wechat group member unknown", "chat_id", g.id)
		return false
	}
	who, err := c.memberIdentity(ctx, s, g, member)
	if err != nil {
		log.Warn("wechat member identity", "chat_id", g.id, "err", err)
		return false
	}
	if who.name == "" && bindCommand(msg.Text) {
		c.refuse(ctx, g.id, "", "微信没有告诉我您在本群的名字，我无法确认您的身份。请加我为好友后私聊，再试一次。")
		return false
	}
	msg.SenderID, msg.SenderName = who.id, who.name
	self, nick := s.me()
	_, unlock := s.lockDir()
	names := []string{nick}
	if me := g.member(self); me != nil && me.DisplayName != "" {
		names = append([]string{me.DisplayName}, names...)
	}
	unlock()
	msg.Mentioned, msg.Text = stripMention(msg.Text, names)
	if quotesOneOf(msg.Quote, names) || s.quotesSent(g.userName, msg.Quote) {
		// Quoting the bot's own message answers the bot, as a reply does on Telegram.
		msg.Mentioned = true
	}
	if !msg.Mentioned && !startsWithCommand(msg.Text) && !c.active(ctx, g.id, who.id) {
		return false
	}
	if who.ambiguous && (who.bound || bindCommand(msg.Text)) {
		// Two members show the same name: the bot cannot tell which of them bound.
		c.refuse(ctx, g.id, who.name, "本群有不止一位成员使用这个群昵称，我无法确认您的身份。请先修改群昵称，或加我为好友后私聊，再试一次。")
		return false
	}
	if strings.HasPrefix(who.id, "m:") && personal(msg.Text, msg.Quote) {
		// Known only by a name in the group: enough to report a repair or raise an alarm,
		// never for fees or staff work, which need the person for sure.
		c.refuse(ctx, g.id, who.name, "查询费用、处理工单等涉及个人信息的操作，需要先加我为好友并在私聊里绑定。报修和紧急情况可以直接在群里说。")
		return false
	}
	return true
}

// staffWords start the staff's commands; feeWords ask about a household's money or the
// person's own tickets.
var (
	staffWords = []string{"接单", "派单", "进展", "完成", "关闭", "重开", "详情",
		"/accept", "/assign", "/progress", "/resolve", "/close", "/reopen", "/details"}
	feeWords = []string{"物业费", "欠多少", "欠费", "账单", "缴费", "交费", "费用", "水费", "电费", "停车费", "/fee",
		"进度", "我的投诉", "我的报修"}
)

// personal reports whether a message asks for what only the person themselves may see or do:
// a staff command, an answer to a quoted ticket card, a fee or progress question.
func personal(text, quote string) bool {
	if _, ok := guanjia.FindTicketNo(quote); ok {
		return true
	}
	first, _, _ := strings.Cut(strings.ToLower(text), " ")
	for _, w := range staffWords {
		if first == w || !strings.HasPrefix(w, "/") && strings.HasPrefix(text, w) {
			return true
		}
	}
	for _, w := range feeWords {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// quoteLine is what web WeChat puts between a quoted message and the answer to it.
var quoteLine = regexp.MustCompile(`\n- (?:- )+-?\s*\n`)

// splitQuote takes a quoting message apart. Web WeChat sends a quote as text:
//
//	「王管家：【新报修】R20261126-0001 …」
//	- - - - - - - - - - - - - - -
//	接单
//
// quote is what was quoted, with the name of who wrote it ("王管家：…"); text is the answer.
// Other text comes back as it is, with no quote.
func splitQuote(content string) (quote, text string) {
	if !strings.HasPrefix(content, "「") {
		return "", content
	}
	loc := quoteLine.FindStringIndex(content)
	if loc == nil {
		return "", content
	}
	quoted := strings.TrimSpace(content[:loc[0]])
	if !strings.HasSuffix(quoted, "」") {
		return "", content
	}
	quoted = strings.TrimSuffix(strings.TrimPrefix(quoted, "「"), "」")
	if name, inner, ok := cutQuoteName(quoted); ok && strings.Contains(inner, "<appmsg") {
		// A quote of a quote: the quoted message comes as its app-message XML, whose title
		// is what its sender wrote.
		if t := appTitle.FindStringSubmatch(inner); t != nil {
			quoted = name + "：" + strings.TrimSpace(html.UnescapeString(t[1]))
		}
	}
	return quoted, strings.TrimSpace(content[loc[1]:])
}

// appTitle is the title of an app message, where a quoting message's own words are.
var appTitle = regexp.MustCompile(`(?s)<title>(.*?)</title>`)

// cutQuoteName splits a quote into the name of who wrote the quoted message and what they
// wrote.
func cutQuoteName(quote string) (name, content string, ok bool) {
	i := strings.IndexAny(quote, "：:")
	if i < 0 {
		return "", quote, false
	}
	_, size := utf8.DecodeRuneInString(quote[i:])
	return quote[:i], quote[i+size:], true
}

// quotesOneOf reports whether a quote is of a message written under one of names.
func quotesOneOf(quote string, names []string) bool {
	for _, n := range names {
		if n != "" && (strings.HasPrefix(quote, n+"：") || strings.HasPrefix(quote, n+":")) {
			return true
		}
	}
	return false
}

// groupMember finds a member by UserName, fetching the member list again for someone who
// joined after the login.
func (c *Channel) groupMember(ctx context.Context, s *session, g *groupInfo, userName string) *openwechat.User {
	_, unlock := s.lockDir()
	m := g.member(userName)
	unlock()
	if m != nil {
		return c.named(ctx, s, m)
	}
	if err := c.refreshMembers(ctx, s, g); err != nil {
		c.log.Warn("wechat group members", "chat_id", g.id, "err", err)
		return nil
	}
	_, unlock = s.lockDir()
	m = g.member(userName)
	unlock()
	if m == nil {
		return nil
	}
	return c.named(ctx, s, m)
}

// named fills in the nickname of a member WeChat listed without one, from their own details.
func (c *Channel) named(ctx context.Context, s *session, m *openwechat.User) *openwechat.User {
	_, unlock := s.lockDir()
	nick := m.NickName
	unlock()
	if nick != "" {
		return m
	}
	got, err := s.details(ctx, openwechat.Members{{UserName: m.UserName}})
	if err != nil || len(got) != 1 {
		c.log.Warn("wechat member details", "err", err)
		return m
	}
	_, unlock = s.lockDir()
	defer unlock()
	m.NickName = got[0].NickName
	return m
}

// groupChanged fetches a group's member list again after a system message about it.
func (c *Channel) groupChanged(ctx context.Context, s *session, userName string) {
	dir, unlock := s.lockDir()
	g := dir.groups[userName]
	unlock()
	if g == nil {
		return
	}
	if err := c.refreshMembers(ctx, s, g); err != nil {
		c.log.Warn("wechat group members", "chat_id", g.id, "err", err)
	}
}

func (c *Channel) active(ctx context.Context, chat, sender string) bool {
	if c.cfg.Conversations == nil {
		return false
	}
	ok, err := c.cfg.Conversations.Active(ctx, chat, sender)
	if err != nil {
		// Better to miss one answer than to answer every message in the group.
		c.log.Warn("wechat conversation check failed", "chat_id", chat, "err", err)
		return false
	}
	return ok
}

// stripMention reports whether text @-mentions one of names ("@name" followed by WeChat's
// four-per-em space, a space or the end) and takes those mentions out.
func stripMention(text string, names []string) (bool, string) {
	found := false
	for _, name := range names {
		if name == "" {
			continue
		}
		at := "@" + name
		for i := 0; ; {
			j := strings.Index(text[i:], at)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(at)
			rest := text[end:]
			if rest != "" && !strings.HasPrefix(rest, "\u2005") && !strings.HasPrefix(rest, " ") {
				i = end
				continue
			}
			found = true
			rest = strings.TrimLeft(rest, "\u2005 ")
			text = text[:start] + rest
			i = start
		}
	}
	return found, strings.TrimSpace(strings.ReplaceAll(text, "\u2005", " "))
}

// commandWords start a message meant for the bot even without a mention: the flows'
// commands, in Chinese and as slash commands.
var commandWords = []string{
	"报修", "我要报修", "维修", "接单", "派单", "进展", "完成", "关闭", "重开", "详情",
	"绑定", "绑定群", "帮助", "菜单", "取消",
	"/repair", "/accept", "/assign", "/progress", "/resolve", "/close", "/reopen", "/details",
	"/bind", "/start", "/help", "/menu", "/cancel",
}

// startsWithCommand reports whether text starts with a command word: a Chinese one may run
// into the words after it ("报修厨房漏水"), a slash command must end at a space.
func startsWithCommand(text string) bool {
	first, _, _ := strings.Cut(strings.ToLower(text), " ")
	for _, w := range commandWords {
		if first == w || !strings.HasPrefix(w, "/") && strings.HasPrefix(text, w) {
			return true
		}
	}
	return false
}
