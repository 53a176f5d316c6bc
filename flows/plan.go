package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// The plan of a steward's day and the lists of work: what is open, overdue and due for a
// call-back in the buildings they look after.

// looksAfter reports whether a ticket is in what a staff member looks after: a supervisor the
// whole community, a steward their buildings (and tickets of no building).
func looksAfter(p guanjia.Person, tk guanjia.Ticket) bool {
	if tk.Community != p.Community || tk.Confidential && !p.IsSupervisor() {
		return false
	}
	if p.IsSupervisor() || len(p.Buildings) == 0 || tk.Building == 0 {
		return true
	}
	return slices.Contains(p.Buildings, tk.Building)
}

// workOf lists the open tickets a person looks after, overdue first, then urgent, then by due
// time; and the call-backs due.
func (e *Engine) workOf(ctx context.Context, p guanjia.Person, at time.Time) (open, callBacks []guanjia.Ticket, err error) {
	list, err := e.Workday.WorkTickets(ctx, p.Community)
	if err != nil {
		return nil, nil, fmt.Errorf("flows: work of %s: %w", p.ID, err)
	}
	open, callBacks = workIn(list, p, at)
	return open, callBacks, nil
}

// workIn is workOf among the community's work tickets, list.
func workIn(list []guanjia.Ticket, p guanjia.Person, at time.Time) (open, callBacks []guanjia.Ticket) {
	for _, tk := range list {
		switch {
		case !looksAfter(p, tk):
		case tk.Open():
			open = append(open, tk)
		case callBackOpen(tk):
			callBacks = append(callBacks, tk)
		}
	}
	slices.SortStableFunc(open, func(a, b guanjia.Ticket) int {
		if x, y := guanjia.Overdue(a, at), guanjia.Overdue(b, at); x != y {
			return boolOrder(x)
		}
		if x, y := a.Urgency == guanjia.UrgencyUrgent, b.Urgency == guanjia.UrgencyUrgent; x != y {
			return boolOrder(x)
		}
		return a.DueAt.Compare(b.DueAt)
	})
	return open, callBacks
}

func boolOrder(first bool) int {
	if first {
		return -1
	}
	return 1
}

// ticketLine is one line of a list of work.
func (e *Engine) ticketLine(lang string, tk guanjia.Ticket, at time.Time, errp *error) string {
	stage := guanjia.StageOf(tk)
	return e.render(lang, "plan.ticket", map[string]any{"No": tk.No, "What": e.render(lang, kindKey(tk), nil, errp),
		"Address": tk.Address, "Category": e.render(lang, CategoryKey(tk), nil, errp), "Description": clip(tk.Description, 20),
		"Status": e.render(lang, "status."+string(tk.Status), nil, errp), "Urgent": tk.Urgency == guanjia.UrgencyUrgent,
		"Overdue": guanjia.Overdue(tk, at), "Stage": e.render(lang, "stage."+string(stage), nil, errp), "HasDue": stage != guanjia.StageNone && !tk.DueAt.IsZero(),
		"Due": tk.DueAt.In(e.location()).Format("01-02 15:04"), "Assignee": tk.AssigneeName}, errp)
}

// clip shortens a text to n characters for a list on a phone.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// PlanSection is a part of a steward's plan that another feature keeps (today's events and
// announcements, dunning tasks): a title and lines, in the steward's language; no lines, no part.
type PlanSection func(ctx context.Context, steward guanjia.Person, at time.Time, lang string) (title string, lines []string, err error)

// planPart is one part of a plan that a PlanSection gave.
type planPart struct {
	Title string
	Lines []string
}

// planTickets is how many tickets a plan lists, the most pressing first.
const planTickets = 10

// Plan works out a steward's plan of the day as of at, in their language: the open items of the
// last handover to them, their priorities, the open tickets of their buildings (overdue first),
// the call-backs due, and the residents of their buildings who need care, with notes.
func (e *Engine) Plan(ctx context.Context, p guanjia.Person, at time.Time) (string, error) {
	var errp error
	lang := e.Templates.Lang(p.Lang)
	open, callBacks, err := e.workOf(ctx, p, at)
	if err != nil {
		return "", err
	}
	day := at.In(e.location()).Format("2006-01-02")
	prios, err := e.Workday.Priorities(ctx, p.ID, day)
	if err != nil {
		return "", fmt.Errorf("flows: plan: %w", err)
	}
	var handover []string
	hs, err := e.Workday.Handovers(ctx, p.Community, 20)
	if err != nil {
		return "", fmt.Errorf("flows: plan: %w", err)
	}
	for _, h := range hs {
		if h.To != p.ID {
			continue
		}
		for _, it := range h.Items {
			handover = append(handover, e.render(lang, "plan.handover_item", map[string]any{"Item": it.Summary, "Reason": it.Reason,
				"From": h.FromName, "Confirmed": !it.ConfirmedAt.IsZero()}, &errp))
		}
		if h.Note != "" {
			handover = append(handover, e.render(lang, "plan.handover_note", map[string]any{"Note": h.Note, "From": h.FromName}, &errp))
		}
		break
	}
	var tickets, calls, mine []string
	for i, tk := range open {
		if i == planTickets {
			// Short enough to read on a phone: the rest are one 待办 away.
			tickets = append(tickets, e.render(lang, "plan.more", map[string]any{"More": len(open) - i}, &errp))
			break
		}
		tickets = append(tickets, e.ticketLine(lang, tk, at, &errp))
	}
	for _, tk := range callBacks {
		calls = append(calls, e.render(lang, "plan.callback", map[string]any{"No": tk.No, "Address": tk.Address}, &errp))
	}
	for _, pr := range prios {
		mine = append(mine, pr.Text)
	}
	care, err := e.careRegister(ctx, p, lang, &errp)
	if err != nil {
		return "", err
	}
	var extra []planPart
	for _, section := range e.PlanSections {
		title, lines, err := section(ctx, p, at, lang)
		if err != nil {
			return "", fmt.Errorf("flows: plan: %w", err)
		}
		if len(lines) > 0 {
			extra = append(extra, planPart{Title: title, Lines: lines})
		}
	}
	text := e.render(lang, "plan.text", map[string]any{"Name": p.Name, "Day": day, "Handover": handover, "Priorities": mine,
		"Tickets": tickets, "Open": len(open), "CallBacks": calls, "Care": care, "Buildings": buildingsText(p), "Extra": extra}, &errp)
	return text, errp
}

// buildingsText names the buildings a steward looks after: "1、2、3".
func buildingsText(p guanjia.Person) string {
	s := make([]string, len(p.Buildings))
	for i, b := range p.Buildings {
		s[i] = fmt.Sprint(b)
	}
	return strings.Join(s, "、")
}

// sayPlan shows the plan on demand (今日计划), in private only: it names residents who need care.
func (e *Engine) sayPlan(ctx context.Context, t *turn) error {
	text, err := e.Plan(ctx, t.person, e.Now())
	if err != nil {
		return err
	}
	return e.sayPrivately(ctx, t, text)
}

// sayPrivately answers in the person's private chat: asked in the staff group, the answer goes
// to their private chat on the same channel, and the group is told where it went.
func (e *Engine) sayPrivately(ctx context.Context, t *turn, text string) error {
	if !t.chat.IsGroup() {
		t.send(t.here(text, nil))
		return nil
	}
	c, ok, err := e.privateChatOn(ctx, t.person.ID, t.msg.Channel)
	if err != nil {
		return err
	}
	if !ok {
		t.say("plan.private_only", nil)
		return nil
	}
	t.send(bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Text: text})
	t.say("plan.sent_private", nil)
	return nil
}

// addPriority adds the steward's own priority of the day (今日重点 <text>).
func (e *Engine) addPriority(ctx context.Context, t *turn, text string) error {
	if n := len([]rune(text)); n < 2 || n > 200 {
		t.say("plan.priority_usage", nil)
		return nil
	}
	now := e.Now()
	err := e.Workday.AddPriority(ctx, guanjia.Priority{Person: t.person.ID, Day: now.In(e.location()).Format("2006-01-02"), Text: text, At: now})
	if err != nil {
		return fmt.Errorf("flows: priority: %w", err)
	}
	t.say("plan.priority_added", map[string]any{"Text": text})
	return nil
}

// myTasks lists the open jobs assigned to a worker (我的任务); a steward also sees what they accepted.
func (e *Engine) myTasks(ctx context.Context, t *turn) error {
	list, err := e.openJobsOf(ctx, t.person)
	if err != nil {
		return err
	}
	now := e.Now()
	var lines []string
	for _, tk := range list {
		lines = append(lines, e.ticketLine(t.lang, tk, now, &t.err))
	}
	if len(lines) == 0 {
		t.say("plan.no_tasks", nil)
		return nil
	}
	t.say("plan.tasks", map[string]any{"Lines": lines})
	return nil
}

// todo lists what a steward has to do (待办), or only what is overdue (逾期).
func (e *Engine) todo(ctx context.Context, t *turn, overdueOnly bool) error {
	now := e.Now()
	open, calls, err := e.workOf(ctx, t.person, now)
	if err != nil {
		return err
	}
	var lines, callLines []string
	for _, tk := range open {
		if !overdueOnly || guanjia.Overdue(tk, now) {
			lines = append(lines, e.ticketLine(t.lang, tk, now, &t.err))
		}
	}
	if overdueOnly {
		if len(lines) == 0 {
			t.say("plan.no_overdue", nil)
			return nil
		}
		t.say("plan.overdue", map[string]any{"Lines": lines})
		return nil
	}
	for _, tk := range calls {
		callLines = append(callLines, t.render("plan.callback", map[string]any{"No": tk.No, "Address": tk.Address}))
	}
	if len(lines) == 0 && len(callLines) == 0 {
		t.say("plan.no_todo", nil)
		return nil
	}
	t.say("plan.todo", map[string]any{"Lines": lines, "CallBacks": callLines})
	return nil
}

// MorningPlans works out the plan of every steward whose shift started within the hour before
// at (default 08:30, per person), sent privately once per person and day.
func (e *Engine) MorningPlans(ctx context.Context, at time.Time) ([]Notice, error) {
	communities, err := e.Directory.Communities(ctx)
	if err != nil {
		return nil, fmt.Errorf("flows: morning plan: %w", err)
	}
	local := at.In(e.location())
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, e.location())
	var out []Notice
	for _, c := range communities {
		list, err := e.stewards(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range list {
			m, err := guanjia.ParseShiftStart(p.ShiftStart)
			if err != nil {
				e.Log.Warn("steward's shift start is not a time", "person", p.ID)
				continue
			}
			start := midnight.Add(time.Duration(m) * time.Minute)
			if at.Before(start) || at.Sub(start) >= time.Hour {
				continue
			}
			text, err := e.Plan(ctx, p, at)
			if err != nil {
				return nil, err
			}
			t := e.jobTurn()
			if _, err := e.toPerson(ctx, t, p, func(string) bot.Reply { return bot.Reply{Text: text, Lane: bot.LaneNotice} }); err != nil {
				return nil, err
			}
			out = append(out, Notice{Key: "morning-plan/" + p.ID + "@" + local.Format("2006-01-02"), Replies: t.out})
		}
	}
	return out, nil
}

// personNamed finds a staff member of the community by name; ok false when there is none.
func (e *Engine) personNamed(ctx context.Context, community, name string) (guanjia.Person, bool, error) {
	p, err := e.Directory.PersonByName(ctx, community, name)
	if errors.Is(err, guanjia.ErrNotFound) {
		return p, false, nil
	} else if err != nil {
		return p, false, fmt.Errorf("flows: find %s: %w", name, err)
	}
	return p, true, nil
}

// careRegister lists the residents of a steward's buildings who need care, with their notes:
// private, for the steward's eyes only.
func (e *Engine) careRegister(ctx context.Context, p guanjia.Person, lang string, errp *error) ([]string, error) {
	residents, err := e.Directory.PeopleByRole(ctx, p.Community, guanjia.RoleResident)
	if err != nil {
		return nil, fmt.Errorf("flows: care register: %w", err)
	}
	var care []string
	for _, r := range residents {
		b, err := guanjia.ParseHouseholdCode(r.Household)
		if len(r.CareTags) == 0 || err != nil || !p.IsSupervisor() && len(p.Buildings) > 0 && !slices.Contains(p.Buildings, b) {
			continue
		}
		var tags []string
		for _, tag := range r.CareTags {
			tags = append(tags, e.render(lang, "care."+string(tag), nil, errp))
		}
		care = append(care, e.render(lang, "plan.care", map[string]any{"Name": r.Name, "Household": r.Household,
			"Tags": strings.Join(tags, "、"), "Note": r.CareNote}, errp))
	}
	return care, nil
}

// sayCare shows the care register of the steward's buildings, in private only.
func (e *Engine) sayCare(ctx context.Context, t *turn) error {
	care, err := e.careRegister(ctx, t.person, t.lang, &t.err)
	if err != nil {
		return err
	}
	return e.sayPrivately(ctx, t, t.render("plan.care_list", map[string]any{"Care": care}))
}

// recentHandovers shows the latest handovers the steward gave or took, with both confirmations.
func (e *Engine) recentHandovers(ctx context.Context, t *turn) error {
	list, err := e.Workday.Handovers(ctx, t.person.Community, 20)
	if err != nil {
		return fmt.Errorf("flows: handovers: %w", err)
	}
	var lines []string
	for _, h := range list {
		if h.From != t.person.ID && h.To != t.person.ID && !t.person.IsSupervisor() {
			continue
		}
		confirmed := ""
		if h.Confirmed() {
			confirmed = h.ConfirmedAt.In(e.location()).Format("01-02 15:04")
		}
		d := handoverData(h)
		d["At"], d["Confirmed"] = h.At.In(e.location()).Format("01-02 15:04"), confirmed
		lines = append(lines, t.render("handover.line", d))
		if len(lines) == 3 {
			break
		}
	}
	if len(lines) == 0 {
		t.say("handover.no_records", nil)
		return nil
	}
	t.say("handover.records", map[string]any{"Lines": lines})
	return nil
}
