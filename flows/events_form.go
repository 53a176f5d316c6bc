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
)

// The forms of events (活动) and surveys (问卷): a page of fields each, run by form.go.

// eventForm asks for an event's title, time, place, capacity, audience, sign-up deadline,
// invitation time, recap and description, shows a preview and creates it on confirm.
func (e *Engine) eventForm() *form {
	f := &form{e: e, name: flowEvent, summary: "event.summary"}
	f.begin = func(ctx context.Context, t *turn, s *guanjia.Session) (bool, error) {
		if ok, err := e.officeBegin(ctx, t, s); !ok || err != nil {
			return ok, err
		}
		if no, ok := guanjia.FindRecordNo("S", t.text()); ok {
			// A survey's winning option names the event.
			sv, err := e.Activities.Survey(ctx, t.community(), no)
			if errors.Is(err, guanjia.ErrNotFound) {
				t.say("survey.unknown", map[string]any{"No": no})
				return false, nil
			} else if err != nil {
				return false, fmt.Errorf("flows: survey %s: %w", no, err)
			}
			answers, err := e.Activities.Answers(ctx, sv)
			if err != nil {
				return false, fmt.Errorf("flows: answers of %s: %w", no, err)
			}
			counts, _ := guanjia.Counts(sv, answers)
			best := 0
			for i, c := range counts {
				if c > counts[best] {
					best = i
				}
			}
			s.Data["title"], s.Data["survey"] = sv.Options[best], sv.No
			if len(sv.Buildings) > 0 {
				s.Data["audience"] = audienceText(sv.Buildings)
			}
			t.say("event.seeded", map[string]any{"No": sv.No, "Title": sv.Options[best]})
		}
		return true, nil
	}
	future := func(key string) func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
		return func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
			at, reason := e.futureTime(text)
			switch {
			case reason != "":
				return "", reason, nil
			case key == "deadline" && at.After(e.dataTime(s, "start")):
				return "", "event.deadline_after_start", nil
			case key == "invite" && !at.Before(e.dataTime(s, "deadline")):
				return "", "event.invite_after_deadline", nil
			}
			return at.Format(time.RFC3339), "", nil
		}
	}
	f.fields = []field{
		{name: "title", prompt: "event.ask_title", skip: func(s *guanjia.Session) bool { return s.Data["title"] != "" },
			parse: shortText(40, "event.bad_title")},
		{name: "start", prompt: "event.ask_start", parse: future("start")},
		{name: "place", prompt: "event.ask_place", parse: shortText(60, "event.bad_place")},
		{name: "capacity", prompt: "event.ask_capacity", parse: func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
			n, err := strconv.Atoi(strings.TrimRight(choiceText(text), "人位个"))
			if err != nil || n < 1 || n > guanjia.MaxEventCapacity {
				return "", "event.bad_capacity", nil
			}
			return strconv.Itoa(n), "", nil
		}},
		{name: "audience", prompt: "event.ask_audience", skip: func(s *guanjia.Session) bool { _, ok := s.Data["audience"]; return ok },
			parse: e.parseAudience},
		{name: "deadline", prompt: "event.ask_deadline", parse: future("deadline")},
		{name: "invite", prompt: "event.ask_invite", options: func(*turn, *guanjia.Session) []option { return inviteOptions },
			parse: future("invite")},
		{name: "recap", prompt: "event.ask_recap", options: func(*turn, *guanjia.Session) []option { return yesNoOptions }},
		{name: "description", prompt: "event.ask_description", parse: optionalText(300)},
	}
	f.data = func(t *turn, s *guanjia.Session) map[string]any {
		d := map[string]any{"Title": s.Data["title"], "Place": s.Data["place"], "Capacity": s.Data["capacity"],
			"Buildings": s.Data["audience"], "Description": s.Data["description"], "Now": s.Data["invite"] == "invite:now",
			"Recap": s.Data["recap"] == "yes", "MaxCapacity": guanjia.MaxEventCapacity}
		for _, k := range []string{"start", "deadline", "invite"} {
			if at := e.dataTime(s, k); !at.IsZero() {
				d[strings.ToUpper(k[:1])+k[1:]] = e.when(at)
			}
		}
		return d
	}
	f.submit = func(ctx context.Context, t *turn, s *guanjia.Session) error {
		now := e.Now()
		capacity, _ := strconv.Atoi(s.Data["capacity"])
		ev := guanjia.Activity{Community: s.Data["community"], Title: s.Data["title"], Place: s.Data["place"],
			Description: s.Data["description"], Start: e.dataTime(s, "start"), Deadline: e.dataTime(s, "deadline"),
			Capacity: capacity, Buildings: audienceOf(s.Data["audience"]), InviteAt: now, Survey: s.Data["survey"],
			GroupRecap: s.Data["recap"] == "yes", CreatedBy: t.person.ID, CreatedAt: now, Submission: s.Data[dataSubmission]}
		if s.Data["invite"] != "invite:now" {
			ev.InviteAt = e.dataTime(s, "invite")
		}
		// An invitation is an announcement: in quiet hours it waits for the morning, as long
		// as the sign-up is still open then.
		quiet := false
		if held := e.afterQuiet(ev.InviteAt); held.After(ev.InviteAt) && held.Before(ev.Deadline) {
			ev.InviteAt, quiet = held, true
		}
		sendNow := s.Data["invite"] == "invite:now" && !quiet
		if err := ev.Validate(now); err != nil {
			// Time passed while the form was open: the times are asked again.
			s.Data = map[string]string{"community": ev.Community, "title": ev.Title, "survey": ev.Survey}
			t.say("event.past", nil)
			return f.next(ctx, t, s, 1)
		}
		if err := e.Activities.CreateEvent(ctx, &ev); err != nil {
			return fmt.Errorf("flows: create event: %w", err)
		}
		if err := e.finish(ctx, t); err != nil {
			return err
		}
		e.Log.Info("event created", "event", ev.ID, "capacity", ev.Capacity)
		groups, err := e.audienceGroups(ctx, ev.Community, ev.Buildings)
		if err != nil {
			return err
		}
		t.say("event.created", map[string]any{"No": ev.No, "Title": ev.Title, "Now": sendNow, "Quiet": quiet,
			"Invite": e.when(ev.InviteAt), "Groups": len(groups)})
		if sendNow {
			for _, r := range e.invitation(ev, groups, "event.invitation", &t.err) {
				t.send(r)
			}
		}
		return nil
	}
	return f
}

// officeBegin starts the office's forms: for staff only, about the community of the turn.
func (e *Engine) officeBegin(ctx context.Context, t *turn, s *guanjia.Session) (bool, error) {
	if !e.staffHere(t) {
		return false, nil
	}
	s.Data["community"] = t.community()
	return true, nil
}

// futureTime reads a time still to come, or the reason to ask for it again.
func (e *Engine) futureTime(text string) (time.Time, string) {
	at, ok := parseEventWhen(text, e.Now(), e.location())
	switch {
	case !ok:
		return time.Time{}, "event.bad_time"
	case !at.After(e.Now()):
		return time.Time{}, "event.past"
	}
	return at, ""
}

// dataTime reads a time a form kept; zero when there is none.
func (e *Engine) dataTime(s *guanjia.Session, key string) time.Time {
	at, err := time.Parse(time.RFC3339, s.Data[key])
	if err != nil {
		return time.Time{}
	}
	return at
}

var (
	inviteOptions = []option{{"invite:now", "event.invite_now"}}
	yesNoOptions  = []option{{"yes", "event.yes"}, {"no", "event.no"}}
)

// shortText keeps an answer of 1 to max characters; a longer one is asked again with tooLong,
// which names max.
func shortText(max int, tooLong string) func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
	return func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
		if n := utf8.RuneCountInString(text); n < 1 || n > max {
			return "", tooLong, nil
		}
		return text, "", nil
	}
}

// optionalText keeps an answer of up to max characters; "无" keeps nothing.
func optionalText(max int) func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
	return func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
		switch strings.ToLower(choiceText(text)) {
		case "无", "没有", "不用", "none", "no", "-":
			return "", "", nil
		}
		if n := utf8.RuneCountInString(text); n < 1 || n > max {
			return "", "form.bad_text", nil
		}
		return text, "", nil
	}
}

var digitsIn = regexp.MustCompile(`\d+`)

// parseAudience reads "全部" (the whole community) or the buildings, "3" or "3、5号楼".
func (e *Engine) parseAudience(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
	switch strings.ToLower(choiceText(text)) {
	case "全部", "全小区", "所有", "全体", "所有楼", "all":
		return "", "", nil
	}
	c, err := e.Directory.Community(ctx, s.Data["community"])
	if err != nil {
		return "", "", fmt.Errorf("community %s: %w", s.Data["community"], err)
	}
	var bs []int
	for _, m := range digitsIn.FindAllString(text, -1) {
		b, _ := strconv.Atoi(m)
		if len(c.Buildings) > 0 && !slices.Contains(c.Buildings, b) || b < 1 {
			return "", "event.bad_audience", nil
		}
		if !slices.Contains(bs, b) {
			bs = append(bs, b)
		}
	}
	if len(bs) == 0 {
		return "", "event.bad_audience", nil
	}
	slices.Sort(bs)
	return audienceText(bs), "", nil
}

// audienceOf turns a kept audience ("3、5") back into buildings; "" is the whole community.
func audienceOf(s string) []int {
	var bs []int
	for _, m := range digitsIn.FindAllString(s, -1) {
		b, _ := strconv.Atoi(m)
		bs = append(bs, b)
	}
	return bs
}

var whenPattern = regexp.MustCompile(`^(?:(\d{4})[-/年.])?(?:(\d{1,2})[-/月.](\d{1,2})[日号]?)?\s*(今天|明天|后天|昨天|前天)?\s*(上午|下午|晚上|中午|早上)?\s*(\d{1,2})(?::(\d{2})|点(半|(\d{1,2})分?)?)$`)

// parseEventWhen reads a time: "2026-11-28 15:00", "11-28 15:00", "11月28日下午3点", "明天 9:30".
// A date without a year is the next such day.
func parseEventWhen(text string, now time.Time, loc *time.Location) (time.Time, bool) {
	text = strings.NewReplacer("：", ":", "　", " ").Replace(strings.TrimSpace(text))
	m := whenPattern.FindStringSubmatch(text)
	if m == nil {
		return time.Time{}, false
	}
	now = now.In(loc)
	y, mo, d := now.Date()
	if m[2] != "" {
		a, _ := strconv.Atoi(m[2])
		b, _ := strconv.Atoi(m[3])
		mo, d = time.Month(a), b
	}
	if m[1] != "" {
		y, _ = strconv.Atoi(m[1])
	}
	// A day named relative to today; one in the past is read, and then refused as past.
	shift := map[string]int{"明天": 1, "后天": 2, "昨天": -1, "前天": -2}[m[4]]
	h, _ := strconv.Atoi(m[6])
	mi := 0
	switch {
	case m[7] != "":
		mi, _ = strconv.Atoi(m[7])
	case m[8] == "半":
		mi = 30
	case m[9] != "":
		mi, _ = strconv.Atoi(m[9])
	}
	if (m[5] == "下午" || m[5] == "晚上") && h < 12 {
		h += 12
	}
	if h > 23 || mi > 59 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	at := time.Date(y, mo, d+shift, h, mi, 0, 0, loc)
	if m[1] == "" && m[2] != "" && at.Before(now.AddDate(0, 0, -1)) {
		at = at.AddDate(1, 0, 0)
	}
	return at, true
}
