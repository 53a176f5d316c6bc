package flows

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/templates"
)

// memSessions keeps sessions in memory, as the Redis store does (without expiry).
type memSessions map[guanjia.SessionKey]guanjia.Session

func (m memSessions) Load(_ context.Context, k guanjia.SessionKey) (guanjia.Session, error) {
	s, ok := m[k]
	if !ok {
		return s, guanjia.ErrNotFound
	}
	return s, nil
}
func (m memSessions) Save(_ context.Context, s guanjia.Session) error { m[s.Key] = s; return nil }
func (m memSessions) Delete(_ context.Context, k guanjia.SessionKey) error {
	delete(m, k)
	return nil
}

// A form asks its fields in order, skips what is known, re-asks with a reason, keeps the
// answers in the session (so a restart resumes it), previews, and submits once confirmed.
func TestFormRunsItsFields(t *testing.T) {
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	sessions := memSessions{}
	e := New(Deps{Templates: set, Sessions: sessions})
	var submitted map[string]string
	f := &form{e: e, name: "test",
		fields: []field{
			{name: "question", prompt: "inquiry.ask_question",
				parse: func(_ context.Context, _ *turn, _ *guanjia.Session, text string) (string, string, error) {
					if utf8.RuneCountInString(text) < 4 {
						return "", "repair.bad_description_short", nil
					}
					return text, "", nil
				}},
			{name: "known", prompt: "repair.ask_description", skip: func(s *guanjia.Session) bool { return s.Data["known"] != "" }},
			{name: "category", prompt: "repair.ask_category", options: func(*turn, *guanjia.Session) []option { return categoryOptions }},
		},
		data: func(*turn, *guanjia.Session) map[string]any { return nil },
		begin: func(_ context.Context, _ *turn, s *guanjia.Session) (bool, error) {
			s.Data["known"] = "given when started"
			return true, nil
		},
		summary: "common.menu",
		submit: func(ctx context.Context, tt *turn, s *guanjia.Session) error {
			submitted = s.Data
			return e.finish(ctx, tt)
		},
	}
	e.flows["test"] = f
	key := guanjia.SessionKey{Channel: "console", Chat: "p", Person: "p"}
	say := func(text string) string {
		tt := &turn{e: e, msg: bot.Message{Channel: "console", ChatID: "p", SenderID: "p", Text: text}, lang: "zh", key: key}
		var err error
		if s, lerr := sessions.Load(context.Background(), key); lerr == nil {
			err = f.answer(context.Background(), tt, &s)
		} else {
			err = f.start(context.Background(), tt)
		}
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		var out []string
		for _, r := range tt.out {
			out = append(out, r.Text)
		}
		return strings.Join(out, "\n")
	}
	steps := []struct{ say, want string }{
		{"", "请问您想咨询什么"},
		{"嗯", "描述有点太简单了"},
		{"小区的快递柜在哪里", "请问是哪一类问题？"},
		{"七", "请从下面的选项中选一个"},
		{"2", "请问需要办理什么？"},
		{"确认", ""},
	}
	for _, st := range steps {
		got := say(st.say)
		if !strings.Contains(got, st.want) {
			t.Fatalf("after %q: got %q, want it to contain %q", st.say, got, st.want)
		}
		if st.say == "2" {
			// Resuming after a restart is loading the session: the preview waits there.
			if s := sessions[key]; s.Step != formConfirm || s.Data["category"] != "door_window" {
				t.Fatalf("session after the last field: %+v", s)
			}
		}
	}
	if submitted == nil || submitted["question"] != "小区的快递柜在哪里" || submitted["known"] != "given when started" || submitted["category"] != "door_window" {
		t.Fatalf("submitted %v", submitted)
	}
	if _, ok := sessions[key]; ok {
		t.Fatal("the conversation should be over after submitting")
	}
}
