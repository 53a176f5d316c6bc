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

// Community events (A…): staff create them with the 活动 form (events_form.go), residents
// sign up, cancel and look at their sign-ups, staff list, check in and call off. The jobs of
// events (invitations, reminders, feedback, recap) are in events_jobs.go.

// Flow names of events and surveys.
const (
	flowEvent    = "event"
	flowSurvey   = "survey"
	flowFeedback = "feedback"
)

// eventVerbs are the command words of events and surveys, as the first word of a message.
var eventVerbs = map[string]string{
	"活动": "create", "组织活动": "create", "发起活动": "create", "/event": "create",
	"问卷": "survey", "发起问卷": "survey", "/survey": "survey",
	"报名": "join", "/join": "join",
	"取消报名": "leave", "/leave": "leave",
	"我的报名": "mine", "/mysignups": "mine",
	"活动列表": "list", "最近活动": "list", "/events": "list",
	"报名名单": "roster", "/roster": "roster",
	"签到": "checkin", "/checkin": "checkin",
	"取消活动": "call_off", "/callevent": "call_off",
	"问卷结果": "results", "/results": "results",
	"投票": "vote", "/vote": "vote",
	"评价": "rate", "/rate": "rate",
}

// eventCommand handles the commands of events and surveys; in the middle of one of their own
// forms the text is the form's answer instead.
func (e *Engine) eventCommand(ctx context.Context, t *turn, text string, sess guanjia.Session) (bool, error) {
	if e.Activities == nil {
		return false, nil
	}
	if strings.HasPrefix(t.msg.Choice, "vote:") {
		return true, e.voteChoice(ctx, t, t.msg.Choice)
	}
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return false, nil
	}
	verb, ok := eventVerbs[strings.ToLower(stripBotName(fields[0]))]
	if !ok {
		return false, nil
	}
	switch sess.Flow {
	case flowEvent, flowSurvey, flowFeedback:
		return false, nil
	}
	rest := strings.TrimSpace(strings.TrimPrefix(text, fields[0]))
	if (verb == "create" || verb == "survey") && sess.Flow != "" && t.known && t.person.IsOffice() && !t.residentsRead() {
		// A new form replaces the unfinished conversation: say so, as switching flows does.
		if err := e.finish(ctx, t); err != nil {
			return true, err
		}
		t.say("common.switched", map[string]any{"Flow": t.label("flow." + sess.Flow)})
	}
	switch verb {
	case "create":
		return true, e.startFlow(ctx, t, flowEvent)
	case "survey":
		return true, e.startFlow(ctx, t, flowSurvey)
	case "join":
		return true, e.join(ctx, t, rest)
	case "leave":
		return true, e.leave(ctx, t, rest)
	case "mine":
		return true, e.mySignUps(ctx, t)
	case "list":
		return true, e.listEvents(ctx, t)
	case "roster":
		return true, e.roster(ctx, t, rest)
	case "checkin":
		return true, e.checkIn(ctx, t, rest)
	case "call_off":
		return true, e.callOff(ctx, t, rest)
	case "results":
		return true, e.surveyResults(ctx, t, rest)
	case "vote":
		return true, e.vote(ctx, t, rest)
	case "rate":
		return true, e.rateCommand(ctx, t, rest)
	}
	return false, nil
}

// community is the community the turn is about: the person's, else the chat's.
func (t *turn) community() string {
	if t.person.Community != "" {
		return t.person.Community
	}
	return t.chat.Community
}

// office reports whether the person may run events here; a resident is told who can.
func (e *Engine) office(t *turn) bool {
	if t.known && t.person.IsOffice() {
		return true
	}
	t.say("event.office_only", nil)
	return false
}

// home is the resident's household, with its building; a person without one is told so.
func (e *Engine) home(ctx context.Context, t *turn) (guanjia.Household, bool, error) {
	if !t.known || t.person.Household == "" {
		t.say("event.bind_first", nil)
		return guanjia.Household{}, false, nil
	}
	h, err := e.Directory.Household(ctx, t.person.Community, t.person.Household)
	if err != nil {
		return h, false, fmt.Errorf("flows: household of %s: %w", t.person.ID, err)
	}
	return h, true, nil
}

// invited reports whether the event's invitation has gone out by now.
func (e *Engine) invited(ev guanjia.Activity) bool { return !e.Now().Before(ev.InviteAt) }

// openEvents lists the events a home of building b can sign up for now.
func (e *Engine) openEvents(ctx context.Context, community string, b int) ([]guanjia.Activity, error) {
	all, err := e.Activities.Events(ctx, community)
	if err != nil {
		return nil, fmt.Errorf("flows: events: %w", err)
	}
	var open []guanjia.Activity
	for _, ev := range all {
		if ev.Open(e.Now()) && e.invited(ev) && (b == 0 || ev.For(b)) {
			open = append(open, ev)
		}
	}
	return open, nil
}

// findEvent finds the event a command names; a missing or unknown number is answered.
func (e *Engine) findEvent(ctx context.Context, t *turn, text, usage string) (guanjia.Activity, bool, error) {
	no, ok := guanjia.FindRecordNo("A", text)
	if !ok {
		t.say(usage, nil)
		return guanjia.Activity{}, false, nil
	}
	ev, err := e.Activities.Event(ctx, t.community(), no)
	if errors.Is(err, guanjia.ErrNotFound) {
		t.say("event.unknown", map[string]any{"No": no})
		return ev, false, nil
	}
	if err != nil {
		return ev, false, fmt.Errorf("flows: event %s: %w", no, err)
	}
	return ev, true, nil
}

var headsIn = regexp.MustCompile(`(\d+|[一二两三四五六七八九十])\s*(?:人|位|个人|people|persons?)`)

// heads reads "2人" from a sign-up; 1 when it says nothing.
func heads(text string) (int, bool) {
	m := headsIn.FindStringSubmatch(text)
	if m == nil {
		rest := strings.TrimSpace(recordNoIn.ReplaceAllString(text, ""))
		if rest == "" {
			return 1, true
		}
		if n, err := strconv.Atoi(choiceText(rest)); err == nil {
			return n, true
		}
		return 1, true // "报名 中秋晚会": the words name the event, not a number
	}
	if d, ok := chineseDigits[m[1]]; ok {
		m[1] = d
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

var recordNoIn = regexp.MustCompile(`(?i)\b[AS]\d{8}-\d{4,}\b`)

// join signs the resident's home up: "报名", "报名 2人", "报名 A20261127-0001 2人".
func (e *Engine) join(ctx context.Context, t *turn, rest string) error {
	h, ok, err := e.home(ctx, t)
	if err != nil || !ok {
		return err
	}
	n, ok := heads(rest)
	if !ok || n < 1 {
		t.say("event.join_usage", nil)
		return nil
	}
	if n > guanjia.MaxHeads {
		t.say("event.too_many", map[string]any{"Max": guanjia.MaxHeads})
		return nil
	}
	var ev guanjia.Activity
	if no, named := guanjia.FindRecordNo("A", rest); named {
		if ev, ok, err = e.findEvent(ctx, t, no, "event.join_usage"); err != nil || !ok {
			return err
		}
	} else {
		open, err := e.openEvents(ctx, t.person.Community, h.Building)
		if err != nil {
			return err
		}
		switch len(open) {
		case 0:
			// Something may be open, only not for this home's building: say so, rather than
			// that nothing is.
			others, err := e.openEvents(ctx, t.person.Community, 0)
			if err != nil {
				return err
			}
			if len(others) == 0 {
				t.say("event.none_open", nil)
				return nil
			}
			ev = others[0]
		case 1:
			ev = open[0]
		default:
			t.say("event.which", map[string]any{"Events": e.eventLines(t.lang, open, &t.err), "Heads": n})
			return nil
		}
	}
	switch {
	case ev.Cancelled != "":
		t.say("event.is_cancelled", map[string]any{"No": ev.No, "Title": ev.Title})
		return nil
	case !ev.For(h.Building) || !e.invited(ev):
		t.say("event.not_for_you", map[string]any{"No": ev.No, "Title": ev.Title, "Buildings": audienceText(ev.Buildings)})
		return nil
	case !ev.Open(e.Now()):
		t.say("event.closed", map[string]any{"No": ev.No, "Title": ev.Title, "Deadline": e.when(ev.Deadline)})
		return nil
	case n > ev.Capacity:
		t.say("event.too_many", map[string]any{"Max": ev.Capacity})
		return nil
	}
	seq, err := e.Attempts.CountAttempt(ctx, "event-arrival:"+ev.ID, eventCounterTTL)
	if err != nil {
		return fmt.Errorf("flows: sign up: %w", err)
	}
	su := guanjia.SignUp{Household: h.Code, Person: t.person.ID, Heads: n, At: e.Now(), Seq: seq}
	su, promoted, err := e.Activities.JoinEvent(ctx, ev, su, e.seatHint(ev))
	if errors.Is(err, guanjia.ErrConflict) {
		return e.tellSignUp(ctx, t, ev, su, "event.already")
	}
	if err != nil {
		return fmt.Errorf("flows: sign up: %w", err)
	}
	e.Log.Info("signed up", "event", ev.ID, "heads", n, "confirmed", su.Confirmed)
	if err := e.tellPromoted(ctx, t, ev, promoted); err != nil {
		return err
	}
	return e.tellSignUp(ctx, t, ev, su, "event.joined")
}

// eventCounterTTL is how long the arrival and seat counters of an event are kept in Redis.
const eventCounterTTL = 120 * 24 * time.Hour

// seatHint is the next seat to try for an event: one atomic count in Redis.
func (e *Engine) seatHint(ev guanjia.Activity) func(context.Context) (int64, error) {
	return func(ctx context.Context) (int64, error) {
		return e.Attempts.CountAttempt(ctx, "event-seat:"+ev.ID, eventCounterTTL)
	}
}

// tellSignUp says where a home stands: confirmed, or waiting at a place in the line.
func (e *Engine) tellSignUp(ctx context.Context, t *turn, ev guanjia.Activity, su guanjia.SignUp, key string) error {
	pos := 0
	if !su.Confirmed {
		list, err := e.Activities.SignUps(ctx, ev)
		if err != nil {
			return fmt.Errorf("flows: sign-ups: %w", err)
		}
		for _, o := range list {
			if !o.Confirmed {
				pos++
			}
			if o.Household == su.Household {
				break
			}
		}
	}
	t.say(key, map[string]any{"No": ev.No, "Title": ev.Title, "Heads": su.Heads, "Confirmed": su.Confirmed,
		"Waiting": pos, "Start": e.when(ev.Start), "Place": ev.Place})
	return nil
}

// leave takes the home's sign-up back and gives its places to the first homes waiting.
func (e *Engine) leave(ctx context.Context, t *turn, rest string) error {
	h, ok, err := e.home(ctx, t)
	if err != nil || !ok {
		return err
	}
	mine, err := e.signedUp(ctx, t.person.Community, h.Code, rest)
	if err != nil {
		return err
	}
	if len(mine) == 0 {
		t.say("event.leave_none", nil)
		return nil
	}
	if len(mine) > 1 {
		evs := make([]guanjia.Activity, len(mine))
		for i, m := range mine {
			evs[i] = m.ev
		}
		t.say("event.leave_which", map[string]any{"Events": e.eventLines(t.lang, evs, &t.err)})
		return nil
	}
	ev := mine[0].ev
	if !e.Now().Before(ev.Start) {
		t.say("event.started", map[string]any{"No": ev.No, "Title": ev.Title})
		return nil
	}
	if _, err := e.Activities.LeaveEvent(ctx, ev, h.Code); errors.Is(err, guanjia.ErrNotFound) {
		t.say("event.leave_none", nil)
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: cancel sign-up: %w", err)
	}
	t.say("event.left", map[string]any{"No": ev.No, "Title": ev.Title})
	return e.promote(ctx, t, ev)
}

// promote gives freed places to the homes waiting and tells them privately.
func (e *Engine) promote(ctx context.Context, t *turn, ev guanjia.Activity) error {
	if ev.Cancelled != "" {
		return nil
	}
	promoted, err := e.Activities.PromoteWaiting(ctx, ev)
	if err != nil {
		return fmt.Errorf("flows: promote waitlist: %w", err)
	}
	return e.tellPromoted(ctx, t, ev, promoted)
}

// tellPromoted tells the homes given places from the waitlist, privately.
func (e *Engine) tellPromoted(ctx context.Context, t *turn, ev guanjia.Activity, promoted []guanjia.SignUp) error {
	for _, su := range promoted {
		e.Log.Info("promoted from waitlist", "event", ev.ID, "heads", su.Heads)
		if err := e.toResidents(ctx, t, su.Household, func(lang string) string {
			return e.render(lang, "event.promoted", map[string]any{"No": ev.No, "Title": ev.Title, "Heads": su.Heads,
				"Start": e.when(ev.Start), "Place": ev.Place}, &t.err)
		}); err != nil {
			return err
		}
	}
	return nil
}

// signUpOf is a home's sign-up with its event.
type signUpOf struct {
	ev guanjia.Activity
	su guanjia.SignUp
}

// signedUp lists the home's sign-ups for events not yet over (of the event named in text, if one is).
func (e *Engine) signedUp(ctx context.Context, community, household, text string) ([]signUpOf, error) {
	all, err := e.Activities.Events(ctx, community)
	if err != nil {
		return nil, fmt.Errorf("flows: events: %w", err)
	}
	no, named := guanjia.FindRecordNo("A", text)
	var out []signUpOf
	for _, ev := range all {
		if named && ev.No != no || !named && (ev.Cancelled != "" || !e.Now().Before(ev.Start)) {
			continue
		}
		list, err := e.Activities.SignUps(ctx, ev)
		if err != nil {
			return nil, fmt.Errorf("flows: sign-ups: %w", err)
		}
		for _, su := range list {
			if su.Household == household {
				out = append(out, signUpOf{ev, su})
			}
		}
	}
	return out, nil
}

// notComingWords are how a resident says the home will not come to an event after all.
var notComingWords = []string{"不去了", "去不了", "来不了", "不参加了", "参加不了"}

// saysNotComing reports whether a short message says the home will not come after all
// ("不去了", "我们家去不了了"), not a question or a longer story.
func saysNotComing(text string) bool {
	whole := strings.TrimRight(strings.TrimSpace(text), "?？!！。.，, ")
	return utf8.RuneCountInString(whole) <= 10 && containsAny(whole, notComingWords...) && !strings.ContainsAny(whole, "吗？?")
}

// notComing answers, outside any conversation in a private chat, a home signed up for an
// event still to come: "不去了" cancels as 取消报名 does, a bare 取消 asks first which
// sign-up is meant and cancels nothing. It reports false when it is not about a sign-up.
func (e *Engine) notComing(ctx context.Context, t *turn, text string, cancel bool) (bool, error) {
	if e.Activities == nil || t.chat.IsGroup() || !t.known || t.person.Household == "" || !cancel && !saysNotComing(text) {
		return false, nil
	}
	mine, err := e.signedUp(ctx, t.person.Community, t.person.Household, "")
	if err != nil || len(mine) == 0 {
		return false, err
	}
	if !cancel {
		return true, e.leave(ctx, t, "")
	}
	if len(mine) != 1 {
		return false, nil
	}
	t.say("event.leave_confirm", map[string]any{"No": mine[0].ev.No, "Title": mine[0].ev.Title})
	return true, nil
}

// mySignUps lists the home's sign-ups.
func (e *Engine) mySignUps(ctx context.Context, t *turn) error {
	if t.chat.IsGroup() {
		// A home's sign-ups are its own business: answered privately, the group told so.
		sent, err := e.answerPrivately(ctx, t, func(private *turn) error { return e.mySignUps(ctx, private) })
		if err != nil {
			return err
		}
		if sent {
			t.say("event.mine_sent_private", nil)
		} else {
			t.say("event.mine_ask_private", nil)
		}
		return nil
	}
	h, ok, err := e.home(ctx, t)
	if err != nil || !ok {
		return err
	}
	mine, err := e.signedUp(ctx, t.person.Community, h.Code, "")
	if err != nil {
		return err
	}
	var lines []string
	for _, m := range mine {
		lines = append(lines, e.render(t.lang, "event.mine_line", map[string]any{"No": m.ev.No, "Title": m.ev.Title,
			"Start": e.when(m.ev.Start), "Place": m.ev.Place, "Heads": m.su.Heads, "Confirmed": m.su.Confirmed}, &t.err))
	}
	t.say("event.mine", map[string]any{"Lines": lines})
	return nil
}

// listEvents answers "最近有什么社区活动": the events open to the person's home (all, to staff).
func (e *Engine) listEvents(ctx context.Context, t *turn) error {
	community := t.community()
	if community == "" {
		t.say("event.bind_first", nil)
		return nil
	}
	b := 0
	if t.known && t.person.Household != "" {
		h, err := e.Directory.Household(ctx, community, t.person.Household)
		if err != nil {
			return fmt.Errorf("flows: household: %w", err)
		}
		b = h.Building
	} else if t.chat.IsGroup() && len(t.chat.Buildings) == 1 {
		b = t.chat.Buildings[0]
	}
	open, err := e.openEvents(ctx, community, b)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		t.say("event.none_open", nil)
		return nil
	}
	t.say("event.list", map[string]any{"Events": e.eventLines(t.lang, open, &t.err)})
	return nil
}

// eventLines are one line per event: number, title, time, place.
func (e *Engine) eventLines(lang string, evs []guanjia.Activity, errp *error) []string {
	lines := make([]string, len(evs))
	for i, ev := range evs {
		lines[i] = e.render(lang, "event.line", map[string]any{"No": ev.No, "Title": ev.Title, "Start": e.when(ev.Start),
			"Place": ev.Place, "Deadline": e.when(ev.Deadline)}, errp)
	}
	return lines
}

// when is a time as people read it in the office's zone.
func (e *Engine) when(at time.Time) string { return at.In(e.location()).Format("2006-01-02 15:04") }

// audienceText is an audience as people read it: "3号楼、5号楼", or "" for everyone.
func audienceText(bs []int) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = strconv.Itoa(b)
	}
	return strings.Join(parts, "、")
}

// staffHere reports whether the office may do this here: privately or in a staff group, where
// residents do not read along.
func (e *Engine) staffHere(t *turn) bool {
	if !e.office(t) {
		return false
	}
	if t.residentsRead() {
		t.say("event.staff_privately", nil)
		return false
	}
	return true
}

// roster lists an event's homes, head counts and waitlist for the office.
func (e *Engine) roster(ctx context.Context, t *turn, rest string) error {
	if !e.staffHere(t) {
		return nil
	}
	ev, ok, err := e.findEvent(ctx, t, rest, "event.roster_usage")
	if err != nil || !ok {
		return err
	}
	list, err := e.Activities.SignUps(ctx, ev)
	if err != nil {
		return fmt.Errorf("flows: roster: %w", err)
	}
	var in, wait []map[string]any
	people := 0
	for _, su := range list {
		row := map[string]any{"Household": su.Household, "Heads": su.Heads, "Attended": su.Attended}
		if su.Confirmed {
			in = append(in, row)
			people += su.Heads
		} else {
			row["Pos"] = len(wait) + 1
			wait = append(wait, row)
		}
	}
	t.say("event.roster", map[string]any{"No": ev.No, "Title": ev.Title, "Start": e.when(ev.Start), "In": in,
		"Wait": wait, "People": people, "Capacity": ev.Capacity, "Cancelled": ev.Cancelled})
	return nil
}

// checkIn marks a home as come: "签到 A… 3-1-1201".
func (e *Engine) checkIn(ctx context.Context, t *turn, rest string) error {
	if !e.office(t) {
		return nil
	}
	ev, ok, err := e.findEvent(ctx, t, rest, "event.checkin_usage")
	if err != nil || !ok {
		return err
	}
	code := strings.TrimSpace(recordNoIn.ReplaceAllString(rest, ""))
	if _, err := guanjia.ParseHouseholdCode(code); err != nil {
		t.say("event.checkin_usage", nil)
		return nil
	}
	list, err := e.Activities.SignUps(ctx, ev)
	if err != nil {
		return fmt.Errorf("flows: check in: %w", err)
	}
	i := slices.IndexFunc(list, func(su guanjia.SignUp) bool { return su.Household == code })
	if i < 0 {
		t.say("event.checkin_unknown", map[string]any{"No": ev.No, "Household": code})
		return nil
	}
	err = e.Activities.CheckIn(ctx, ev, code, e.Now())
	if errors.Is(err, guanjia.ErrConflict) {
		t.say("event.checkin_again", map[string]any{"Household": code})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: check in: %w", err)
	}
	t.say("event.checked_in", map[string]any{"No": ev.No, "Household": code, "Heads": list[i].Heads, "Waiting": !list[i].Confirmed})
	return nil
}

// callOff cancels an event and tells every home signed up, and the groups invited.
func (e *Engine) callOff(ctx context.Context, t *turn, rest string) error {
	if !e.office(t) {
		return nil
	}
	ev, ok, err := e.findEvent(ctx, t, rest, "event.call_off_usage")
	if err != nil || !ok {
		return err
	}
	reason := strings.TrimSpace(recordNoIn.ReplaceAllString(rest, ""))
	if reason == "" {
		t.say("event.call_off_usage", nil)
		return nil
	}
	if !e.Now().Before(ev.Start) {
		t.say("event.started", map[string]any{"No": ev.No, "Title": ev.Title})
		return nil
	}
	err = e.Activities.CancelEvent(ctx, ev.Community, ev.No, reason, e.Now())
	if errors.Is(err, guanjia.ErrConflict) {
		t.say("event.is_cancelled", map[string]any{"No": ev.No, "Title": ev.Title})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: cancel event: %w", err)
	}
	list, err := e.Activities.SignUps(ctx, ev)
	if err != nil {
		return fmt.Errorf("flows: cancel event: %w", err)
	}
	data := map[string]any{"No": ev.No, "Title": ev.Title, "Start": e.when(ev.Start), "Reason": reason}
	for _, su := range list {
		if err := e.toResidents(ctx, t, su.Household, func(lang string) string {
			return e.render(lang, "event.called_off", data, &t.err)
		}); err != nil {
			return err
		}
	}
	if e.invited(ev) {
		groups, err := e.audienceGroups(ctx, ev.Community, ev.Buildings)
		if err != nil {
			return err
		}
		for _, g := range groups {
			t.send(bot.Reply{Channel: g.Channel, ChatID: g.PlatformID, Group: true, Lane: bot.LaneNotice,
				Text: e.render(e.Templates.Lang(""), "event.called_off", data, &t.err)})
		}
	}
	e.Log.Info("event cancelled", "event", ev.ID, "homes", len(list))
	t.say("event.call_off_done", map[string]any{"No": ev.No, "Homes": len(list)})
	return nil
}

// audienceGroups are the residents' groups of a community serving any of the buildings (all
// of them for a community-wide audience).
func (e *Engine) audienceGroups(ctx context.Context, community string, buildings []int) ([]guanjia.Chat, error) {
	chats, err := e.Directory.ChatsByRole(ctx, community, guanjia.ChatBuilding)
	if err != nil {
		return nil, fmt.Errorf("flows: groups of %s: %w", community, err)
	}
	var out []guanjia.Chat
	for _, c := range chats {
		if c.Unreachable != "" {
			continue
		}
		if len(buildings) == 0 || slices.ContainsFunc(c.Buildings, func(b int) bool { return slices.Contains(buildings, b) }) {
			out = append(out, c)
		}
	}
	return out, nil
}

// audienceResidents are the bound residents of the buildings (all, for a community-wide audience).
func (e *Engine) audienceResidents(ctx context.Context, community string, buildings []int) ([]guanjia.Person, error) {
	people, err := e.Directory.PeopleByRole(ctx, community, guanjia.RoleResident)
	if err != nil {
		return nil, fmt.Errorf("flows: residents of %s: %w", community, err)
	}
	var out []guanjia.Person
	for _, p := range people {
		b, err := guanjia.ParseHouseholdCode(p.Household)
		if err == nil && (len(buildings) == 0 || slices.Contains(buildings, b)) {
			out = append(out, p)
		}
	}
	return out, nil
}

// eventIntent answers events asked about in the person's own words: "我想报名那个活动" signs
// up, "不去了，取消报名" cancels, "最近有什么社区活动" lists what is open.
func (e *Engine) eventIntent(ctx context.Context, t *turn, text string) error {
	asks := strings.ContainsAny(text, "吗？?") || strings.Contains(text, "什么") || strings.Contains(text, "哪")
	organise := !asks && containsAny(text, "组织", "发起", "办个", "办一", "创建", "做个", "做一")
	switch {
	case organise && containsAny(text, "问卷", "投票", "调查", "征集"):
		return e.startFlow(ctx, t, flowSurvey)
	case organise:
		return e.startFlow(ctx, t, flowEvent)
	case strings.Contains(text, "我报名的") || strings.Contains(text, "我的报名"):
		return e.mySignUps(ctx, t)
	case asks:
		return e.listEvents(ctx, t)
	case strings.Contains(text, "取消报名") || strings.Contains(text, "不参加"):
		return e.leave(ctx, t, text)
	case strings.Contains(text, "报名") || strings.Contains(text, "报个名") || strings.Contains(text, "参加"):
		n := ""
		if m := headsIn.FindString(text); m != "" {
			n = m
		}
		return e.join(ctx, t, n)
	}
	return e.listEvents(ctx, t)
}

func containsAny(text string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}
