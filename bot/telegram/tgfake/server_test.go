package tgfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/guanjia/guanjia/bot/telegram/tgfake"
)

func client(t *testing.T, s *tgfake.Server) *tgbot.Bot {
	t.Helper()
	b, err := tgbot.New(tgfake.Token, tgbot.WithServerURL(s.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sendN(t *testing.T, b *tgbot.Bot, chat int64, n int) error {
	t.Helper()
	for range n {
		if _, err := b.SendMessage(t.Context(), &tgbot.SendMessageParams{ChatID: chat, Text: "通知"}); err != nil {
			return err
		}
	}
	return nil
}

func TestLimitsMeasured(t *testing.T) {
	s := tgfake.New(t)
	b := client(t, s)
	count := func(rule string) int {
		n := 0
		for _, v := range s.Violations() {
			if v.Rule == rule {
				n++
			}
		}
		return n
	}
	// A burst of three is fine in a private chat; the fourth at once is not.
	if err := sendN(t, b, 4711, 4); err != nil {
		t.Fatal(err)
	}
	if got := count("private"); got != 1 {
		t.Errorf("private violations = %d, want 1: %v", got, s.Violations())
	}
	// Twenty messages to a group in a minute are fine, the 21st is not.
	s.SetLimits(tgfake.TelegramLimits())
	if err := sendN(t, b, -100777, 21); err != nil {
		t.Fatal(err)
	}
	if got := count("group"); got != 1 {
		t.Errorf("group violations = %d, want 1", got)
	}
	// Thirty messages a second overall.
	s.SetLimits(tgfake.TelegramLimits())
	for i := range 31 {
		if err := sendN(t, b, int64(5000+i), 1); err != nil {
			t.Fatal(err)
		}
	}
	if got := count("global"); got != 1 {
		t.Errorf("global violations = %d, want 1", got)
	}
	if len(s.Sent()) != 4+21+31 {
		t.Errorf("measured sends are still accepted: %d sent", len(s.Sent()))
	}
}

func TestLimitsEnforcedAndRefilled(t *testing.T) {
	s := tgfake.New(t)
	b := client(t, s)
	lim := tgfake.TelegramLimits()
	lim.PrivateBurst, lim.PrivateInterval, lim.Enforce = 1, 100*time.Millisecond, true
	s.SetLimits(lim)
	if err := sendN(t, b, 4711, 1); err != nil {
		t.Fatal(err)
	}
	err := sendN(t, b, 4711, 1)
	var tooMany *tgbot.TooManyRequestsError
	if !errors.As(err, &tooMany) || tooMany.RetryAfter != 1 {
		t.Fatalf("second send at once = %v, want 429 with retry_after 1", err)
	}
	time.Sleep(lim.PrivateInterval)
	if err := sendN(t, b, 4711, 1); err != nil {
		t.Errorf("send after the interval: %v", err)
	}
	if got := len(s.SentTo(4711)); got != 2 {
		t.Errorf("accepted %d, want 2", got)
	}
	if r := s.Rejections(); len(r) != 1 || r[0].Code != 429 {
		t.Errorf("rejections = %+v", r)
	}
}

// call makes a raw Bot API call with a JSON body, as other clients do.
func call(t *testing.T, s *tgfake.Server, method string, params any) (ok bool, result json.RawMessage, code int) {
	t.Helper()
	body, _ := json.Marshal(params)
	resp, err := http.Post(s.URL()+"/bot"+tgfake.Token+"/"+method, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Code   int             `json:"error_code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r.OK, r.Result, r.Code
}

func updateIDs(t *testing.T, raw json.RawMessage) []int64 {
	t.Helper()
	var ups []models.Update
	if err := json.Unmarshal(raw, &ups); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(ups))
	for i, u := range ups {
		ids[i] = u.ID
	}
	return ids
}

func TestGetUpdatesOffsets(t *testing.T) {
	s := tgfake.New(t)
	p := tgfake.Person(4711, "张三")
	a := s.PushText(tgfake.Private(p), p, "一")
	s.PushText(tgfake.Private(p), p, "二")
	c := s.PushText(tgfake.Private(p), p, "三")
	_, res, _ := call(t, s, "getUpdates", map[string]any{"offset": 0})
	if got := updateIDs(t, res); len(got) != 3 || got[0] != a || got[2] != c {
		t.Fatalf("first poll = %v", got)
	}
	// An offset confirms what is below it.
	_, res, _ = call(t, s, "getUpdates", map[string]any{"offset": c + 1})
	if got := updateIDs(t, res); len(got) != 0 || len(s.Pending()) != 0 {
		t.Fatalf("after confirming: %v, pending %v", got, s.Pending())
	}
	// A redelivered update comes once more, below the offset.
	s.Redeliver(a)
	_, res, _ = call(t, s, "getUpdates", map[string]any{"offset": c + 1})
	if got := updateIDs(t, res); len(got) != 1 || got[0] != a {
		t.Errorf("redelivery = %v, want [%d]", got, a)
	}
	_, res, _ = call(t, s, "getUpdates", map[string]any{"offset": c + 1})
	if got := updateIDs(t, res); len(got) != 0 {
		t.Errorf("after the redelivery = %v, want none", got)
	}

	// A long poll returns as soon as an update arrives.
	go func() {
		time.Sleep(50 * time.Millisecond)
		s.PushText(tgfake.Private(p), p, "四")
	}()
	begin := time.Now()
	_, res, _ = call(t, s, "getUpdates", map[string]any{"offset": c + 1, "timeout": 10})
	if got := updateIDs(t, res); len(got) != 1 || time.Since(begin) > 5*time.Second {
		t.Errorf("long poll = %v after %v", got, time.Since(begin))
	}
	if s.PollTimeout() != 10 {
		t.Errorf("PollTimeout = %d, want 10", s.PollTimeout())
	}

	// While a webhook is set, getUpdates is refused.
	if ok, _, _ := call(t, s, "setWebhook", map[string]any{"url": "http://127.0.0.1:1/hook", "secret_token": "abc"}); !ok {
		t.Fatal("setWebhook failed")
	}
	if ok, _, code := call(t, s, "getUpdates", map[string]any{}); ok || code != http.StatusConflict {
		t.Errorf("getUpdates with a webhook: ok %v code %d, want 409", ok, code)
	}
}

func TestRequestEncodings(t *testing.T) {
	s := tgfake.New(t)
	// JSON with the keyboard as an object.
	kb := map[string]any{"inline_keyboard": [][]map[string]string{{{"text": "确认", "callback_data": "c:0"}}}}
	if ok, _, _ := call(t, s, "sendMessage", map[string]any{"chat_id": 4711, "text": "JSON", "reply_markup": kb}); !ok {
		t.Fatal("JSON sendMessage failed")
	}
	// A URL-encoded form with the keyboard as JSON text.
	raw, _ := json.Marshal(kb)
	form := url.Values{"chat_id": {"4711"}, "text": {"form"}, "reply_markup": {string(raw)}}
	resp, err := http.PostForm(s.URL()+"/bot"+tgfake.Token+"/sendMessage", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// multipart/form-data, through the library.
	b := client(t, s)
	if _, err := b.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: 4711, Text: "multipart",
		ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "确认", CallbackData: "c:0"}}}}}); err != nil {
		t.Fatal(err)
	}
	got := s.SentTo(4711)
	if len(got) != 3 {
		t.Fatalf("sent %+v", got)
	}
	for i, text := range []string{"JSON", "form", "multipart"} {
		if got[i].Text != text || len(got[i].Labels()) != 1 || got[i].Labels()[0] != "确认" || got[i].MessageID != i+1 {
			t.Errorf("message %d = %+v", i, got[i])
		}
	}
	// Callback data over 64 bytes is refused, as by Telegram.
	long := map[string]any{"inline_keyboard": [][]map[string]string{{{"text": "x", "callback_data": strings.Repeat("x", 65)}}}}
	if ok, _, code := call(t, s, "sendMessage", map[string]any{"chat_id": 4711, "text": "x", "reply_markup": long}); ok || code != 400 {
		t.Errorf("65 bytes of callback data: ok %v code %d", ok, code)
	}
	if ok, _, code := call(t, s, "getMe", nil); !ok || code != 0 {
		t.Errorf("getMe with an empty body failed")
	}
}

func TestEntities(t *testing.T) {
	s := tgfake.New(t)
	p := tgfake.Person(4711, "张三")
	s.PushText(tgfake.Group(-100, "群"), p, "请 /repair@guanjia_bot 和 @guanjia_bot 看看 @ab")
	_, res, _ := call(t, s, "getUpdates", map[string]any{})
	var ups []models.Update
	if err := json.Unmarshal(res, &ups); err != nil || len(ups) != 1 {
		t.Fatalf("%v %s", err, res)
	}
	want := []models.MessageEntity{
		{Type: models.MessageEntityTypeBotCommand, Offset: 2, Length: 19},
		{Type: models.MessageEntityTypeMention, Offset: 24, Length: 12},
	}
	got := ups[0].Message.Entities
	if len(got) != len(want) {
		t.Fatalf("entities = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Type != want[i].Type || got[i].Offset != want[i].Offset || got[i].Length != want[i].Length {
			t.Errorf("entity %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
