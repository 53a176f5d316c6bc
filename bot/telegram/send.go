package telegram

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/guanjia/guanjia/bot"
)

// maxCaption is Telegram's limit on a photo caption; a longer text goes in its own message.
const maxCaption = 1024

// Send implements bot.Channel: the text, with the choices as buttons, and the photo when r.Photo
// is a Telegram file ("tg:<file_id>"). Failures are *bot.SendError, so the outbound queue can
// tell waiting (429) from retrying (network, 5xx) from giving up (blocked, kicked, bad request).
func (c *Channel) Send(ctx context.Context, r bot.Reply) error {
	var chatID any = r.ChatID
	if n, err := strconv.ParseInt(r.ChatID, 10, 64); err == nil {
		chatID = n
	}
	var markup models.ReplyMarkup
	if len(r.Choices) > 0 {
		markup = keyboard(r.Choices)
	}
	if id, err := strconv.Atoi(r.Edit); err == nil && r.Photo == "" {
		return c.edit(ctx, chatID, id, r.Text, markup)
	}
	var (
		sent *models.Message
		err  error
	)
	photo, closePhoto := c.photo(r.Photo)
	defer closePhoto()
	switch {
	case photo != nil && utf16Len(r.Text) <= maxCaption:
		sent, err = c.api.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: chatID,
			Photo: photo, Caption: r.Text, ReplyMarkup: markup})
	case photo != nil:
		_, err = c.api.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: chatID, Photo: photo})
		if err == nil {
			sent, err = c.api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: chatID, Text: r.Text, ReplyMarkup: markup})
		}
	default:
		sent, err = c.api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: chatID, Text: r.Text, ReplyMarkup: markup})
	}
	if err != nil {
		return sendError(err)
	}
	if len(r.Choices) > 0 {
		chat := sent.Chat.ID
		if chat == 0 {
			chat, _ = chatID.(int64)
		}
		c.savePrompt(ctx, r, chat, sent.ID)
	}
	return nil
}

// edit replaces the text and buttons of a message the bot sent. An edit Telegram refuses
// (the message is gone, or already says this) is logged and dropped: the message stays as it
// was and the chat is fine. A chat that refuses the bot, a limit or a network fault is
// reported as for a send.
func (c *Channel) edit(ctx context.Context, chatID any, messageID int, text string, markup models.ReplyMarkup) error {
	_, err := c.api.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: chatID, MessageID: messageID, Text: text, ReplyMarkup: markup})
	if err == nil {
		return nil
	}
	e := sendError(err)
	var se *bot.SendError
	if errors.As(e, &se) && se.Kind == bot.SendPermanent && !errors.Is(err, tgbot.ErrorForbidden) {
		c.log.Info("telegram edit not made", "chat_id", chatID, "message_id", messageID, "err", err)
		return nil
	}
	return e
}

// photo is what to send for a reply's photo: a Telegram file id as it is, another channel's
// photo uploaded, or nil (no photo, or one that cannot be had: the text goes alone).
func (c *Channel) photo(ref string) (models.InputFile, func()) {
	if file, ok := strings.CutPrefix(ref, "tg:"); ok && file != "" {
		return &models.InputFileString{Data: file}, func() {}
	}
	if ref == "" || c.cfg.OpenPhoto == nil {
		return nil, func() {}
	}
	f, name, err := c.cfg.OpenPhoto(ref)
	if err != nil {
		c.log.Warn("telegram photo not available", "err", err)
		return nil, func() {}
	}
	return &models.InputFileUpload{Filename: name, Data: f}, func() { _ = f.Close() }
}

// keyboard puts one button on each row, so that long Chinese labels are not cut.
func keyboard(choices []bot.Choice) *models.InlineKeyboardMarkup {
	rows := make([][]models.InlineKeyboardButton, len(choices))
	for i, ch := range choices {
		rows[i] = []models.InlineKeyboardButton{{Text: ch.Label, CallbackData: callbackData(i)}}
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// sendError classifies a Bot API failure for the outbound queue.
func sendError(err error) error {
	var (
		tooMany *tgbot.TooManyRequestsError
		migrate *tgbot.MigrateError
	)
	desc := strings.ToLower(err.Error())
	e := &bot.SendError{Kind: bot.SendPermanent, Err: fmt.Errorf("telegram: send: %w", err)}
	switch {
	case errors.As(err, &tooMany):
		e.Kind, e.Reason = bot.SendRateLimited, "too_many_requests"
		e.RetryAfter = max(time.Duration(tooMany.RetryAfter)*time.Second, time.Second)
	case errors.As(err, &migrate):
		// A group became a supergroup with a new id; this one is gone for good.
		e.Reason = "chat_migrated"
	case errors.Is(err, tgbot.ErrorForbidden):
		e.Reason = reason(desc, "forbidden")
	case errors.Is(err, tgbot.ErrorBadRequest):
		e.Reason = reason(desc, "bad_request")
	case errors.Is(err, tgbot.ErrorNotFound):
		e.Reason = "not_found"
	case errors.Is(err, tgbot.ErrorUnauthorized):
		// The token is wrong for every chat: an operator fixes it, the messages wait.
		e.Kind, e.Reason = bot.SendTransient, "unauthorized"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		e.Kind, e.Reason = bot.SendTransient, "timeout"
	case strings.Contains(desc, "error response from telegram"):
		e.Kind, e.Reason = bot.SendTransient, "server_error"
	default:
		e.Kind, e.Reason = bot.SendTransient, "network"
	}
	return e
}

// reasons maps the Bot API's descriptions of permanent failures to short causes.
var reasons = []struct{ match, reason string }{
	{"bot was blocked", "blocked"},
	{"bot was kicked", "kicked"},
	{"bot is not a member", "kicked"},
	{"user is deactivated", "deactivated"},
	{"chat not found", "chat_not_found"},
	{"not enough rights", "no_rights"},
	{"have no rights", "no_rights"},
	{"message is too long", "too_long"},
}

func reason(desc, fallback string) string {
	for _, r := range reasons {
		if strings.Contains(desc, r.match) {
			return r.reason
		}
	}
	return fallback
}

// startPayload is what Telegram accepts after ?start=.
var startPayload = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// PrivateLink implements bot.Linker with a deep link that opens the private chat with the bot
// and sends "/start <payload>".
func (c *Channel) PrivateLink(payload string) (string, bool) {
	if !startPayload.MatchString(payload) {
		return "", false
	}
	return "https://t.me/" + c.username + "?start=" + payload, true
}
