package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
)

// The parts of a steward's plan that other features keep: today's events, today's
// announcements and emergencies in the steward's buildings, and the homes the dunning ladder
// asks the steward to call or visit. Each is left out of the plan when
// it has nothing to say.

// builtInPlanSections are the plan parts the engine's own stores can fill.
func (e *Engine) builtInPlanSections() []PlanSection {
	var parts []PlanSection
	if e.Activities != nil {
		parts = append(parts, e.todaysEvents)
	}
	if e.Broadcasts != nil {
		parts = append(parts, e.todaysBroadcasts)
	}
	if e.Dunning != nil {
		parts = append(parts, e.dunningCalls)
	}
	return parts
}

// dayOf is the office day at falls on: its start and the next day's.
func (e *Engine) dayOf(at time.Time) (time.Time, time.Time) {
	local := at.In(e.location())
	start := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, e.location())
	return start, start.AddDate(0, 0, 1)
}

// looksAfterAny reports whether a steward looks after any of the buildings (none: the whole
// community, which every steward of it looks after).
func looksAfterAny(steward guanjia.Person, buildings []int) bool {
	if len(buildings) == 0 || len(steward.Buildings) == 0 {
		return true
	}
	for _, b := range buildings {
		if slices.Contains(steward.Buildings, b) {
			return true
		}
	}
	return false
}

// todaysEvents lists the events of the day that are for the steward's buildings.
func (e *Engine) todaysEvents(ctx context.Context, steward guanjia.Person, at time.Time, lang string) (string, []string, error) {
	events, err := e.Activities.Events(ctx, steward.Community)
	if err != nil {
		return "", nil, fmt.Errorf("flows: plan: events: %w", err)
	}
	from, to := e.dayOf(at)
	var lines []string
	var errp error
	for _, ev := range events {
		if ev.Cancelled != "" || ev.Start.Before(from) || !ev.Start.Before(to) || !looksAfterAny(steward, ev.Buildings) {
			continue
		}
		lines = append(lines, e.render(lang, "plan.event_line", map[string]any{"Time": ev.Start.In(e.location()).Format("15:04"),
			"Title": ev.Title, "Place": ev.Place, "No": ev.No}, &errp))
	}
	return e.render(lang, "plan.events_title", nil, &errp), lines, errp
}

// todaysBroadcasts lists the announcements and emergencies going out (or gone out) today for
// the steward's buildings, withdrawn ones left out.
func (e *Engine) todaysBroadcasts(ctx context.Context, steward guanjia.Person, at time.Time, lang string) (string, []string, error) {
	from, to := e.dayOf(at)
	list, err := e.Broadcasts.Broadcasts(ctx, steward.Community, from.AddDate(0, 0, -7))
	if err != nil {
		return "", nil, fmt.Errorf("flows: plan: broadcasts: %w", err)
	}
	var lines []string
	var errp error
	for i := len(list) - 1; i >= 0; i-- {
		b := list[i]
		if b.At.Before(from) || !b.At.Before(to) || !looksAfterAny(steward, b.Buildings) {
			continue
		}
		events, err := e.Broadcasts.BroadcastEvents(ctx, b.Community, b.No)
		if err != nil {
			return "", nil, fmt.Errorf("flows: plan: broadcast %s: %w", b.No, err)
		}
		if slices.ContainsFunc(events, func(ev guanjia.BroadcastEvent) bool { return ev.Action == guanjia.BcastWithdrawn }) {
			continue
		}
		text := b.Text
		if utf8.RuneCountInString(text) > 40 {
			text = string([]rune(text)[:40]) + "…"
		}
		lines = append(lines, e.render(lang, "plan.broadcast_line", map[string]any{"Time": b.At.In(e.location()).Format("15:04"),
			"No": b.No, "Emergency": b.Emergency, "Text": text}, &errp))
	}
	return e.render(lang, "plan.broadcasts_title", nil, &errp), lines, errp
}

// planCalls is how many homes to call or visit a plan lists, the longest owing first.
const planCalls = 10

// dunningCalls lists the homes of the steward's buildings that reached the last step of the
// dunning ladder and still owe, with nothing holding the reminders (a pause, a promise not yet
// due, a refusal on record, a payment being checked): the calls and visits the ladder asked
// for, each day until it is settled. The plan is private, so amounts may be shown.
func (e *Engine) dunningCalls(ctx context.Context, steward guanjia.Person, at time.Time, lang string) (string, []string, error) {
	owing, err := e.Dunning.AllArrears(ctx, steward.Community)
	if err != nil {
		return "", nil, fmt.Errorf("flows: plan: arrears: %w", err)
	}
	if len(owing) == 0 {
		return "", nil, nil
	}
	actions, err := e.Dunning.DunningActions(ctx, steward.Community, "")
	if err != nil {
		return "", nil, fmt.Errorf("flows: plan: dunning actions: %w", err)
	}
	byHome := map[string][]guanjia.DunningAction{}
	for _, a := range actions {
		byHome[a.Household] = append(byHome[a.Household], a)
	}
	steps := e.DunningSteps(steward.Community)
	type call struct {
		home string
		owed []guanjia.Arrear
	}
	var calls []call
	for home, list := range owing {
		if b, ok := buildingOf(home); !ok || !looksAfterAny(steward, []int{b}) {
			continue
		}
		owed := slices.DeleteFunc(slices.Clone(list), func(a guanjia.Arrear) bool { return a.Due.After(at) })
		if len(owed) == 0 {
			continue
		}
		slices.SortFunc(owed, func(a, b guanjia.Arrear) int { return a.Due.Compare(b.Due) })
		if guanjia.DunningStep(steps, owed[0].Due, at, e.location()) < len(steps)-1 {
			continue
		}
		if a, ok := guanjia.LatestAction(byHome[home]); ok && a.Holds(at) {
			continue
		}
		calls = append(calls, call{home, owed})
	}
	slices.SortFunc(calls, func(a, b call) int {
		if c := a.owed[0].Due.Compare(b.owed[0].Due); c != 0 {
			return c
		}
		return strings.Compare(a.home, b.home)
	})
	var lines []string
	var errp error
	for i, c := range calls {
		if i == planCalls {
			lines = append(lines, e.render(lang, "plan.dunning_more", map[string]any{"More": len(calls) - planCalls}, &errp))
			break
		}
		var total guanjia.Money
		for _, a := range c.owed {
			total += a.Owed
		}
		lines = append(lines, e.render(lang, "plan.dunning_line", map[string]any{"Household": c.home, "Months": len(c.owed),
			"Total": total.String(), "Overdue": guanjia.DaysOverdue(c.owed[0].Due, at, e.location())}, &errp))
	}
	return e.render(lang, "plan.dunning_title", nil, &errp), lines, errp
}
