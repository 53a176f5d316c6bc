package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// The roll call of an emergency: care-tagged residents in its scope whose household has not
// acknowledged it become check-on tasks for the steward of their building, reminded with each
// status round and escalated to the supervisors until someone marks them safe.

// rollEntry is a care-tagged resident in an emergency's scope who has not acknowledged it.
type rollEntry struct {
	Person    guanjia.Person
	Name      string
	Household string
	Building  int
	Tags      string
	Note      string
	Checked   bool
	By        string
}

// rollCall lists the care-tagged residents in scope whose household has not acknowledged.
func (e *Engine) rollCall(ctx context.Context, lang string, b guanjia.Broadcast, st bcastState, errp *error) ([]rollEntry, error) {
	residents, err := e.Directory.PeopleByRole(ctx, b.Community, guanjia.RoleResident)
	if err != nil {
		return nil, fmt.Errorf("flows: roll call: %w", err)
	}
	var out []rollEntry
	for _, p := range residents {
		building, err := guanjia.ParseHouseholdCode(p.Household)
		if err != nil || len(p.CareTags) == 0 || !b.Covers(building) {
			continue
		}
		if _, acked := st.acks[p.Household]; acked {
			continue
		}
		tags := make([]string, len(p.CareTags))
		for i, c := range p.CareTags {
			tags[i] = e.render(lang, "care."+string(c), nil, errp)
		}
		ev, checked := st.checked[p.Household]
		out = append(out, rollEntry{Person: p, Name: p.Name, Household: p.Household, Building: building,
			Tags: strings.Join(tags, "、"), Note: p.CareNote, Checked: checked, By: ev.ActorName})
	}
	return out, nil
}

// markChecked records that a steward found a roll-call resident safe, on every open emergency
// she is on the roll call of.
func (e *Engine) markChecked(ctx context.Context, t *turn, name string) error {
	p, err := e.Directory.PersonByName(ctx, t.person.Community, name)
	if errors.Is(err, guanjia.ErrNotFound) {
		t.say("broadcast.no_such_person", map[string]any{"Name": name})
		return nil
	}
	if err != nil {
		return err
	}
	open, err := e.openEmergencies(ctx, t.person.Community, nil)
	if err != nil {
		return err
	}
	var marked, before []string
	for _, b := range open {
		building, err := guanjia.ParseHouseholdCode(p.Household)
		if err != nil || !b.Covers(building) {
			continue
		}
		ev := guanjia.BroadcastEvent{ID: guanjia.BroadcastEventID(b.Community, b.No, guanjia.BcastChecked, p.ID), Community: b.Community,
			No: b.No, Action: guanjia.BcastChecked, At: e.Now(), Actor: t.person.ID, ActorName: t.person.Name,
			Household: p.Household, Building: building, Note: p.Name}
		added, err := e.Broadcasts.AddBroadcastEvent(ctx, ev)
		if err != nil {
			return fmt.Errorf("flows: check %s: %w", b.No, err)
		}
		if !added {
			before = append(before, b.No)
			continue
		}
		marked = append(marked, b.No)
	}
	if len(marked) == 0 && len(before) > 0 {
		// Confirmed already (by this steward or another): said so, nothing recorded twice.
		t.say("broadcast.checked_before", map[string]any{"Name": name, "Nos": strings.Join(before, "、")})
		return nil
	}
	if len(marked) == 0 {
		t.say("broadcast.not_on_roll", map[string]any{"Name": name})
		return nil
	}
	t.say("broadcast.checked", map[string]any{"Name": name, "Nos": strings.Join(marked, "、")})
	return nil
}

// rollCallTasks asks the stewards of each roll-call resident's building, privately, to check
// on her; escalate tells the supervisors as well.
func (e *Engine) rollCallTasks(ctx context.Context, t *turn, b guanjia.Broadcast, escalate bool) error {
	st, err := e.state(ctx, b)
	if err != nil {
		return err
	}
	roll, err := e.rollCall(ctx, e.Templates.Lang(""), b, st, &t.err)
	if err != nil {
		return err
	}
	var sups []guanjia.Person
	if escalate {
		if sups, err = e.Directory.PeopleByRole(ctx, b.Community, guanjia.RoleSupervisor); err != nil {
			return fmt.Errorf("flows: roll call: supervisors: %w", err)
		}
	}
	for _, r := range roll {
		if r.Checked {
			continue
		}
		// Her building's steward on shift checks on her.
		to, err := e.stewardsOf(ctx, b.Community, r.Building, e.Now())
		if err != nil {
			return fmt.Errorf("flows: roll call: stewards: %w", err)
		}
		if escalate || len(to) == 0 {
			to = append(to, sups...)
		}
		for _, p := range to {
			key := "broadcast.check_task"
			if escalate && p.IsSupervisor() {
				key = "broadcast.check_escalated"
			}
			if _, err := e.toPerson(ctx, t, p, func(lang string) bot.Reply {
				return bot.Reply{Lane: bot.LaneEmergency, Text: e.render(lang, key, map[string]any{"No": b.No, "Name": r.Name,
					"Household": r.Household, "Tags": r.Tags, "Note": r.Note, "Minutes": int(e.Config.RollCallEscalate.Minutes())}, &t.err)}
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// EmergencyRound is what the office hears every few minutes while an emergency is open: its
// status, privately to whoever raised it, and the roll call reminded (escalated once it has
// waited longer than the configured time). open is false once it is over.
func (e *Engine) EmergencyRound(ctx context.Context, community, no string) (replies []bot.Reply, open bool, err error) {
	b, err := e.Broadcasts.Broadcast(ctx, community, no)
	if err != nil {
		return nil, false, err
	}
	st, err := e.state(ctx, b)
	if err != nil || st.closed || !st.sent {
		return nil, false, err
	}
	t := &turn{e: e, lang: e.Templates.Lang("")}
	if by, err := e.Directory.Person(ctx, b.By); err == nil {
		lang := e.Templates.Lang(by.Lang)
		data, err := e.statusData(ctx, lang, b, st, &t.err)
		if err != nil {
			return nil, true, err
		}
		if _, err := e.toPerson(ctx, t, by, func(lang string) bot.Reply {
			return bot.Reply{Text: e.render(lang, "broadcast.status", data, &t.err), Lane: bot.LaneEmergency}
		}); err != nil {
			return nil, true, err
		}
	}
	escalate := e.Now().Sub(st.sentAt) >= e.Config.RollCallEscalate
	if err := e.rollCallTasks(ctx, t, b, escalate); err != nil {
		return nil, true, err
	}
	return t.out, true, t.err
}

// EscalateRollCall tells the supervisors of the roll-call residents nobody has marked safe
// yet, once the configured time has passed.
func (e *Engine) EscalateRollCall(ctx context.Context, community, no string) ([]bot.Reply, error) {
	b, err := e.Broadcasts.Broadcast(ctx, community, no)
	if err != nil {
		return nil, err
	}
	st, err := e.state(ctx, b)
	if err != nil || st.closed {
		return nil, err
	}
	t := &turn{e: e, lang: e.Templates.Lang("")}
	sups, err := e.Directory.PeopleByRole(ctx, b.Community, guanjia.RoleSupervisor)
	if err != nil {
		return nil, err
	}
	roll, err := e.rollCall(ctx, t.lang, b, st, &t.err)
	if err != nil {
		return nil, err
	}
	for _, r := range roll {
		if r.Checked {
			continue
		}
		for _, p := range sups {
			if _, err := e.toPerson(ctx, t, p, func(lang string) bot.Reply {
				return bot.Reply{Lane: bot.LaneEmergency, Text: e.render(lang, "broadcast.check_escalated", map[string]any{"No": b.No,
					"Name": r.Name, "Household": r.Household, "Tags": r.Tags, "Note": r.Note, "Minutes": int(e.Config.RollCallEscalate.Minutes())}, &t.err)}
			}); err != nil {
				return nil, err
			}
		}
	}
	return t.out, t.err
}
