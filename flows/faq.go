package flows

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// questionMarks make a text look like a question worth forwarding to the office.
var questionMarks = []string{"?", "？", "吗", "怎么", "如何", "哪里", "哪儿", "在哪", "哪个", "哪些", "几点", "什么时候", "多少", "能不能", "可以", "是否", "请问"}

func looksLikeQuestion(text string) bool {
	for _, w := range questionMarks {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// bestFAQ returns the entry whose keywords the text hits most; ok is false without a hit.
func bestFAQ(faqs []guanjia.FAQ, text string) (guanjia.FAQ, bool) {
	lower := strings.ToLower(text)
	best, hits := guanjia.FAQ{}, 0
	for _, f := range faqs {
		n := 0
		for _, k := range f.Keywords {
			k = strings.ToLower(strings.TrimSpace(k))
			if !usableKeyword(k) && lower != k {
				continue
			}
			if hasWord(lower, k) {
				n += utf8.RuneCountInString(k) // longer keywords are surer hits
			}
		}
		if n > hits {
			best, hits = f, n
		}
	}
	return best, hits > 0
}

// usableKeyword reports whether a FAQ keyword says enough to match inside a question: one
// Chinese character (的, 费) or two letters are found in almost any question, so they match
// only a question that is exactly that keyword.
func usableKeyword(k string) bool {
	n := utf8.RuneCountInString(k)
	if n == len(k) { // ASCII
		return n >= 3
	}
	return n >= 2
}

// answerFAQ answers a question from the office's FAQ (SPEC 4.4). A question it cannot answer
// is offered to the office as an inquiry ticket. In a group it speaks only when addressed.
func (e *Engine) answerFAQ(ctx context.Context, t *turn, text string) (bool, error) {
	if e.FAQs == nil || t.chat.IsGroup() && !t.msg.Mentioned {
		return false, nil
	}
	community, err := e.communityOf(ctx, t, nil)
	if err != nil || community == "" {
		return false, err
	}
	faqs, err := e.FAQs.FAQs(ctx, community)
	if err != nil {
		return true, fmt.Errorf("flows: faq: %w", err)
	}
	if f, ok := bestFAQ(faqs, text); ok {
		t.say("faq.answer", map[string]any{"Answer": f.Answer})
		return true, nil
	}
	if !looksLikeQuestion(text) || utf8.RuneCountInString(text) < 4 {
		return false, nil
	}
	s := guanjia.Session{Key: t.key, Flow: flowInquiry, Step: stepConfirm,
		Data: map[string]string{"community": community, "question": text}}
	t.ask("inquiry.offer", nil, inquiryOptions)
	return true, e.save(ctx, &s)
}

var inquiryOptions = []option{{"inquiry:yes", "inquiry.choice_yes"}, {"inquiry:no", "inquiry.choice_no"}}

// inquiryFlow forwards a question the FAQ could not answer to the office as a Q ticket.
type inquiryFlow struct{ e *Engine }

func (f *inquiryFlow) start(ctx context.Context, t *turn) error {
	question := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(t.text(), "咨询"), "/ask"))
	community, err := f.e.communityOf(ctx, t, nil)
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(question) < 4 {
		t.say("inquiry.ask_question", nil)
		s := guanjia.Session{Key: t.key, Flow: flowInquiry, Step: stepDescription, Data: map[string]string{"community": community}}
		return f.e.save(ctx, &s)
	}
	s := guanjia.Session{Key: t.key, Flow: flowInquiry, Data: map[string]string{"community": community, "question": question}}
	return f.submit(ctx, t, &s)
}

func (f *inquiryFlow) answer(ctx context.Context, t *turn, s *guanjia.Session) error {
	switch s.Step {
	case stepDescription:
		q := t.text()
		if utf8.RuneCountInString(q) < 4 {
			t.say("inquiry.ask_question", nil)
			return f.e.save(ctx, s)
		}
		s.Data["question"] = q
		return f.submit(ctx, t, s)
	case stepConfirm:
		v, ok := t.pick(inquiryOptions)
		if !ok {
			// Not an answer to the offer: drop it and take the message afresh.
			if err := f.e.finish(ctx, t); err != nil {
				return err
			}
			return f.e.route(ctx, t)
		}
		if v == "inquiry:no" {
			if err := f.e.finish(ctx, t); err != nil {
				return err
			}
			t.say("inquiry.not_sent", nil)
			return nil
		}
		return f.submit(ctx, t, s)
	}
	return fmt.Errorf("flows: inquiry: unknown step %q", s.Step)
}

// submit files the question as an inquiry ticket with a promised reply time.
func (f *inquiryFlow) submit(ctx context.Context, t *turn, s *guanjia.Session) error {
	if s.Data["community"] == "" {
		t.say("common.unknown_community", nil)
		return f.e.finish(ctx, t)
	}
	now := f.e.Now()
	tk := guanjia.Ticket{
		Kind: guanjia.KindInquiry, Community: s.Data["community"], Status: guanjia.StatusSubmitted,
		Reporter: t.person.ID, ReporterName: t.person.Name, Household: t.person.Household,
		Origin:      guanjia.Origin{Channel: t.msg.Channel, Chat: t.msg.ChatID, User: t.msg.SenderID},
		Submission:  s.Data[dataSubmission],
		Description: s.Data["question"], Urgency: guanjia.UrgencyNormal,
		CreatedAt: now, UpdatedAt: now, DueAt: now.Add(f.e.Config.ComplaintReply),
		Timeline: []guanjia.Event{{At: now, Action: guanjia.ActSubmit, Actor: t.person.ID, ActorName: t.person.Name}},
	}
	if err := f.e.Tickets.CreateTicket(ctx, &tk); err != nil {
		return fmt.Errorf("flows: inquiry: submit: %w", err)
	}
	f.e.Log.Info("ticket submitted", "ticket", tk.No, "community", tk.Community)
	f.e.Metrics.FlowCompleted(flowInquiry)
	if err := f.e.finish(ctx, t); err != nil {
		f.e.Log.Warn("end session after submit", "ticket", tk.No, "err", err)
	}
	due := tk.DueAt.In(f.e.location()).Format("01-02 15:04")
	t.say("inquiry.submitted", map[string]any{"No": tk.No, "Hours": int(f.e.Config.ComplaintReply.Hours()), "Due": due})
	return f.e.toStaff(ctx, t, tk.Community, func(lang string, errp *error) bot.Reply {
		return bot.Reply{Text: f.e.render(lang, "inquiry.card", map[string]any{"No": tk.No, "Question": tk.Description,
			"Reporter": tk.ReporterName, "Household": tk.Household, "Due": due}, errp)}
	})
}

// prompt asks for the question again; the offer to pass one on is not worth resuming after
// an alarm (see prompter).
func (f *inquiryFlow) prompt(t *turn, s *guanjia.Session) bool {
	if s.Step != stepDescription {
		return false
	}
	t.say("inquiry.ask_question", nil)
	return true
}
