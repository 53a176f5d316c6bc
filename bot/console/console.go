// Package console is the local chat channel: one person at a terminal acts as any resident or
// staff member in any chat, by typing "<person>: <text>" (the person's private chat) or
// "<person>@<chat>: <text>" (a group chat). It is the default channel and the test harness.
package console

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/guanjia/guanjia/bot"
)

// Name is the channel name of the console.
const Name = "console"

// Console reads chat lines from in and prints what the bot says to out.
type Console struct {
	in  io.Reader
	out io.Writer
	now func() time.Time
	run string

	mu   sync.Mutex
	seq  int
	last map[string][]bot.Choice
}

// New returns a console on in and out; now stamps messages (nil means time.Now).
func New(in io.Reader, out io.Writer, now func() time.Time) *Console {
	if now == nil {
		now = time.Now
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &Console{in: in, out: out, now: now, run: hex.EncodeToString(b), last: map[string][]bot.Choice{}}
}

// Synchronous implements bot.Synchronous: the person at the terminal reads each answer
// before typing on, so a line counts as handled once its replies are printed.
func (c *Console) Synchronous() bool { return true }

// Name implements bot.Channel.
func (c *Console) Name() string { return Name }

// Run reads lines until input ends or ctx is done, handling each line fully (replies printed)
// before reading the next, so that a transcript reads in order. At end of input it returns nil.
func (c *Console) Run(ctx context.Context, in bot.Inbox) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(c.in)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case line, ok := <-lines:
			if !ok {
				select {
				case err := <-readErr:
					if err != nil {
						return fmt.Errorf("console: read: %w", err)
					}
				default:
				}
				return nil
			}
			if err := c.Line(ctx, in, line); err != nil {
				return err
			}
		}
	}
}

// Line handles one typed line and waits until the bot has answered it.
func (c *Console) Line(ctx context.Context, in bot.Inbox, line string) error {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	msg, ok := c.parse(line)
	if !ok {
		c.print("console", "请按「姓名: 内容」或「姓名@群名: 内容」输入，例如「张三: 报修」或「王管家@员工群: 接单 R20261126-0001」。\nType \"<person>: <text>\" or \"<person>@<chat>: <text>\".", nil)
		return nil
	}
	select {
	case <-in.Deliver(ctx, msg):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Console) parse(line string) (bot.Message, bool) {
	i := strings.IndexAny(line, ":：")
	if i <= 0 {
		return bot.Message{}, false
	}
	who, text := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i:])
	_, size := firstRune(text)
	text = strings.TrimSpace(text[size:])
	person, chat, group := who, who, false
	if j := strings.Index(who, "@"); j >= 0 {
		person, chat = strings.TrimSpace(who[:j]), strings.TrimSpace(who[j+1:])
		group = chat != "" && chat != person
		if chat == "" {
			chat = person
		}
	}
	if person == "" {
		return bot.Message{}, false
	}
	c.mu.Lock()
	c.seq++
	msg := bot.Message{
		Channel: Name, ID: fmt.Sprintf("%s-%d", c.run, c.seq),
		ChatID: chat, ChatName: chat, Group: group,
		SenderID: person, SenderName: person,
		At: c.now(),
	}
	choices := c.last[chat]
	c.mu.Unlock()
	msg.Photo, text = photo(text)
	msg.Mentioned = strings.Contains(text, "@管家") || strings.Contains(strings.ToLower(text), "@guanjia")
	msg.Text = text
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(choices) {
		msg.Choice = choices[n-1].Value
	} else {
		for _, ch := range choices {
			if strings.EqualFold(ch.Label, text) {
				msg.Choice = ch.Value
			}
		}
	}
	return msg, true
}

// photoTags are the markers that stand for a photo sent in the console.
var photoTags = [][2]string{{"[photo ", "]"}, {"[图片 ", "]"}, {"【图片 ", "】"}}

// photo takes a "[photo name.jpg]" or "[图片 name.jpg]" marker off the text and returns the
// file reference it names.
func photo(text string) (ref, rest string) {
	for _, tag := range photoTags {
		if after, ok := strings.CutPrefix(text, tag[0]); ok {
			if name, rest, found := strings.Cut(after, tag[1]); found {
				return "console:" + strings.TrimSpace(name), strings.TrimSpace(rest)
			}
		}
	}
	return "", text
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

// Send implements bot.Channel: "[<chat>] <text>", continuation lines indented two spaces,
// choices as "  1) <label>".
func (c *Console) Send(_ context.Context, r bot.Reply) error {
	c.mu.Lock()
	c.last[r.ChatID] = r.Choices
	c.mu.Unlock()
	text := r.Text
	if r.Photo != "" {
		text += "\n[图片 " + strings.TrimPrefix(r.Photo, "console:") + "]"
	}
	c.print(r.ChatID, text, r.Choices)
	return nil
}

func (c *Console) print(chat, text string, choices []bot.Choice) {
	var b strings.Builder
	for i, l := range strings.Split(text, "\n") {
		if i == 0 {
			fmt.Fprintf(&b, "[%s] %s\n", chat, l)
		} else {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	for i, ch := range choices {
		fmt.Fprintf(&b, "  %d) %s\n", i+1, ch.Label)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = io.WriteString(c.out, b.String())
}
