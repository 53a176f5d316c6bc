package telegram_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
)

var (
	zhang = tgfake.Person(4711, "张三")
	li    = models.User{ID: 4712, FirstName: "李", LastName: "四", Username: "lisi"}
	group = tgfake.Group(-1001234567890, "3号楼业主群")
)

func TestPrivateText(t *testing.T) {
	fake := tgfake.New(t)
	r := start(t, fake, newStore(t), newInbox(false))
	before := time.Now().Add(-time.Second)
	id := fake.PushText(tgfake.Private(zhang), zhang, "你好，厨房漏水了")
	got := r.in.Next(t)
	want := bot.Message{
		Channel: "telegram", ID: strconv.FormatInt(id, 10),
		ChatID: "4711", ChatName: "张三", SenderID: "4711", SenderName: "张三",
		Text: "你好，厨房漏水了", At: got.At,
	}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got.At.Before(before) || got.At.After(time.Now()) {
		t.Errorf("At = %v, want about now", got.At)
	}
	if err := r.ch.Ready(t.Context()); err != nil {
		t.Errorf("Ready after a poll = %v", err)
	}
}

func TestGroupMessages(t *testing.T) {
	fake := tgfake.New(t)
	r := start(t, fake, newStore(t), newInbox(false))
	tests := []struct {
		name, text string
		deliver    bool
		want       string
		mentioned  bool
	}{
		{"command to us", "/repair@guanjia_bot", true, "/repair", true},
		{"command to us with args", "/repair@guanjia_bot 3-2-501 厨房漏水", true, "/repair 3-2-501 厨房漏水", true},
		{"command to another bot", "/repair@otherbot", false, "", false},
		{"command to everyone", "/repair", true, "/repair", false},
		{"chinese before a command", "请帮忙 /repair", true, "请帮忙 /repair", false},
		{"mention", "@guanjia_bot 报修", true, "报修", true},
		{"mention in any case", "你好 @Guanjia_Bot 我要投诉", true, "你好 我要投诉", true},
		{"mention then command", "@guanjia_bot /repair@guanjia_bot", true, "/repair", true},
		{"another bot's mention", "@guanjia_bot2 你好", true, "@guanjia_bot2 你好", false},
		{"plain words", "谁家的狗在叫", true, "谁家的狗在叫", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fake.PushText(group, li, tt.text)
			if !tt.deliver {
				fake.PushText(group, li, "marker")
				r.in.NextText(t, "marker")
				return
			}
			got := r.in.Next(t)
			if got.Text != tt.want || got.Mentioned != tt.mentioned || !got.Group ||
				got.ChatID != "-1001234567890" || got.ChatName != "3号楼业主群" ||
				got.SenderID != "4712" || got.SenderName != "李 四" || got.ID != strconv.FormatInt(id, 10) {
				t.Errorf("got %+v; want text %q, mentioned %v", got, tt.want, tt.mentioned)
			}
		})
	}
}

func TestMentionByReplyAndEntity(t *testing.T) {
	fake := tgfake.New(t)
	r := start(t, fake, newStore(t), newInbox(false))
	if err := r.ch.Send(t.Context(), bot.Reply{Channel: "telegram", ChatID: "-1001234567890", Text: "请问是哪一户？"}); err != nil {
		t.Fatal(err)
	}
	botMsg := fake.WaitSentTo(group.ID, 1)[0]
	fake.PushReply(group, li, "3-2-501", botMsg.MessageID)
	if m := r.in.NextText(t, "3-2-501"); !m.Mentioned {
		t.Errorf("a reply to the bot: Mentioned = false")
	}
	// A mention of the bot without its username, as Telegram marks it for some clients.
	text := "管家 看一下"
	fake.PushMessage(models.Message{Chat: group, From: &li, Text: text, Entities: []models.MessageEntity{
		{Type: models.MessageEntityTypeTextMention, Offset: 0, Length: 2, User: &models.User{ID: tgfake.BotID, IsBot: true}},
	}})
	if m := r.in.NextText(t, text); !m.Mentioned {
		t.Errorf("a text mention of the bot: Mentioned = false")
	}
	// A reply to someone else's message is not addressed to the bot.
	fake.PushReply(group, li, "同意", botMsg.MessageID+1) // the person's "3-2-501"
	if m := r.in.NextText(t, "同意"); m.Mentioned {
		t.Errorf("a reply to a person: Mentioned = true")
	}
}

func TestPhotoAndDeepLink(t *testing.T) {
	fake := tgfake.New(t)
	r := start(t, fake, newStore(t), newInbox(false))
	_, file := fake.PushPhoto(tgfake.Private(zhang), zhang, "门锁坏了")
	m := r.in.Next(t)
	if m.Photo != "tg:"+file || m.Text != "门锁坏了" {
		t.Errorf("photo: got Photo %q Text %q, want %q and the caption", m.Photo, m.Text, "tg:"+file)
	}
	fake.PushPhoto(tgfake.Private(zhang), zhang, "")
	if m := r.in.Next(t); m.Photo == "" || m.Text != "" {
		t.Errorf("photo without caption: %+v", m)
	}
	fake.PushText(tgfake.Private(zhang), zhang, "/start R20261126-0001_x")
	r.in.NextText(t, "/start R20261126-0001_x")
}

func TestUpdateOrder(t *testing.T) {
	fake := tgfake.New(t)
	in := newInbox(false)
	// Queued before the first poll, so they arrive in one batch, not in id order.
	fake.PushUpdate(textUpdate(500, "second"))
	fake.PushUpdate(textUpdate(300, "first"))
	r := start(t, fake, newStore(t), in)
	r.in.NextText(t, "first")
	r.in.NextText(t, "second")
	// A lower id than any seen is still a new update.
	fake.PushUpdate(textUpdate(400, "lower id"))
	r.in.NextText(t, "lower id")

	id := fake.PushText(tgfake.Private(zhang), zhang, "once")
	r.in.NextText(t, "once")
	fake.Redeliver(id)
	fake.PushText(tgfake.Private(zhang), zhang, "marker")
	r.in.NextText(t, "marker")
}

func textUpdate(id int64, text string) models.Update {
	return models.Update{ID: id, Message: &models.Message{ID: int(id), Date: int(time.Now().Unix()),
		Chat: tgfake.Private(zhang), From: &zhang, Text: text}}
}
