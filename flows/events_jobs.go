package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// EventsConfig tunes what the events job says, and when.
type EventsConfig struct {
	// Reminders are how long before the start those signed up are reminded privately.
	Reminders []time.Duration
	// LastCall is how long before the sign-up deadline the invitation is repeated in the groups
	// when places are left.
	LastCall time.Duration
	// FeedbackAfter is how long after the start the feedback question goes out.
	FeedbackAfter time.Duration
	// RecapAfter is how long after the start the recap goes to the staff group.
	RecapAfter time.Duration
}

func (c EventsConfig) withDefaults() EventsConfig {
	if len(c.Reminders) == 0 {
		c.Reminders = []time.Duration{24 * time.Hour, time.Hour}
	}
	if c.LastCall <= 0 {
		c.LastCall = 24 * time.Hour
	}
	if c.FeedbackAfter <= 0 {
		c.FeedbackAfter = 3 * time.Hour
	}
	if c.RecapAfter <= 0 {
		c.RecapAfter = 24 * time.Hour
	}
	return c
}

// Notice is something a job says once: its replies are queued under Key, once however often
// the job runs, and then Sessions are opened for the answers it asks for.
type Notice struct {
	Key      string
	Replies  []bot.Reply
	Sessions []guanjia.Session
}

// noticeStale is how long after its time a notice is still worth sending.
const noticeStale = 7 * 24 * time.Hour

// EventsDue works out what the events and surveys have to say as of at: invitations set for a
// time, the last call before the deadline, reminders to those signed up, the feedback question,
// the recap, and the results of surveys that closed.
func (e *Engine) EventsDue(ctx context.Context, at time.Time) ([]Notice, error) {
	if e.Activities == nil {
		return nil, nil
	}
	var out []Notice
	evs, err := e.Activities.Events(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("flows: events: %w", err)
	}
	for _, ev := range evs {
		n, err := e.eventDue(ctx, ev, at)
		if err != nil {
			return out, err
		}
		out = append(out, n...)
	}
	svs, err := e.Activities.Surveys(ctx, "")
	if err != nil {
		return out, fmt.Errorf("flows: surveys: %w", err)
	}
	for _, sv := range svs {
		if at.Before(sv.Closes) || at.After(sv.Closes.Add(noticeStale)) {
			continue
		}
		answers, err := e.Activities.Answers(ctx, sv)
		if err != nil {
			return out, fmt.Errorf("flows: answers of %s: %w", sv.ID, err)
		}
		groups, err := e.audienceGroups(ctx, sv.Community, sv.Buildings)
		if err != nil {
			return out, err
		}
		var rerr error
		n := Notice{Key: "survey-closed:" + sv.ID}
		data := e.resultsData(sv, answers)
		data["Closed"] = true
		for _, g := range groups {
			n.Replies = append(n.Replies, bot.Reply{Channel: g.Channel, ChatID: g.PlatformID, Group: true, Lane: bot.LaneNotice,
				Text: e.render(e.Templates.Lang(""), "survey.results", data, &rerr)})
		}
		if rerr != nil {
			return out, rerr
		}
		out = append(out, n)
	}
	return out, nil
}

func (e *Engine) eventDue(ctx context.Context, ev guanjia.Activity, at time.Time) ([]Notice, error) {
	if ev.Cancelled != "" || at.After(ev.Start.Add(e.Config.Events.RecapAfter+noticeStale)) {
		return nil, nil
	}
	var out []Notice
	var rerr error
	groups, err := e.audienceGroups(ctx, ev.Community, ev.Buildings)
	if err != nil {
		return nil, err
	}
	list, err := e.Activities.SignUps(ctx, ev)
	if err != nil {
		return nil, fmt.Errorf("flows: sign-ups of %s: %w", ev.ID, err)
	}
	taken := 0
	for _, su := range list {
		if su.Confirmed {
			taken += su.Heads
		}
	}
	// The residents are read once for all the homes told privately, and only when some are.
	var residents []guanjia.Person
	read := false
	privately := func(household string, text func(lang string) string) ([]bot.Reply, []guanjia.SessionKey, error) {
		if !read {
			people, err := e.Directory.PeopleByRole(ctx, ev.Community, guanjia.RoleResident)
			if err != nil {
				return nil, nil, fmt.Errorf("flows: residents of %s: %w", ev.Community, err)
			}
			residents, read = people, true
		}
		return e.privately(ctx, residents, household, text)
	}
	// Invitations and last calls to the groups wait out quiet hours, as announcements do.
	if ev.InviteAt.After(ev.CreatedAt) && !at.Before(e.afterQuiet(ev.InviteAt)) && at.Before(ev.Deadline) {
		out = append(out, Notice{Key: "event-invite:" + ev.ID, Replies: e.invitation(ev, groups, "event.invitation", &rerr)})
	}
	lastCall := e.afterQuiet(ev.Deadline.Add(-e.Config.Events.LastCall))
	if taken < ev.Capacity && !at.Before(lastCall) && at.Before(ev.Deadline) && ev.InviteAt.Before(lastCall) {
		out = append(out, Notice{Key: "event-last-call:" + ev.ID, Replies: e.invitation(ev, groups, "event.last_call", &rerr)})
	}
	if d, ok := e.reminderDue(ev, at); ok {
		n := Notice{Key: "event-remind:" + ev.ID + ":" + d.String()}
		for _, su := range list {
			if !su.Confirmed {
				continue
			}
			rs, _, err := privately(su.Household, func(lang string) string {
				return e.render(lang, "event.reminder", map[string]any{"No": ev.No, "Title": ev.Title, "Start": e.when(ev.Start),
					"Place": ev.Place, "Heads": su.Heads}, &rerr)
			})
			if err != nil {
				return out, err
			}
			n.Replies = append(n.Replies, rs...)
		}
		out = append(out, n)
	}
	if !at.Before(ev.Start.Add(e.Config.Events.FeedbackAfter)) {
		n := Notice{Key: "event-feedback:" + ev.ID}
		checked := slices.ContainsFunc(list, func(su guanjia.SignUp) bool { return su.Attended })
		for _, su := range list {
			if checked && !su.Attended || !checked && !su.Confirmed {
				continue
			}
			rs, keys, err := privately(su.Household, func(lang string) string {
				return e.render(lang, "event.feedback_ask", map[string]any{"No": ev.No, "Title": ev.Title}, &rerr)
			})
			if err != nil {
				return out, err
			}
			n.Replies = append(n.Replies, rs...)
			for _, k := range keys {
				n.Sessions = append(n.Sessions, guanjia.Session{Key: k, Flow: flowFeedback, Step: "rating",
					Data: map[string]string{"community": ev.Community, "event": ev.No, "household": su.Household}})
			}
		}
		out = append(out, n)
	}
	if !at.Before(ev.Start.Add(e.Config.Events.RecapAfter)) {
		r, err := e.recap(ctx, ev, list)
		if err != nil {
			return out, err
		}
		n := Notice{Key: "event-recap:" + ev.ID}
		staff, err := e.Directory.ChatsByRole(ctx, ev.Community, guanjia.ChatStaff)
		if err != nil {
			return out, fmt.Errorf("flows: staff groups: %w", err)
		}
		for _, c := range staff {
			n.Replies = append(n.Replies, bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Group: true, Lane: bot.LaneNotice,
				Text: e.render(e.Templates.Lang(""), "event.recap", r, &rerr)})
		}
		if ev.GroupRecap {
			for _, g := range groups {
				n.Replies = append(n.Replies, bot.Reply{Channel: g.Channel, ChatID: g.PlatformID, Group: true, Lane: bot.LaneNotice,
					Text: e.render(e.Templates.Lang(""), "event.recap_group", r, &rerr)})
			}
		}
		out = append(out, n)
	}
	return out, rerr
}

// reminderDue is the reminder due at at: the latest of those whose time has come, before
// the start.
func (e *Engine) reminderDue(ev guanjia.Activity, at time.Time) (time.Duration, bool) {
	if !at.Before(ev.Start) {
		return 0, false
	}
	best, ok := time.Duration(0), false
	for _, d := range e.Config.Events.Reminders {
		if !at.Before(ev.Start.Add(-d)) && ev.CreatedAt.Before(ev.Start.Add(-d)) && (!ok || d < best) {
			best, ok = d, true
		}
	}
	return best, ok
}

// invitation is the event's invitation (or last call) for each group.
func (e *Engine) invitation(ev guanjia.Activity, groups []guanjia.Chat, key string, errp *error) []bot.Reply {
	data := map[string]any{"No": ev.No, "Title": ev.Title, "Start": e.when(ev.Start), "Place": ev.Place,
		"Capacity": ev.Capacity, "Deadline": e.when(ev.Deadline), "Description": ev.Description}
	out := make([]bot.Reply, 0, len(groups))
	for _, g := range groups {
		out = append(out, bot.Reply{Channel: g.Channel, ChatID: g.PlatformID, Group: true, Lane: bot.LaneNotice,
			Text: e.render(e.Templates.Lang(""), key, data, errp)})
	}
	return out
}

// privately builds a message for each private chat still reachable of each of residents
// bound to a household, and the conversation keys of those chats.
func (e *Engine) privately(ctx context.Context, residents []guanjia.Person, household string, text func(lang string) string) ([]bot.Reply, []guanjia.SessionKey, error) {
	to, err := e.householdRecipients(ctx, residents, household)
	if err != nil {
		return nil, nil, err
	}
	var out []bot.Reply
	var keys []guanjia.SessionKey
	for _, r := range to {
		for _, c := range r.Chats {
			out = append(out, bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Lane: bot.LaneNotice, Text: text(e.Templates.Lang(r.Person.Lang))})
			keys = append(keys, guanjia.SessionKey{Channel: c.Channel, Chat: c.PlatformID, Person: c.PlatformID})
		}
	}
	return out, keys, nil
}

// OpenSessions opens the conversations a notice asks for, where the person is not in one.
func (e *Engine) OpenSessions(ctx context.Context, sessions []guanjia.Session) error {
	for _, s := range sessions {
		_, err := e.Sessions.Load(ctx, s.Key)
		if err == nil {
			continue // busy with something else: the notice says how to answer by command
		}
		if !errors.Is(err, guanjia.ErrNotFound) && !errors.Is(err, guanjia.ErrExpired) {
			return fmt.Errorf("flows: open session: %w", err)
		}
		if err := e.save(ctx, &s); err != nil {
			return err
		}
	}
	return nil
}

// EventRecap is the numbers of an event, for the recap and guanjia events show.
type EventRecap map[string]any

// Recap works out an event's numbers.
func (e *Engine) Recap(ctx context.Context, ev guanjia.Activity) (EventRecap, error) {
	list, err := e.Activities.SignUps(ctx, ev)
	if err != nil {
		return nil, fmt.Errorf("flows: sign-ups of %s: %w", ev.ID, err)
	}
	return e.recap(ctx, ev, list)
}

func (e *Engine) recap(ctx context.Context, ev guanjia.Activity, list []guanjia.SignUp) (EventRecap, error) {
	buildings := ev.Buildings
	if len(buildings) == 0 {
		c, err := e.Directory.Community(ctx, ev.Community)
		if err != nil {
			return nil, fmt.Errorf("flows: community %s: %w", ev.Community, err)
		}
		buildings = c.Buildings
	}
	invited := 0
	for _, b := range buildings {
		hs, err := e.Directory.HouseholdsInBuilding(ctx, ev.Community, b)
		if err != nil {
			return nil, fmt.Errorf("flows: households of building %d: %w", b, err)
		}
		invited += len(hs)
	}
	var homes, people, came, cameP, noShow, waiting, rated, sum int
	var comments []string
	for _, su := range list {
		switch {
		case su.Confirmed:
			homes++
			people += su.Heads
			if su.Attended {
				came++
				cameP += su.Heads
			} else {
				noShow++
			}
		default:
			waiting++
		}
		if su.Rating > 0 {
			rated++
			sum += su.Rating
		}
		if su.Comment != "" {
			comments = append(comments, su.Comment)
		}
	}
	avg := ""
	if rated > 0 {
		avg = strconv.FormatFloat(float64(sum)/float64(rated), 'f', 1, 64)
	}
	return EventRecap{"No": ev.No, "Title": ev.Title, "Start": e.when(ev.Start), "Place": ev.Place, "Capacity": ev.Capacity,
		"Invited": invited, "Homes": homes, "People": people, "Came": came, "CameP": cameP, "NoShow": noShow,
		"Waiting": waiting, "Rated": rated, "Checked": slices.ContainsFunc(list, func(su guanjia.SignUp) bool { return su.Attended }), "Average": avg, "Comments": comments, "Cancelled": ev.Cancelled}, nil
}

// feedbackFlow takes the answer to the feedback question: a rating 1–5, then a comment.
type feedbackFlow struct{ e *Engine }

func (f *feedbackFlow) start(ctx context.Context, t *turn) error {
	t.say("event.feedback_how", nil)
	return nil
}

// prompt asks for the rating, or the comment, again (see prompter).
func (f *feedbackFlow) prompt(t *turn, s *guanjia.Session) bool {
	if s.Step == "comment" {
		t.say("event.feedback_comment", nil)
	} else {
		t.say("event.feedback_how", nil)
	}
	return true
}

func (f *feedbackFlow) answer(ctx context.Context, t *turn, s *guanjia.Session) error {
	text := t.text()
	if fields := strings.Fields(text); len(fields) > 0 && eventVerbs[strings.ToLower(stripBotName(fields[0]))] == "rate" {
		// "评价 A… 4 很好" answers the question asked as well as the command would.
		text = strings.TrimSpace(recordNoIn.ReplaceAllString(strings.TrimPrefix(text, fields[0]), ""))
	}
	if s.Step == "comment" {
		comment, reason, _ := optionalText(200)(ctx, t, s, text)
		if reason != "" {
			t.say(reason, nil)
			return f.e.save(ctx, s)
		}
		rating, _ := strconv.Atoi(s.Data["rating"])
		return f.keep(ctx, t, s, rating, comment)
	}
	rating, comment, ok := parseEventRating(text)
	if !ok {
		t.say("event.feedback_bad", nil)
		return f.e.save(ctx, s)
	}
	if comment == "" {
		s.Step, s.Data["rating"] = "comment", strconv.Itoa(rating)
		t.say("event.feedback_comment", nil)
		return f.e.save(ctx, s)
	}
	return f.keep(ctx, t, s, rating, comment)
}

func (f *feedbackFlow) keep(ctx context.Context, t *turn, s *guanjia.Session, rating int, comment string) error {
	ev, err := f.e.Activities.Event(ctx, s.Data["community"], s.Data["event"])
	if err != nil {
		return fmt.Errorf("flows: feedback: %w", err)
	}
	if err := f.e.Activities.PutFeedback(ctx, ev, s.Data["household"], rating, comment, f.e.Now()); err != nil {
		return fmt.Errorf("flows: feedback: %w", err)
	}
	if err := f.e.finish(ctx, t); err != nil {
		return err
	}
	t.say("event.feedback_thanks", map[string]any{"Rating": rating})
	return nil
}

// parseEventRating reads "5", "5分", "4 挺好的" as a rating 1–5 and a comment.
func parseEventRating(text string) (int, string, bool) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return 0, "", false
	}
	first := choiceText(strings.TrimRight(fields[0], "分星颗"))
	n, err := strconv.Atoi(first)
	if err != nil || n < 1 || n > 5 {
		return 0, "", false
	}
	return n, strings.TrimSpace(strings.TrimPrefix(text, fields[0])), true
}

// rateCommand takes feedback given by command: "评价 A… 5 很好".
func (e *Engine) rateCommand(ctx context.Context, t *turn, rest string) error {
	h, ok, err := e.home(ctx, t)
	if err != nil || !ok {
		return err
	}
	ev, ok, err := e.findEvent(ctx, t, rest, "event.feedback_how")
	if err != nil || !ok {
		return err
	}
	rating, comment, ok := parseEventRating(strings.TrimSpace(recordNoIn.ReplaceAllString(rest, "")))
	if !ok {
		t.say("event.feedback_how", nil)
		return nil
	}
	mine, err := e.signedUp(ctx, ev.Community, h.Code, ev.No)
	if err != nil {
		return err
	}
	if len(mine) == 0 || e.Now().Before(ev.Start) {
		t.say("event.feedback_not_yours", map[string]any{"No": ev.No})
		return nil
	}
	if err := e.Activities.PutFeedback(ctx, ev, h.Code, rating, comment, e.Now()); err != nil {
		return fmt.Errorf("flows: feedback: %w", err)
	}
	t.say("event.feedback_thanks", map[string]any{"Rating": rating})
	return nil
}
