package flows

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// followUpFlow asks a resident, after their repair is resolved, whether it is fixed and how
// they rate it (SPEC 4.6). "Not fixed" reopens the ticket.
type followUpFlow struct{ e *Engine }

// Follow-up steps.
const (
	stepFixed   = "fixed"
	stepRating  = "rating"
	stepComment = "comment"
)

var fixedOptions = []option{
	{"fixed:yes", "followup.choice_fixed"},
	{"fixed:no", "followup.choice_not_fixed"},
}

// askFollowUp starts the follow-up in the reporter's chat. A resident busy with another
// conversation there is only told the news, so that their answers are not taken over.
func (e *Engine) askFollowUp(ctx context.Context, t *turn, tk guanjia.Ticket, r reporter) error {
	cur, err := e.Sessions.Load(ctx, r.key)
	switch {
	case err == nil && cur.Flow == flowFollowUp && cur.Data["no"] == tk.No:
		// A follow-up of this very ticket left from before it was reopened: asked afresh.
	case err == nil:
		what := e.render(r.lang, kindKey(tk), nil, &t.err)
		t.send(r.reply(e.render(r.lang, "ticket.resolved_busy", map[string]any{"No": tk.No, "What": what}, &t.err), nil))
		return nil
	case !errors.Is(err, guanjia.ErrNotFound) && !errors.Is(err, guanjia.ErrExpired):
		return fmt.Errorf("flows: follow-up: %w", err)
	}
	s := guanjia.Session{Key: r.key, Flow: flowFollowUp, Step: stepFixed,
		Data: map[string]string{"community": tk.Community, "no": tk.No, "kind": string(tk.Kind)}}
	if tk.Kind != guanjia.KindRepair {
		// A complaint or question is not "fixed": the resident rates how it was handled.
		s.Step = stepRating
		if err := e.save(ctx, &s); err != nil {
			return err
		}
		what := e.render(r.lang, kindKey(tk), nil, &t.err)
		t.send(r.reply(e.render(r.lang, "followup.ask_rating_handled", map[string]any{"No": tk.No, "What": what}, &t.err), nil))
		return nil
	}
	if err := e.save(ctx, &s); err != nil {
		return err
	}
	choices := make([]bot.Choice, len(fixedOptions))
	for i, o := range fixedOptions {
		choices[i] = bot.Choice{Label: e.render(r.lang, o.label, nil, &t.err), Value: o.value}
	}
	t.send(r.reply(e.render(r.lang, "followup.ask_fixed", map[string]any{"No": tk.No}, &t.err), choices))
	return nil
}

func (f *followUpFlow) start(_ context.Context, t *turn) error {
	// The follow-up is only ever started by a steward resolving a ticket.
	t.say("common.not_understood", nil)
	return nil
}

func (f *followUpFlow) answer(ctx context.Context, t *turn, s *guanjia.Session) error {
	switch s.Step {
	case stepFixed:
		return f.takeFixed(ctx, t, s)
	case stepRating:
		return f.takeRating(ctx, t, s)
	case stepComment:
		return f.takeComment(ctx, t, s)
	}
	return fmt.Errorf("flows: follow-up: unknown step %q", s.Step)
}

// fixedWords are how people say whether it is fixed without picking an option.
var fixedWords = map[string]string{
	"解决了": "fixed:yes", "修好了": "fixed:yes", "好了": "fixed:yes", "已修好": "fixed:yes", "可以了": "fixed:yes",
	"没问题了": "fixed:yes", "是": "fixed:yes", "是的": "fixed:yes", "yes": "fixed:yes", "fixed": "fixed:yes",
	"好": "fixed:yes", "好的": "fixed:yes", "好啦": "fixed:yes", "嗯": "fixed:yes", "嗯嗯": "fixed:yes", "对": "fixed:yes",
	"ok": "fixed:yes", "搞定了": "fixed:yes", "nope": "fixed:no", "not yet": "fixed:no", "还不行": "fixed:no",
	"没解决": "fixed:no", "未解决": "fixed:no", "没修好": "fixed:no", "还没好": "fixed:no", "没好": "fixed:no",
	"还是坏的": "fixed:no", "不行": "fixed:no", "没有": "fixed:no", "否": "fixed:no", "no": "fixed:no", "not fixed": "fixed:no",
}

// notFixedSigns in an answer say the problem is still there ("没修好，门还是关不上"); they are
// looked for before fixedSigns, which "没修好" also contains.
var notFixedSigns = []string{"没修好", "没有修好", "没解决", "没有解决", "未解决", "没好", "没有好", "还没", "还是",
	"不行", "不好使", "没用", "又坏", "又漏", "还在漏", "关不上", "打不开", "不亮", "不出水", "not fixed", "still", "not working", "doesn't work"}

// fixedSigns in an answer say it is fixed ("好了，修好了").
var fixedSigns = []string{"修好", "好了", "解决了", "可以了", "没问题", "正常了", "好使了", "能用了", "fixed", "works now", "all good"}

// fixedAnswer reads whether an answer in the person's own words says it is fixed.
func fixedAnswer(text string) (string, bool) {
	lower := strings.ToLower(choiceText(text))
	if v, ok := fixedWords[lower]; ok {
		return v, true
	}
	for _, w := range notFixedSigns {
		if strings.Contains(lower, w) {
			return "fixed:no", true
		}
	}
	for _, w := range fixedSigns {
		if strings.Contains(lower, w) {
			return "fixed:yes", true
		}
	}
	return "", false
}

func (f *followUpFlow) takeFixed(ctx context.Context, t *turn, s *guanjia.Session) error {
	v, ok := t.pick(fixedOptions)
	reason := ""
	if !ok {
		v, ok = fixedAnswer(t.text())
		if _, bare := fixedWords[strings.ToLower(choiceText(t.text()))]; ok && !bare {
			// What the resident says beyond yes or no is what the steward needs to know.
			reason = t.text()
		}
	}
	if !ok {
		t.reask("common.pick_one", "followup.ask_fixed", map[string]any{"No": s.Data["no"]}, fixedOptions)
		return f.e.save(ctx, s)
	}
	if v == "fixed:yes" {
		s.Step = stepRating
		t.say("followup.ask_rating", nil)
		return f.e.save(ctx, s)
	}
	note := t.label("followup.choice_not_fixed")
	if reason != "" {
		note = reason
	}
	aboutStaff, err := f.e.namesStaff(ctx, s.Data["community"], reason)
	if err != nil {
		return err
	}
	ev := guanjia.Event{At: f.e.Now(), Actor: t.person.ID, ActorName: t.person.Name, Note: note, Supervisors: aboutStaff}
	tk, err := f.e.changeTicket(ctx, s.Data["community"], s.Data["no"], func(tk *guanjia.Ticket) error {
		stage := guanjia.StageOf(*tk)
		if err := tk.Apply(guanjia.ActReopen, ev); err != nil {
			return err
		}
		f.e.restage(tk, stage, ev.At)
		return nil
	})
	if err != nil && !errors.Is(err, guanjia.ErrConflict) {
		return fmt.Errorf("flows: follow-up reopen: %w", err)
	}
	// ErrConflict: a steward reopened it already; the resident's answer is still heard.
	if err := f.e.finish(ctx, t); err != nil {
		return err
	}
	t.say("followup.reopened", map[string]any{"No": tk.No})
	reopened := func(reason string, withheld bool) func(lang string, errp *error) bot.Reply {
		return func(lang string, errp *error) bot.Reply {
			return bot.Reply{Text: f.e.render(lang, "staff.reopened_by_resident",
				map[string]any{"No": tk.No, "Reason": reason, "Withheld": withheld}, errp)}
		}
	}
	if aboutStaff {
		// What the resident says names a staff member: the group hears that it is reopened,
		// the supervisors what was said.
		if err := f.e.toStaff(ctx, t, tk.Community, reopened("", true)); err != nil {
			return err
		}
		return f.e.toSupervisors(ctx, t, tk.Community, reason, reopened(reason, false))
	}
	return f.e.toStaff(ctx, t, tk.Community, reopened(reason, false))
}

// parseRating reads "5", "5分", "五星", "五星好评", "非常满意", "差评" and the like.
func parseRating(text string) (int, bool) {
	text = choiceText(text)
	said := text
	for _, suffix := range []string{"分", "星", "颗星", " stars", " star"} {
		text = strings.TrimSuffix(text, suffix)
	}
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= 5 {
		return n, true
	}
	if i := strings.Index("一二三四五", text); i >= 0 && len(text) == 3 {
		return i/3 + 1, true
	}
	if m := starsIn.FindStringSubmatch(said); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return n, true
		}
		return strings.Index("一二三四五", m[1])/3 + 1, true
	}
	lower := strings.ToLower(said)
	for _, r := range ratingWords {
		for _, w := range r.words {
			if strings.Contains(lower, w) {
				return r.n, true
			}
		}
	}
	return 0, false
}

// starsIn finds a score given with its unit inside other words: "五星好评", "给5分".
var starsIn = regexp.MustCompile(`([1-5一二三四五])\s*(?:颗)?(?:星|分)`)

// ratingWords are scores said in words, the negative ones first ("不满意" holds "满意").
var ratingWords = []struct {
	n     int
	words []string
}{
	{1, []string{"很不满意", "非常不满意", "特别不满意", "差评", "太差", "很差", "极差", "垃圾"}},
	{2, []string{"不太满意", "不满意", "不怎么样", "不好"}},
	{5, []string{"非常满意", "很满意", "特别满意", "超级满意", "十分满意", "好评", "满分", "非常好", "太棒", "excellent", "very satisfied"}},
	{4, []string{"满意", "不错", "挺好", "很好", "good", "satisfied"}},
	{3, []string{"一般", "还行", "凑合", "马马虎虎", "ok", "okay"}},
}

func (f *followUpFlow) takeRating(ctx context.Context, t *turn, s *guanjia.Session) error {
	n, ok := parseRating(t.text())
	if !ok {
		if text := t.text(); utf8.RuneCountInString(text) >= 4 && !isOneOf(text, skipWords) {
			// Words about the service, no score: kept as the comment, and the score asked for.
			s.Data["comment"] = text
			t.say("followup.rating_for_comment", nil)
			return f.e.save(ctx, s)
		}
		t.say("followup.bad_rating", nil)
		return f.e.save(ctx, s)
	}
	ev := guanjia.Event{At: f.e.Now(), Actor: t.person.ID, ActorName: t.person.Name, Note: strconv.Itoa(n)}
	_, err := f.e.changeTicket(ctx, s.Data["community"], s.Data["no"], func(tk *guanjia.Ticket) error {
		tk.Rating = n
		return tk.Apply(guanjia.ActRate, ev)
	})
	if err != nil {
		return fmt.Errorf("flows: follow-up rating: %w", err)
	}
	s.Step, s.Data["rating"] = stepComment, strconv.Itoa(n)
	if comment, told := s.Data["comment"]; told {
		// The comment came before the score: nothing more to ask.
		return f.recordComment(ctx, t, s, comment)
	}
	t.say("followup.ask_comment", nil)
	return f.e.save(ctx, s)
}

func (f *followUpFlow) takeComment(ctx context.Context, t *turn, s *guanjia.Session) error {
	comment := t.text()
	if isOneOf(comment, skipWords) {
		comment = ""
	}
	return f.recordComment(ctx, t, s, comment)
}

// recordComment puts the resident's comment (none: empty) on the ticket and ends the follow-up.
func (f *followUpFlow) recordComment(ctx context.Context, t *turn, s *guanjia.Session, comment string) error {
	aboutStaff, err := f.e.namesStaff(ctx, s.Data["community"], comment)
	if err != nil {
		return err
	}
	var tk guanjia.Ticket
	if comment != "" {
		ev := guanjia.Event{At: f.e.Now(), Actor: t.person.ID, ActorName: t.person.Name, Note: comment, Supervisors: aboutStaff}
		tk, err = f.e.changeTicket(ctx, s.Data["community"], s.Data["no"], func(tk *guanjia.Ticket) error {
			return tk.Apply(guanjia.ActComment, ev)
		})
		if err != nil {
			return fmt.Errorf("flows: follow-up comment: %w", err)
		}
	} else if tk, err = f.e.Tickets.Ticket(ctx, s.Data["community"], s.Data["no"]); err != nil && !errors.Is(err, guanjia.ErrNotFound) {
		return fmt.Errorf("flows: follow-up: %w", err)
	}
	if err := f.e.finish(ctx, t); err != nil {
		return err
	}
	f.e.Metrics.FlowCompleted(flowFollowUp)
	t.say("followup.thanks", nil)
	rated := func(comment string, withheld bool) func(lang string, errp *error) bot.Reply {
		return func(lang string, errp *error) bot.Reply {
			return bot.Reply{Text: f.e.render(lang, "staff.rated", map[string]any{"No": s.Data["no"], "Rating": s.Data["rating"],
				"Comment": comment, "Withheld": withheld, "What": f.e.render(lang, "kind."+kindOr(s.Data["kind"]), nil, errp)}, errp)}
		}
	}
	if tk.Confidential || errors.Is(err, guanjia.ErrNotFound) {
		// A complaint about a staff member stays with the supervisors to the end: the rating and
		// what the resident says of that person never reach the staff group. A ticket that
		// cannot be read any more is treated the same, rather than guessed to be harmless.
		return f.e.toSupervisors(ctx, t, s.Data["community"], tk.Description+"\n"+comment, rated(comment, false))
	}
	if aboutStaff {
		// A comment about a staff member is a complaint about them: the group sees the rating,
		// the supervisors what was said.
		if err := f.e.toStaff(ctx, t, s.Data["community"], rated("", true)); err != nil {
			return err
		}
		return f.e.toSupervisors(ctx, t, s.Data["community"], comment, rated(comment, false))
	}
	return f.e.toStaff(ctx, t, s.Data["community"], rated(comment, false))
}

// kindOr is a session's ticket kind; sessions from before kinds were kept are repairs.
func kindOr(kind string) string {
	if kind == "" {
		return string(guanjia.KindRepair)
	}
	return kind
}

// prompt asks the follow-up's question again (see prompter).
func (f *followUpFlow) prompt(t *turn, s *guanjia.Session) bool {
	if s.Step == stepComment {
		t.say("followup.ask_comment", nil)
		return true
	}
	f.e.remindFollowUp(t, s)
	return true
}
