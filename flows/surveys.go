package flows

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// Surveys (S…): the office asks the residents of some buildings a question with options; each
// resident answers once and may change the answer until it closes. Results carry counts only,
// never names.

// surveyForm asks for the question, the options, single or multiple choice, the audience, the
// closing time and whether to ask residents privately too.
func (e *Engine) surveyForm() *form {
	f := &form{e: e, name: flowSurvey, summary: "survey.summary"}
	f.begin = e.officeBegin
	f.fields = []field{
		{name: "question", prompt: "survey.ask_question", parse: shortText(100, "survey.bad_question")},
		{name: "options", prompt: "survey.ask_options", parse: func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
			opts := splitOptions(text)
			if len(opts) < guanjia.MinSurveyOptions || len(opts) > guanjia.MaxSurveyOptions {
				return "", "survey.bad_options", nil
			}
			for _, o := range opts {
				if utf8.RuneCountInString(o) > 30 {
					return "", "survey.bad_options", nil
				}
			}
			return strings.Join(opts, "\n"), "", nil
		}},
		{name: "mode", prompt: "survey.ask_mode", options: func(*turn, *guanjia.Session) []option { return modeOptions }},
		{name: "audience", prompt: "event.ask_audience", parse: e.parseAudience},
		{name: "closes", prompt: "survey.ask_closes", parse: func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
			at, reason := e.futureTime(text)
			if reason != "" {
				return "", reason, nil
			}
			return at.Format(time.RFC3339), "", nil
		}},
		{name: "private", prompt: "survey.ask_private", options: func(*turn, *guanjia.Session) []option { return yesNoOptions }},
	}
	f.data = func(t *turn, s *guanjia.Session) map[string]any {
		d := map[string]any{"Question": s.Data["question"], "Options": numbered(strings.Split(s.Data["options"], "\n")),
			"Multiple": s.Data["mode"] == "mode:multiple", "Buildings": s.Data["audience"], "Private": s.Data["private"] == "yes",
			"Max": guanjia.MaxSurveyOptions}
		if at := e.dataTime(s, "closes"); !at.IsZero() {
			d["Closes"] = e.when(at)
		}
		return d
	}
	f.submit = func(ctx context.Context, t *turn, s *guanjia.Session) error {
		now := e.Now()
		sv := guanjia.Survey{Community: s.Data["community"], Question: s.Data["question"], Options: strings.Split(s.Data["options"], "\n"),
			Multiple: s.Data["mode"] == "mode:multiple", Buildings: audienceOf(s.Data["audience"]), Closes: e.dataTime(s, "closes"),
			Private: s.Data["private"] == "yes", CreatedBy: t.person.ID, CreatedAt: now, Submission: s.Data[dataSubmission]}
		if err := sv.Validate(now); err != nil {
			t.say("event.past", nil)
			return f.next(ctx, t, s, 4)
		}
		if err := e.Activities.CreateSurvey(ctx, &sv); err != nil {
			return fmt.Errorf("flows: create survey: %w", err)
		}
		if err := e.finish(ctx, t); err != nil {
			return err
		}
		e.Log.Info("survey created", "survey", sv.ID)
		replies, err := e.SurveyMessages(ctx, sv)
		if err != nil {
			return err
		}
		groups := 0
		for _, r := range replies {
			if r.Group {
				groups++
			}
			t.send(r)
		}
		t.say("survey.created", map[string]any{"No": sv.No, "Groups": groups, "People": len(replies) - groups,
			"Closes": e.when(sv.Closes)})
		return nil
	}
	return f
}

var modeOptions = []option{{"mode:single", "survey.single"}, {"mode:multiple", "survey.multiple"}}

var optionSep = regexp.MustCompile(`[\n/、，,；;|]+`)

// splitOptions reads options typed on one line ("烧烤/电影/徒步") or one a line.
func splitOptions(text string) []string {
	var out []string
	for _, o := range optionSep.Split(text, -1) {
		o = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(o), "0123456789.)）、"))
		if o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// numbered are "1) …" lines.
func numbered(opts []string) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = fmt.Sprintf("%d) %s", i+1, o)
	}
	return out
}

// surveyReply is the survey's message with its buttons; with answers, the counts so far too
// (the group's message kept up to date as residents vote).
func (e *Engine) surveyReply(lang string, sv guanjia.Survey, answers []guanjia.Answer, errp *error) bot.Reply {
	data := map[string]any{"No": sv.No, "Question": sv.Question, "Options": numbered(sv.Options),
		"Multiple": sv.Multiple, "Closes": e.when(sv.Closes), "Counts": []string(nil), "Votes": 0}
	if answers != nil {
		data["Counts"], data["Votes"] = e.countLines(sv, answers), len(answers)
	}
	choices := make([]bot.Choice, len(sv.Options))
	for i, o := range sv.Options {
		choices[i] = bot.Choice{Label: o, Value: "vote:" + sv.No + ":" + strconv.Itoa(i+1)}
	}
	return bot.Reply{Text: e.render(lang, "survey.message", data, errp), Choices: choices, Lane: bot.LaneNotice}
}

// SurveyMessages are a survey as its audience receives it: in each of the audience's groups,
// with a button per option (numbered replies where there are no buttons), and privately to
// each bound resident of the audience when the survey asks them so.
func (e *Engine) SurveyMessages(ctx context.Context, sv guanjia.Survey) ([]bot.Reply, error) {
	var err error
	groups, gerr := e.audienceGroups(ctx, sv.Community, sv.Buildings)
	if gerr != nil {
		return nil, gerr
	}
	build := func(lang string) bot.Reply { return e.surveyReply(lang, sv, nil, &err) }
	var out []bot.Reply
	for _, g := range groups {
		r := build(e.Templates.Lang(""))
		r.Channel, r.ChatID, r.Group = g.Channel, g.PlatformID, true
		out = append(out, r)
	}
	if sv.Private {
		people, perr := e.audienceResidents(ctx, sv.Community, sv.Buildings)
		if perr != nil {
			return nil, perr
		}
		for _, p := range people {
			chats, cerr := e.Directory.PrivateChats(ctx, p.ID)
			if cerr != nil {
				return nil, fmt.Errorf("flows: private chats of %s: %w", p.ID, cerr)
			}
			for _, c := range chats {
				r := build(e.Templates.Lang(p.Lang))
				r.Channel, r.ChatID = c.Channel, c.PlatformID
				out = append(out, r)
			}
		}
	}
	return out, err
}

// voteChoice takes a press of a survey's button: "vote:S20261127-0001:2".
func (e *Engine) voteChoice(ctx context.Context, t *turn, choice string) error {
	parts := strings.Split(choice, ":")
	if len(parts) != 3 {
		return nil
	}
	return e.vote(ctx, t, parts[1]+" "+parts[2])
}

// groupVote takes a bare number in a residents' group ("2", or "1 3" for a multiple-choice
// survey) from a bound resident as a vote, when a survey open for the group's buildings waits
// for answers; with several open, it asks which. It runs only when no conversation of the
// person's waits for an answer in this chat: that conversation's question comes first.
func (e *Engine) groupVote(ctx context.Context, t *turn, text string) (bool, error) {
	if e.Activities == nil || !t.residentsRead() || !t.known || t.person.Household == "" {
		return false, nil
	}
	if _, ok := parsePicks(text, guanjia.MaxSurveyOptions); !ok {
		return false, nil
	}
	community := t.chat.Community
	if community == "" {
		community = t.person.Community
	}
	all, err := e.Activities.Surveys(ctx, community)
	if err != nil {
		return true, fmt.Errorf("flows: surveys: %w", err)
	}
	var open []guanjia.Survey
	for _, sv := range all {
		if !e.Now().Before(sv.Closes) {
			continue
		}
		if len(sv.Buildings) == 0 || slices.ContainsFunc(t.chat.Buildings, sv.For) {
			open = append(open, sv)
		}
	}
	switch len(open) {
	case 0:
		return false, nil
	case 1:
		return true, e.vote(ctx, t, open[0].No+" "+text)
	}
	t.say("survey.which", map[string]any{"Open": len(open), "Nos": surveyNos(open)})
	return true, nil
}

// vote takes an answer: "投票 1", "投票 S… 1 3", or a bare number quoting the survey.
func (e *Engine) vote(ctx context.Context, t *turn, rest string) error {
	if !t.known || t.person.Household == "" {
		t.say("event.bind_first", nil)
		return nil
	}
	h, err := e.Directory.Household(ctx, t.person.Community, t.person.Household)
	if err != nil {
		return fmt.Errorf("flows: household: %w", err)
	}
	var sv guanjia.Survey
	no, named := guanjia.FindRecordNo("S", rest+"\n"+t.msg.Quote)
	if named {
		sv, err = e.Activities.Survey(ctx, t.person.Community, no)
		if errors.Is(err, guanjia.ErrNotFound) {
			t.say("survey.unknown", map[string]any{"No": no})
			return nil
		} else if err != nil {
			return fmt.Errorf("flows: survey %s: %w", no, err)
		}
	} else {
		all, err := e.Activities.Surveys(ctx, t.person.Community)
		if err != nil {
			return fmt.Errorf("flows: surveys: %w", err)
		}
		var open, others []guanjia.Survey
		for _, s := range all {
			switch {
			case !e.Now().Before(s.Closes):
			case s.For(h.Building):
				open = append(open, s)
			default:
				others = append(others, s)
			}
		}
		if len(open) == 0 && len(others) > 0 {
			// Open, only not for this home's building: say so, rather than that nothing is.
			t.say("survey.not_for_you", map[string]any{"No": surveyNos(others)})
			return nil
		}
		if len(open) != 1 {
			t.say("survey.which", map[string]any{"Open": len(open), "Nos": surveyNos(open)})
			return nil
		}
		sv = open[0]
	}
	if !sv.For(h.Building) {
		t.say("survey.not_for_you", map[string]any{"No": sv.No})
		return nil
	}
	if !e.Now().Before(sv.Closes) {
		t.say("survey.closed", map[string]any{"No": sv.No})
		return nil
	}
	picks, ok := parsePicks(recordNoIn.ReplaceAllString(rest, ""), len(sv.Options))
	if !ok || !sv.Multiple && len(picks) != 1 {
		t.say("survey.vote_usage", map[string]any{"No": sv.No, "N": len(sv.Options), "Multiple": sv.Multiple})
		return nil
	}
	err = e.Activities.PutAnswer(ctx, sv, guanjia.Answer{Person: t.person.ID, Household: h.Code, Picks: picks, At: e.Now()})
	if err != nil {
		return fmt.Errorf("flows: answer %s: %w", sv.No, err)
	}
	answers, err := e.Activities.Answers(ctx, sv)
	if err != nil {
		return fmt.Errorf("flows: answers of %s: %w", sv.No, err)
	}
	chosen := make([]string, len(picks))
	for i, p := range picks {
		chosen[i] = sv.Options[p-1]
	}
	voted := map[string]any{"No": sv.No, "Chosen": strings.Join(chosen, "、"), "Counts": e.countLines(sv, answers),
		"Closes": e.when(sv.Closes)}
	if t.msg.PromptID == "" || !t.chat.IsGroup() {
		t.say("survey.voted", voted)
		return nil
	}
	// A press on the survey in a group: the survey shows the counts in place, and the voter
	// hears privately that their answer is kept — a group of two hundred homes is not
	// answered two hundred times.
	seq, err := e.Attempts.CountAttempt(ctx, surveyEditKey(sv), surveyEditWindow)
	if err != nil {
		return fmt.Errorf("flows: survey %s: %w", sv.No, err)
	}
	edit := e.surveyReply(e.Templates.Lang(""), sv, answers, &t.err)
	edit.Channel, edit.ChatID, edit.Group, edit.Edit = t.msg.Channel, t.msg.ChatID, true, t.msg.PromptID
	edit.Unless = SurveyEditUnless(sv, seq)
	t.send(edit)
	c, ok, err := e.privateChatOn(ctx, t.person.ID, t.msg.Channel)
	if err != nil {
		return err
	}
	if !ok {
		t.say("survey.voted", voted)
		return nil
	}
	t.send(bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Text: t.render("survey.voted", voted)})
	return nil
}

// surveyEditWindow is how long a survey's count of edits is kept: longer than any survey runs.
const surveyEditWindow = 90 * 24 * time.Hour

// surveyEditKey counts the edits of a survey's group messages.
func surveyEditKey(sv guanjia.Survey) string { return "survey-edit:" + sv.ID }

// SurveyEditUnless makes an edit of a survey's counts pointless at sending once a later
// vote queued a fresher one (see Engine.ReminderStale): of a burst of votes only the last edit
// goes out, instead of one per vote at the group's pace.
func SurveyEditUnless(sv guanjia.Survey, seq int64) string {
	return "survey|" + surveyEditKey(sv) + "|" + strconv.FormatInt(seq, 10)
}

func surveyNos(list []guanjia.Survey) string {
	nos := make([]string, len(list))
	for i, s := range list {
		nos[i] = s.No
	}
	return strings.Join(nos, "、")
}

// parsePicks reads option numbers, "2" or "1 3" or "1,3"; each 1..n, none twice.
func parsePicks(text string, n int) ([]int, bool) {
	var picks []int
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(" ,，、;；", r) }) {
		p, err := strconv.Atoi(choiceText(f))
		if err != nil || p < 1 || p > n {
			return nil, false
		}
		if !slices.Contains(picks, p) {
			picks = append(picks, p)
		}
	}
	slices.Sort(picks)
	return picks, len(picks) > 0
}

// countLines are "1) 烧烤：3 票" lines.
func (e *Engine) countLines(sv guanjia.Survey, answers []guanjia.Answer) []string {
	counts, _ := guanjia.Counts(sv, answers)
	lines := make([]string, len(sv.Options))
	for i, o := range sv.Options {
		lines[i] = fmt.Sprintf("%d) %s：%d", i+1, o, counts[i])
	}
	return lines
}

// surveyResults answers "问卷结果 S…" with the counts; residents of the audience may ask too.
func (e *Engine) surveyResults(ctx context.Context, t *turn, rest string) error {
	no, ok := guanjia.FindRecordNo("S", rest)
	if !ok {
		t.say("survey.results_usage", nil)
		return nil
	}
	sv, err := e.Activities.Survey(ctx, t.community(), no)
	if errors.Is(err, guanjia.ErrNotFound) {
		t.say("survey.unknown", map[string]any{"No": no})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: survey %s: %w", no, err)
	}
	answers, err := e.Activities.Answers(ctx, sv)
	if err != nil {
		return fmt.Errorf("flows: answers of %s: %w", no, err)
	}
	t.say("survey.results", e.resultsData(sv, answers))
	return nil
}

func (e *Engine) resultsData(sv guanjia.Survey, answers []guanjia.Answer) map[string]any {
	return map[string]any{"No": sv.No, "Question": sv.Question, "Counts": e.countLines(sv, answers), "Answered": len(answers),
		"Closed": !e.Now().Before(sv.Closes), "Closes": e.when(sv.Closes)}
}
