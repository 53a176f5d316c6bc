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

// Dunning keeps the dunning ladder's records: which fee messages went out (one a household a
// day), and what stewards and residents did about them.
type Dunning interface {
	// AllArrears is what every household of a community owes, by household, in one read.
	AllArrears(ctx context.Context, community string) (map[string][]guanjia.Arrear, error)
	DunningActions(ctx context.Context, community, household string) ([]guanjia.DunningAction, error)
	AddDunningAction(ctx context.Context, a guanjia.DunningAction) (guanjia.DunningAction, error)
	// ClaimFeeMessage claims the household's day for a purpose; ok is false when the day went
	// to another message.
	ClaimFeeMessage(ctx context.Context, m guanjia.FeeMessage) (guanjia.FeeMessage, bool, error)
	FeeMessages(ctx context.Context, community string, since time.Time) ([]guanjia.FeeMessage, error)
	HouseholdFeeMessages(ctx context.Context, community, household string, since time.Time) ([]guanjia.FeeMessage, error)
}

// ManualReminderGap is how long after a steward's 催缴 the next one for the household waits.
const ManualReminderGap = 3 * 24 * time.Hour

// MaxPromise is how far ahead a resident may promise to pay; later is a matter for the steward.
const MaxPromise = 60 * 24 * time.Hour

// ClaimHold is how long a resident's 已缴 holds the reminders while the steward checks it.
const ClaimHold = 3 * 24 * time.Hour

// AnswerWindow is how long after a fee message (the month's bill notice, a reminder) a
// resident's 已缴, 有疑问, promise or hardship is taken as the answer to it before the due date.
const AnswerWindow = 45 * 24 * time.Hour

// DunningSteps is the community's ladder: days after the due date.
func (e *Engine) DunningSteps(community string) []int {
	for _, k := range []string{community, "*"} {
		if s, ok := e.Config.DunningSteps[k]; ok && len(s) >= 2 {
			return s
		}
	}
	return guanjia.DefaultDunningSteps
}

// Day is the office's calendar day of at, "2006-01-02".
func (e *Engine) Day(at time.Time) string { return at.In(e.location()).Format("2006-01-02") }

// dunningCommand recognises the staff's dunning commands and a resident's answers to a reminder.
// A resident's answer counts only outside a conversation: "有问题" may describe a repair.
func (e *Engine) dunningCommand(ctx context.Context, t *turn, text string, inFlow bool) (bool, error) {
	if e.Dunning == nil {
		return false, nil
	}
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return false, nil
	}
	if isNoticeCommand(fields[0]) {
		return true, e.startFlow(ctx, t, flowFeeNotice)
	}
	switch strings.ToLower(stripBotName(fields[0])) {
	case "欠费名单", "/arrears":
		if len(fields) > 2 {
			return true, sayUsage(t, "dunning.list_usage")
		}
		building := 0
		if len(fields) == 2 {
			b, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(fields[1], "号楼"), "栋"))
			if err != nil || b <= 0 {
				return true, sayUsage(t, "dunning.list_usage")
			}
			building = b
		}
		return true, e.arrearsList(ctx, t, building)
	case "催缴", "/remind":
		if len(fields) != 2 {
			return true, sayUsage(t, "dunning.remind_usage")
		}
		return true, e.remindNow(ctx, t, fields[1])
	case "暂停催缴", "/pause":
		if len(fields) < 3 {
			return true, sayUsage(t, "dunning.pause_usage")
		}
		return true, e.steer(ctx, t, "verb.pause_dunning", guanjia.DunningPause, fields[1], strings.Join(fields[2:], " "))
	case "恢复催缴", "/resume":
		if len(fields) != 2 {
			return true, sayUsage(t, "dunning.resume_usage")
		}
		return true, e.steer(ctx, t, "verb.resume_dunning", guanjia.DunningResume, fields[1], "")
	case "拒缴", "/refusing":
		if len(fields) < 3 {
			return true, sayUsage(t, "dunning.refusal_usage")
		}
		return true, e.steer(ctx, t, "verb.refusal", guanjia.DunningRefusal, fields[1], strings.Join(fields[2:], " "))
	}
	if inFlow {
		return false, nil
	}
	return e.reminderAnswer(ctx, t, text)
}

// arrearsList shows the office every household that owes, with its months, amounts, step of
// the ladder and what was promised: never in a residents' group, never to residents.
func (e *Engine) arrearsList(ctx context.Context, t *turn, building int) error {
	if !officeHere(t, "verb.arrears_list") {
		return nil
	}
	community := t.person.Community
	if building > 0 {
		c, err := e.Directory.Community(ctx, community)
		if err != nil {
			return fmt.Errorf("flows: arrears list: %w", err)
		}
		if len(c.Buildings) > 0 && !containsInt(c.Buildings, building) {
			// "欠费名单 9" where there is no building 9: said so, not "nothing owed".
			t.say("hazard.no_building", map[string]any{"Community": c.Name, "Building": building, "Buildings": joinInts(c.Buildings)})
			return nil
		}
	}
	owing, err := e.Dunning.AllArrears(ctx, community)
	if err != nil {
		return fmt.Errorf("flows: arrears list: %w", err)
	}
	actions, err := e.Dunning.DunningActions(ctx, community, "")
	if err != nil {
		return fmt.Errorf("flows: arrears list: %w", err)
	}
	sent, err := e.Dunning.FeeMessages(ctx, community, e.Now().AddDate(-1, 0, 0))
	if err != nil {
		return fmt.Errorf("flows: arrears list: %w", err)
	}
	homes := make([]string, 0, len(owing))
	for h := range owing {
		if b, ok := buildingOf(h); building == 0 || ok && b == building {
			homes = append(homes, h)
		}
	}
	slices.Sort(homes)
	var lines []string
	var total guanjia.Money
	for _, h := range homes {
		var months []string
		var sum guanjia.Money
		for _, a := range owing[h] {
			sum += a.Owed
			months = append(months, e.render(t.lang, "dunning.list_month", map[string]any{"Period": a.Period, "Owed": a.Owed.String(),
				"Overdue": max(guanjia.DaysOverdue(a.Due, e.Now(), e.location()), 0)}, &t.err))
		}
		total += sum
		// The latest reminder of either kind: the ladder's step, or one sent by hand (催缴).
		step, manual := -1, ""
		var last time.Time
		for _, m := range sent {
			if m.Household != h || m.At.Before(last) {
				continue
			}
			if p := strings.Split(m.Purpose, ":"); len(p) == 3 && p[0] == "step" {
				if n, err := strconv.Atoi(p[2]); err == nil {
					step, manual, last = n, "", m.At
				}
			} else if m.Purpose == "manual" {
				step, manual, last = -1, m.At.In(e.location()).Format("01-02"), m.At
			}
		}
		var mine []guanjia.DunningAction
		for _, a := range actions {
			if a.Household == h {
				mine = append(mine, a)
			}
		}
		state := ""
		if a, ok := guanjia.LatestAction(mine); ok && a.Kind != guanjia.DunningResume {
			state = e.render(t.lang, "dunning.state."+a.Kind, map[string]any{"Until": a.Until.Add(-time.Minute).In(e.location()).Format("01-02"),
				"Reason": a.Reason, "Holds": a.Holds(e.Now())}, &t.err)
		}
		lines = append(lines, e.render(t.lang, "dunning.list_line", map[string]any{"Household": h, "Months": strings.Join(months, "，"),
			"Total": sum.String(), "Step": step + 1, "Manual": manual, "Steps": len(e.DunningSteps(community)), "State": state}, &t.err))
	}
	t.say("dunning.list", map[string]any{"Lines": lines, "Count": len(lines), "Total": total.String(), "Building": building})
	return nil
}

// remindNow sends a household's residents a reminder now (催缴 3-1-1201): at most one every
// ManualReminderGap, and, like every fee message, at most one a day.
func (e *Engine) remindNow(ctx context.Context, t *turn, household string) error {
	if !officeHere(t, "verb.remind") {
		return nil
	}
	community := t.person.Community
	if _, err := e.Directory.Household(ctx, community, household); errors.Is(err, guanjia.ErrNotFound) {
		t.say("fee.no_household", map[string]any{"Household": household})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: remind: %w", err)
	}
	owed, err := e.Fees.Arrears(ctx, community, household)
	if err != nil {
		return fmt.Errorf("flows: remind: %w", err)
	}
	now := e.Now()
	if due := slices.DeleteFunc(slices.Clone(owed), func(a guanjia.Arrear) bool { return a.Due.After(now) }); len(due) == 0 {
		t.say("dunning.owes_nothing", map[string]any{"Household": household, "NotDue": len(owed) > 0})
		return nil
	} else {
		owed = due
	}
	actions, err := e.Dunning.DunningActions(ctx, community, household)
	if err != nil {
		return fmt.Errorf("flows: remind: %w", err)
	}
	if a, ok := guanjia.LatestAction(actions); ok && a.Holds(now) &&
		(a.Kind == guanjia.DunningPause || a.Kind == guanjia.DunningHardship || a.Kind == guanjia.DunningRefusal) {
		// Held on purpose: said so, with how to lift it, rather than sent past the hold.
		t.say("dunning.held", map[string]any{"Household": household, "State": e.render(t.lang, "dunning.state."+a.Kind,
			map[string]any{"Until": a.Until.Add(-time.Minute).In(e.location()).Format("01-02"), "Reason": a.Reason, "Holds": true}, &t.err)})
		return nil
	}
	recent, err := e.Dunning.HouseholdFeeMessages(ctx, community, household, now.Add(-ManualReminderGap))
	if err != nil {
		return fmt.Errorf("flows: remind: %w", err)
	}
	ref := t.msg.Channel + ":" + t.msg.ChatID + ":" + t.msg.ID
	for _, m := range recent {
		if m.Purpose == "manual" && m.Ref != ref {
			t.say("dunning.too_soon", map[string]any{"Household": household, "At": m.At.In(e.location()).Format("01-02 15:04"),
				"Next": m.At.Add(ManualReminderGap).In(e.location()).Format("01-02 15:04")})
			return nil
		}
	}
	to, err := e.recipients(ctx, community, household)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		t.say("dunning.nobody", map[string]any{"Household": household})
		return nil
	}
	m, ok, err := e.Dunning.ClaimFeeMessage(ctx, guanjia.FeeMessage{Community: community, Household: household,
		Day: e.Day(now), Purpose: "manual", At: now, By: t.person.ID, Ref: ref})
	if err != nil {
		return fmt.Errorf("flows: remind: %w", err)
	}
	if !ok || m.Ref != ref {
		t.say("dunning.today_already", map[string]any{"Household": household})
		return nil
	}
	howToPay, err := e.HowToPay(ctx, community)
	if err != nil {
		return err
	}
	steps := e.DunningSteps(community)
	replies, err := e.ReminderReplies(Reminder{Community: community, Household: household, Owed: owed, HowToPay: howToPay, At: now,
		Step: max(guanjia.DunningStep(steps, owed[0].Due, now, e.location()), 1), Steps: len(steps)}, to)
	if err != nil {
		return err
	}
	for _, r := range replies {
		t.send(r)
	}
	e.Log.Info("reminder sent by hand", "community", community, "by", t.person.ID)
	t.say("dunning.reminded", map[string]any{"Household": household, "People": len(to)})
	return nil
}

// recipients are the household's bound residents who can be reached privately.
func (e *Engine) recipients(ctx context.Context, community, household string) ([]Recipient, error) {
	residents, err := e.Directory.PeopleByRole(ctx, community, guanjia.RoleResident)
	if err != nil {
		return nil, fmt.Errorf("flows: residents of %s: %w", household, err)
	}
	return e.householdRecipients(ctx, residents, household)
}

// householdRecipients are those of residents bound to household with a private chat that
// still reaches them (one marked unreachable — the bot blocked, the friend deleted — is left
// out: a message queued to it would only fail), each with those chats.
func (e *Engine) householdRecipients(ctx context.Context, residents []guanjia.Person, household string) ([]Recipient, error) {
	var to []Recipient
	for _, r := range residents {
		if r.Household != household {
			continue
		}
		chats, err := e.Directory.PrivateChats(ctx, r.ID)
		if err != nil {
			return nil, fmt.Errorf("flows: private chats of %s: %w", r.ID, err)
		}
		chats = slices.DeleteFunc(chats, func(c guanjia.Chat) bool { return c.Unreachable != "" })
		if len(chats) > 0 {
			to = append(to, Recipient{Person: r, Chats: chats})
		}
	}
	return to, nil
}

// steer records a steward's pause, resume or refusal; a refusal goes to the supervisors.
func (e *Engine) steer(ctx context.Context, t *turn, verb, kind, household, reason string) error {
	if !officeHere(t, verb) {
		return nil
	}
	community := t.person.Community
	if _, err := e.Directory.Household(ctx, community, household); errors.Is(err, guanjia.ErrNotFound) {
		t.say("fee.no_household", map[string]any{"Household": household})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: %s: %w", kind, err)
	}
	a, err := e.Dunning.AddDunningAction(ctx, guanjia.DunningAction{Community: community, Household: household, Kind: kind,
		By: t.person.ID, At: e.Now(), Reason: reason})
	if err != nil {
		return fmt.Errorf("flows: %s: %w", kind, err)
	}
	e.Log.Info("dunning action", "community", community, "kind", kind, "action", a.ID, "by", t.person.ID)
	t.say("dunning.done."+kind, map[string]any{"Household": household, "Reason": reason})
	if kind != guanjia.DunningRefusal {
		return nil
	}
	owed, err := e.owed(ctx, community, household)
	if err != nil {
		return fmt.Errorf("flows: refusal: %w", err)
	}
	return e.toSupervisors(ctx, t, community, "", func(lang string, errp *error) bot.Reply {
		return bot.Reply{Text: e.render(lang, "dunning.refusal_card", map[string]any{"Household": household, "Reason": reason,
			"Steward": t.person.Name, "Owed": owed.String()}, errp)}
	})
}
