package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// What a person is told when a button press is refused.
const (
	refuseExpired = "这个按钮已过期，请按最新消息中的按钮操作。"
	refuseForeign = "这个按钮是给其他人的，请不要替别人选择。"
	refuseFailure = "暂时无法处理，请稍后再试。"
)

// A press on a message sent less than freshMessage ago whose buttons are not on record yet
// is checked again for up to pressGrace before it is refused as expired.
const (
	freshMessage = 30 * time.Second
	pressGrace   = 3 * time.Second
)

// prompt is what the channel keeps about a message with buttons.
type prompt struct {
	For    string   `json:"for,omitempty"`
	Group  bool     `json:"group,omitempty"`
	Values []string `json:"values"`
	Labels []string `json:"labels"`
}

// onlyLatest reports whether only the newest prompt counts: always for a person's own
// prompts, while cards for anyone in a group (e.g. tickets for staff) stay valid side by side.
func (p prompt) onlyLatest() bool { return p.For != "" || !p.Group }

// callbackData is what a button carries: "c:<index>", well below Telegram's 64 bytes.
func callbackData(i int) string { return "c:" + strconv.Itoa(i) }

func choiceIndex(data string) (int, bool) {
	s, ok := strings.CutPrefix(data, "c:")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0
}

// savePrompt records a sent message with buttons. A failure only costs the buttons (presses
// are refused as expired), so it is logged rather than failing a send Telegram accepted; for
// the same reason it goes on when the sender gives up waiting.
func (c *Channel) savePrompt(ctx context.Context, r bot.Reply, chat int64, messageID int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	p := prompt{For: r.For, Group: r.Group || chat < 0}
	for _, ch := range r.Choices {
		p.Values = append(p.Values, ch.Value)
		p.Labels = append(p.Labels, ch.Label)
	}
	body, err := json.Marshal(p)
	if err == nil {
		err = c.prompts.SavePrompt(ctx, Name, itoa(chat), messageID, p.For, body)
	}
	if err != nil {
		c.log.Error("telegram save prompt failed", "chat_id", chat, "message_id", messageID, "err", err)
	}
}

// callback turns a button press into the choice it stands for, after checking that the
// press counts. Every callback query is answered, refused or not, so the person's client
// stops waiting.
func (c *Channel) callback(ctx context.Context, updateID int64, q *models.CallbackQuery) (bot.Message, bool) {
	var (
		chat      models.Chat
		messageID int
		sentAt    time.Time
	)
	switch {
	case q.Message.Message != nil:
		chat, messageID = q.Message.Message.Chat, q.Message.Message.ID
		sentAt = time.Now() // a message without its date counts as new
		if d := q.Message.Message.Date; d != 0 {
			sentAt = time.Unix(int64(d), 0)
		}
	case q.Message.InaccessibleMessage != nil:
		chat, messageID = q.Message.InaccessibleMessage.Chat, q.Message.InaccessibleMessage.MessageID
	}
	presser := itoa(q.From.ID)
	if time.Since(sentAt) < freshMessage {
		c.awaitPrompt(ctx, chat.ID, messageID)
	}
	value, label, shared, refusal, err := c.checkPress(ctx, chat.ID, messageID, presser, q.Data, updateID)
	if ctx.Err() != nil {
		return bot.Message{}, false
	}
	if err != nil {
		c.log.Error("telegram button press check failed", "update_id", updateID, "chat_id", chat.ID, "message_id", messageID, "err", err)
	}
	c.answer(ctx, q.ID, updateID, refusal)
	if refusal != "" {
		c.log.Info("telegram button press refused", "update_id", updateID, "chat_id", chat.ID, "message_id", messageID, "user_id", q.From.ID)
		return bot.Message{}, false
	}
	// Take a personal question's buttons off so the same choice is not made twice. A shared
	// card (a ticket in the staff group) keeps its buttons: accept, assign and details are
	// pressed by different people at different times, and the commands check the state.
	if !shared {
		if _, err := c.api.EditMessageReplyMarkup(ctx, &tgbot.EditMessageReplyMarkupParams{ChatID: chat.ID, MessageID: messageID}); err != nil {
			c.log.Warn("telegram remove keyboard failed", "chat_id", chat.ID, "message_id", messageID, "err", err)
		}
	}
	m := bot.Message{
		Channel: Name, ID: itoa(updateID),
		ChatID: itoa(chat.ID), ChatName: chat.Title, Group: chat.Type != models.ChatTypePrivate,
		SenderID: presser, SenderName: displayName(&q.From),
		Text: label, Choice: value, PromptID: itoa(int64(messageID)),
		// Pressing the bot's button addresses the bot, in a group too.
		Mentioned: true,
		At:        time.Now(),
	}
	if !m.Group {
		m.ChatName = m.SenderName
	}
	return m, true
}

// awaitPrompt waits up to pressGrace for the record of a message's buttons. Telegram shows a
// message as soon as it accepts it, a moment before the record is written here, so a quick
// press on a new message must not be refused as expired.
func (c *Channel) awaitPrompt(ctx context.Context, chat int64, messageID int) {
	deadline := time.Now().Add(pressGrace)
	for {
		_, _, err := c.prompts.LoadPrompt(ctx, Name, itoa(chat), messageID)
		if !errors.Is(err, guanjia.ErrNotFound) || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// checkPress returns the choice a press stands for and whether its message is a shared card,
// or the refusal to show.
func (c *Channel) checkPress(ctx context.Context, chat int64, messageID int, presser, data string, updateID int64) (value, label string, shared bool, refusal string, err error) {
	i, ok := choiceIndex(data)
	if !ok || messageID == 0 {
		return "", "", false, refuseExpired, nil
	}
	body, latest, err := c.prompts.LoadPrompt(ctx, Name, itoa(chat), messageID)
	if errors.Is(err, guanjia.ErrNotFound) {
		return "", "", false, refuseExpired, nil
	}
	if err != nil {
		return "", "", false, refuseFailure, err
	}
	var p prompt
	if err := json.Unmarshal(body, &p); err != nil {
		return "", "", false, refuseFailure, fmt.Errorf("decode prompt: %w", err)
	}
	switch {
	case i >= len(p.Values) || i >= len(p.Labels):
		return "", "", false, refuseExpired, nil
	case p.For != "" && p.For != presser:
		return "", "", false, refuseForeign, nil
	case p.onlyLatest() && !latest:
		return "", "", false, refuseExpired, nil
	case !p.onlyLatest():
		// A shared card answers many presses; the commands behind it refuse what no longer fits.
		return p.Values[i], p.Labels[i], true, "", nil
	}
	// The update id as the claim lets the same press through again after a restart.
	first, err := c.prompts.ClaimPrompt(ctx, Name, itoa(chat), messageID, itoa(updateID))
	if err != nil {
		return "", "", false, refuseFailure, err
	}
	if !first {
		return "", "", false, refuseExpired, nil
	}
	return p.Values[i], p.Labels[i], false, "", nil
}

// answer answers a callback query; a failure is logged, as the press itself is not affected.
func (c *Channel) answer(ctx context.Context, queryID string, updateID int64, text string) {
	_, err := c.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: queryID, Text: text})
	if err != nil {
		c.log.Warn("telegram answer callback failed", "update_id", updateID, "err", err)
	}
}
