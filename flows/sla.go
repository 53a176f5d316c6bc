package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// Workday keeps what the steward's day needs besides tickets: handovers, patrols and priorities.
// *mongostore.Store implements it.
type Workday interface {
	// WorkTickets lists a community's tickets not closed or cancelled.
	WorkTickets(ctx context.Context, community string) ([]guanjia.Ticket, error)
	Handovers
	Patrols
	AddPriority(ctx context.Context, p guanjia.Priority) error
	Priorities(ctx context.Context, person, day string) ([]guanjia.Priority, error)
}

// Handovers keeps handovers between stewards.
type Handovers interface {
	CreateHandover(ctx context.Context, h *guanjia.Handover) error
	SaveHandover(ctx context.Context, h guanjia.Handover) error
	// Handovers lists a community's handovers, newest first (limit 0: all).
	Handovers(ctx context.Context, community string, limit int) ([]guanjia.Handover, error)
}

// Patrols keeps patrols and the routes they follow.
type Patrols interface {
	// StartPatrol files a patrol; guanjia.ErrConflict when its steward is on one already.
	StartPatrol(ctx context.Context, p *guanjia.Patrol) error
	// ActivePatrol is the patrol a person is on; guanjia.ErrNotFound when none.
	ActivePatrol(ctx context.Context, person string) (guanjia.Patrol, error)
	SavePatrol(ctx context.Context, p guanjia.Patrol) error
	// Routes are a community's own routes; guanjia.ErrNotFound when it has none of its own.
	Routes(ctx context.Context, community string) ([]guanjia.Route, error)
}

// jobTurn is a turn with no inbound message, for what a job says.
func (e *Engine) jobTurn() *turn { return &turn{e: e, lang: e.Templates.Lang("")} }

// restage gives a ticket whose stage a change moved on the due time of its new stage.
func (e *Engine) restage(tk *guanjia.Ticket, before guanjia.Stage, at time.Time) {
	if after := guanjia.StageOf(*tk); after != before && after != guanjia.StageNone {
		tk.DueAt = at.Add(e.Config.DueTimes.For(*tk, after))
	}
}

// escalated reports whether the supervisors were told that the due time due passed.
func escalated(tk guanjia.Ticket, due time.Time) bool {
	return slices.ContainsFunc(tk.Timeline, func(ev guanjia.Event) bool {
		return ev.Action == guanjia.ActEscalate && ev.Due.Equal(due)
	})
}

// stageData is what a reminder or an escalation says of a ticket.
func (e *Engine) stageData(lang string, tk guanjia.Ticket, stage guanjia.Stage, errp *error) map[string]any {
	return map[string]any{"No": tk.No, "What": e.render(lang, "kind."+string(tk.Kind), nil, errp),
		"Address": tk.Address, "Stage": e.render(lang, "stage."+string(stage), nil, errp),
		"Due":    tk.DueAt.In(e.location()).Format("01-02 15:04"),
		"Status": e.render(lang, "status."+string(tk.Status), nil, errp), "Holder": "",
		"Urgent": tk.Urgency == guanjia.UrgencyUrgent}
}

// holders are who a ticket's current stage waits on: the worker it is assigned to, else the
// steward who accepted it, else the stewards of its building.
func (e *Engine) holders(ctx context.Context, tk guanjia.Ticket, at time.Time) ([]guanjia.Person, error) {
	stage := guanjia.StageOf(tk)
	if tk.Confidential {
		// A complaint about staff is the supervisors' alone, reminders too.
		list, err := e.Directory.PeopleByRole(ctx, tk.Community, guanjia.RoleSupervisor)
		if err != nil {
			return nil, fmt.Errorf("flows: holder of %s: %w", tk.No, err)
		}
		return list, nil
	}
	if stage == guanjia.StageResolve && tk.Assignee != "" {
		p, err := e.Directory.Person(ctx, tk.Assignee)
		if err == nil {
			return []guanjia.Person{p}, nil
		} else if !errors.Is(err, guanjia.ErrNotFound) {
			return nil, fmt.Errorf("flows: holder of %s: %w", tk.No, err)
		}
	}
	if stage != guanjia.StageAccept {
		for i := len(tk.Timeline) - 1; i >= 0; i-- {
			if tk.Timeline[i].Action != guanjia.ActAccept && tk.Timeline[i].Action != guanjia.ActReply {
				continue
			}
			p, err := e.Directory.Person(ctx, tk.Timeline[i].Actor)
			if err == nil {
				return []guanjia.Person{p}, nil
			} else if !errors.Is(err, guanjia.ErrNotFound) {
				return nil, fmt.Errorf("flows: holder of %s: %w", tk.No, err)
			}
			break
		}
	}
	return e.stewardsOf(ctx, tk.Community, tk.Building, at)
}

// stewardsOf are the stewards who look after a building (all the community's when the
// building is not known or nobody looks after it) and are on shift at at (all of them when none
// is), in shift order.
func (e *Engine) stewardsOf(ctx context.Context, community string, building int, at time.Time) ([]guanjia.Person, error) {
	all, err := e.stewards(ctx, community)
	if err != nil {
		return nil, err
	}
	mine := buildingStewards(all, building)
	if len(mine) == 0 {
		mine = all
	}
	var now []guanjia.Person
	for _, p := range mine {
		if e.onShift(p, at) {
			now = append(now, p)
		}
	}
	if len(now) == 0 {
		return mine, nil
	}
	return now, nil
}

// buildingStewards are the stewards of list who look after a building: those given it, those given
// no building (they look after every one), and all of them when the building is not known.
func buildingStewards(list []guanjia.Person, building int) []guanjia.Person {
	var mine []guanjia.Person
	for _, p := range list {
		if building == 0 || len(p.Buildings) == 0 || slices.Contains(p.Buildings, building) {
			mine = append(mine, p)
		}
	}
	return mine
}

// onShift reports whether a steward is on shift at t: the twelve hours from their shift start.
func (e *Engine) onShift(p guanjia.Person, t time.Time) bool {
	start, err := guanjia.ParseShiftStart(p.ShiftStart)
	if err != nil {
		return true
	}
	local := t.In(e.location())
	m := local.Hour()*60 + local.Minute()
	return ((m-start)%1440+1440)%1440 < int(shiftLength/time.Minute)
}

// stewards are a community's stewards in shift order.
func (e *Engine) stewards(ctx context.Context, community string) ([]guanjia.Person, error) {
	list, err := e.Directory.PeopleByRole(ctx, community, guanjia.RoleSteward)
	if err != nil {
		return nil, fmt.Errorf("flows: stewards: %w", err)
	}
	slices.SortStableFunc(list, func(a, b guanjia.Person) int {
		x, _ := guanjia.ParseShiftStart(a.ShiftStart)
		y, _ := guanjia.ParseShiftStart(b.ShiftStart)
		return x - y
	})
	return list, nil
}

// lateDone tells the supervisors, privately, that a stage was done after its due time
// without the sweep having told them yet: a late accept is never silently missed.
func (e *Engine) lateDone(ctx context.Context, t *turn, tk guanjia.Ticket, stage guanjia.Stage, due time.Time) error {
	return e.toSupervisors(ctx, t, tk.Community, "", func(lang string, errp *error) bot.Reply {
		d := e.stageData(lang, tk, stage, errp)
		d["Due"] = due.In(e.location()).Format("01-02 15:04")
		d["Actor"], d["At"] = t.person.Name, e.Now().In(e.location()).Format("01-02 15:04")
		return bot.Reply{Text: e.render(lang, "sla.late", d, errp), Lane: bot.LaneNotice}
	})
}

// SLASweep works out, as of at, the reminders before due times, the escalations past them,
// the call-back tasks of follow-ups left unanswered, and the reminders of handovers not yet
// confirmed. Escalations and call-back tasks are written on the tickets' timelines.
func (e *Engine) SLASweep(ctx context.Context, at time.Time) ([]Notice, error) {
	communities, err := e.Directory.Communities(ctx)
	if err != nil {
		return nil, fmt.Errorf("flows: sla: %w", err)
	}
	var out []Notice
	for _, c := range communities {
		list, err := e.Workday.WorkTickets(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("flows: sla: %w", err)
		}
		for _, tk := range list {
			n, err := e.sweepTicket(ctx, tk, at)
			if err != nil {
				return nil, err
			}
			out = append(out, n...)
		}
		n, err := e.sweepHandovers(ctx, c.ID, at)
		if err != nil {
			return nil, err
		}
		out = append(out, n...)
	}
	return out, nil
}

// sweepTicket is what one ticket needs said as of at.
func (e *Engine) sweepTicket(ctx context.Context, tk guanjia.Ticket, at time.Time) ([]Notice, error) {
	if tk.Status == guanjia.StatusResolved {
		return e.callBackDue(ctx, tk, at)
	}
	stage := guanjia.StageOf(tk)
	if stage == guanjia.StageNone || tk.DueAt.IsZero() || tk.Confidential && stage != guanjia.StageReply {
		return nil, nil
	}
	due := tk.DueAt
	key := fmt.Sprintf("%s/%s@%s", tk.ID, stage, due.UTC().Format("20060102T1504"))
	t := e.jobTurn()
	if at.Before(due) {
		lead := e.Config.DueTimes.RemindBefore
		if span := e.Config.DueTimes.For(tk, stage); span < 2*lead {
			lead = span / 2
		}
		if at.Before(due.Add(-lead)) {
			return nil, nil
		}
		people, err := e.holders(ctx, tk, at)
		if err != nil {
			return nil, err
		}
		for _, p := range people {
			if _, err := e.toPerson(ctx, t, p, func(lang string) bot.Reply {
				return bot.Reply{Text: e.render(lang, "sla.remind", e.stageData(lang, tk, stage, &t.err), &t.err), Lane: bot.LaneNotice}
			}); err != nil {
				return nil, err
			}
		}
		return []Notice{{Key: "sla-remind/" + key, Replies: t.out}}, t.err
	}
	// Past due: written on the timeline once; told while the escalation is fresh (a run
	// that died between the two tells it on the next run; the key keeps it to once).
	if !escalated(tk, due) {
		ev := guanjia.Event{At: at, Action: guanjia.ActEscalate, Actor: "system", ActorName: e.render(e.Templates.Lang(""), "sla.actor", nil, &t.err),
			Due: due, Note: e.render(e.Templates.Lang(""), "stage."+string(stage), nil, &t.err)}
		updated, err := e.changeTicket(ctx, tk.Community, tk.No, func(cur *guanjia.Ticket) error {
			if !cur.DueAt.Equal(due) || escalated(*cur, due) {
				return guanjia.ErrConflict
			}
			cur.Timeline = append(cur.Timeline, ev)
			return nil
		})
		if errors.Is(err, guanjia.ErrConflict) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("flows: sla: escalate %s: %w", tk.No, err)
		}
		tk = updated
	} else if at.Sub(lastEscalation(tk, due)) > time.Hour {
		return nil, nil
	}
	holders, err := e.holders(ctx, tk, at)
	if err != nil {
		return nil, err
	}
	names := ""
	for i, p := range holders {
		if i > 0 {
			names += "、"
		}
		names += p.Name
	}
	if err := e.toSupervisors(ctx, t, tk.Community, "", func(lang string, errp *error) bot.Reply {
		d := e.stageData(lang, tk, stage, errp)
		d["Holder"] = names
		return bot.Reply{Text: e.render(lang, "sla.escalate", d, errp), Lane: bot.LaneNotice}
	}); err != nil {
		return nil, err
	}
	return []Notice{{Key: "sla-escalate/" + key, Replies: t.out}}, t.err
}

// lastEscalation is when the supervisors were told of due.
func lastEscalation(tk guanjia.Ticket, due time.Time) time.Time {
	for i := len(tk.Timeline) - 1; i >= 0; i-- {
		if ev := tk.Timeline[i]; ev.Action == guanjia.ActEscalate && ev.Due.Equal(due) {
			return ev.At
		}
	}
	return time.Time{}
}

// callBackDue turns a follow-up left unanswered for FollowUpWait into a call-back task of the
// building's stewards (SPEC 4.6).
func (e *Engine) callBackDue(ctx context.Context, tk guanjia.Ticket, at time.Time) ([]Notice, error) {
	var resolved time.Time
	for _, ev := range tk.Timeline {
		switch ev.Action {
		case guanjia.ActResolve:
			resolved = ev.At
		case guanjia.ActRate, guanjia.ActCallBackDue, guanjia.ActCallBack:
			if !resolved.IsZero() && !ev.At.Before(resolved) {
				return nil, nil
			}
		}
	}
	if tk.Kind == guanjia.KindInquiry || resolved.IsZero() || at.Sub(resolved) < e.Config.FollowUpWait {
		return nil, nil
	}
	t := e.jobTurn()
	ev := guanjia.Event{At: at, Action: guanjia.ActCallBackDue, Actor: "system", ActorName: e.render(e.Templates.Lang(""), "sla.actor", nil, &t.err), Staff: true}
	updated, err := e.changeTicket(ctx, tk.Community, tk.No, func(cur *guanjia.Ticket) error {
		cur.Timeline = append(cur.Timeline, ev)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("flows: sla: call-back %s: %w", tk.No, err)
	}
	people, err := e.stewardsOf(ctx, tk.Community, tk.Building, at)
	if err != nil {
		return nil, err
	}
	for _, p := range people {
		if _, err := e.toPerson(ctx, t, p, func(lang string) bot.Reply {
			return bot.Reply{Text: e.render(lang, "callback.due", map[string]any{"No": updated.No, "Address": updated.Address,
				"Hours": int(e.Config.FollowUpWait.Hours())}, &t.err), Lane: bot.LaneNotice}
		}); err != nil {
			return nil, err
		}
	}
	return []Notice{{Key: "callback-due/" + tk.ID + "@" + resolved.UTC().Format("20060102T150405"), Replies: t.out}}, t.err
}

// callBackOpen reports whether a call-back task of the ticket waits to be done.
func callBackOpen(tk guanjia.Ticket) bool {
	open := false
	for _, ev := range tk.Timeline {
		switch ev.Action {
		case guanjia.ActCallBackDue:
			open = true
		case guanjia.ActCallBack, guanjia.ActRate, guanjia.ActClose, guanjia.ActReopen:
			open = false
		}
	}
	return open && tk.Status == guanjia.StatusResolved
}

// someoneOnShift reports whether one of the stewards who look after a building is on shift.
func (e *Engine) someoneOnShift(stewards []guanjia.Person, building int) bool {
	return slices.ContainsFunc(stewards, func(p guanjia.Person) bool {
		return (building == 0 || len(p.Buildings) == 0 || slices.Contains(p.Buildings, building)) && e.onShift(p, e.Now())
	})
}
