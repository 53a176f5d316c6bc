package flows

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// shiftLength is how far back a handover looks for what the shift did.
const shiftLength = 12 * time.Hour

// handoverForm is the end of a shift (交班 [接班人]): a reason for each item left open, a note,
// a confirm; the incoming steward — the one named, or the next on shift — then confirms.
func (e *Engine) handoverForm() *form {
	f := &form{e: e, name: flowHandover, summary: "handover.summary"}
	f.begin = func(ctx context.Context, t *turn, s *guanjia.Session) (bool, error) {
		to, ok, err := e.incoming(ctx, t)
		if err != nil || !ok {
			return false, err
		}
		now := e.Now()
		list, err := e.Workday.WorkTickets(ctx, t.person.Community)
		if err != nil {
			return false, fmt.Errorf("flows: handover: %w", err)
		}
		open, _ := workIn(list, t.person, now)
		var done []string
		for _, tk := range list {
			if !tk.Open() && slices.ContainsFunc(tk.Timeline, func(ev guanjia.Event) bool {
				return ev.Actor == t.person.ID && now.Sub(ev.At) < shiftLength && ev.Action != guanjia.ActNote
			}) {
				done = append(done, tk.No+" "+tk.Address+" "+clip(tk.Description, 16))
			}
		}
		var items []string
		for _, tk := range open {
			items = append(items, tk.No+" "+tk.Address+" "+clip(tk.Description, 16)+"（"+t.label("status."+string(tk.Status))+"）")
		}
		s.Data["community"], s.Data["to"], s.Data["to_name"] = t.person.Community, to.ID, to.Name
		s.Data["items"], s.Data["done"] = strings.Join(items, "\n"), strings.Join(done, "\n")
		s.Data["n"], s.Data["i"] = strconv.Itoa(len(items)), "0"
		if len(items) == 0 {
			t.say("handover.nothing_open", nil)
		}
		return true, nil
	}
	f.fields = []field{
		{name: "reason", prompt: "handover.ask_reason", skip: func(s *guanjia.Session) bool { return s.Data["n"] == "0" },
			parse: func(_ context.Context, _ *turn, s *guanjia.Session, text string) (string, string, error) {
				if n := len([]rune(text)); n < 2 || n > 200 {
					return "", "handover.bad_reason", nil
				}
				i, _ := strconv.Atoi(s.Data["i"])
				s.Data["reason."+strconv.Itoa(i)] = text
				s.Data["i"] = strconv.Itoa(i + 1)
				return text, "", nil
			},
			again: func(s *guanjia.Session) bool { return s.Data["i"] != s.Data["n"] }},
		{name: "note", prompt: "handover.ask_note"},
	}
	f.data = func(t *turn, s *guanjia.Session) map[string]any {
		items := splitLines(s.Data["items"])
		i, _ := strconv.Atoi(s.Data["i"])
		item := ""
		if i < len(items) {
			item = items[i]
		}
		var withReasons []string
		for j, it := range items {
			withReasons = append(withReasons, fmt.Sprintf("%d. %s —— %s", j+1, it, s.Data["reason."+strconv.Itoa(j)]))
		}
		return map[string]any{"To": s.Data["to_name"], "Item": item, "Index": i + 1, "Total": len(items),
			"Done": splitLines(s.Data["done"]), "Items": withReasons, "Note": noteOrNone(s.Data["note"])}
	}
	f.submit = func(ctx context.Context, t *turn, s *guanjia.Session) error {
		items := splitLines(s.Data["items"])
		h := guanjia.Handover{Community: s.Data["community"], From: t.person.ID, FromName: t.person.Name,
			To: s.Data["to"], ToName: s.Data["to_name"], At: e.Now(), Done: splitLines(s.Data["done"]), Note: noteOrNone(s.Data["note"])}
		for j, it := range items {
			no, _, _ := strings.Cut(it, " ")
			h.Items = append(h.Items, guanjia.HandoverItem{Ticket: no, Summary: it, Reason: s.Data["reason."+strconv.Itoa(j)]})
		}
		if h.Note == "无" {
			h.Note = ""
		}
		if err := e.Workday.CreateHandover(ctx, &h); err != nil {
			return fmt.Errorf("flows: handover: %w", err)
		}
		if err := e.finish(ctx, t); err != nil {
			e.Log.Warn("end session after handover", "handover", h.No, "err", err)
		}
		t.say("handover.sent", map[string]any{"No": h.No, "To": h.ToName, "Minutes": int(e.Config.DueTimes.Handover.Minutes())})
		to, err := e.Directory.Person(ctx, h.To)
		if err != nil {
			return fmt.Errorf("flows: handover: incoming: %w", err)
		}
		_, err = e.toPerson(ctx, t, to, func(lang string) bot.Reply {
			return bot.Reply{Text: e.render(lang, "handover.received", handoverData(h), &t.err)}
		})
		return err
	}
	return f
}

// noteOrNone is the note as kept: "无" for none.
func noteOrNone(s string) string {
	switch strings.TrimSpace(s) {
	case "", "没有", "无", "none", "no":
		return "无"
	}
	return strings.TrimSpace(s)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// handoverData is what a handover's messages show.
func handoverData(h guanjia.Handover) map[string]any {
	var items []string
	for j, it := range h.Items {
		mark := ""
		if !it.ConfirmedAt.IsZero() {
			mark = " ✓"
		}
		items = append(items, fmt.Sprintf("%d. %s —— %s%s", j+1, it.Summary, it.Reason, mark))
	}
	note := h.Note
	if note == "" {
		note = "无"
	}
	return map[string]any{"No": h.No, "From": h.FromName, "To": h.ToName, "Done": h.Done, "Items": items, "Note": note}
}

// incoming is who a handover goes to: the steward named (交班 孙管家), or the next on shift.
func (e *Engine) incoming(ctx context.Context, t *turn) (guanjia.Person, bool, error) {
	_, name, _ := strings.Cut(t.text(), " ")
	if name = strings.TrimSpace(name); name != "" {
		p, ok, err := e.personNamed(ctx, t.person.Community, name)
		switch {
		case err != nil:
			return p, false, err
		case !ok || !p.Has(guanjia.RoleSteward):
			t.say("handover.no_such_steward", map[string]any{"Name": name})
			return p, false, nil
		case p.ID == t.person.ID:
			t.say("handover.not_self", nil)
			return p, false, nil
		}
		return p, true, nil
	}
	list, err := e.stewards(ctx, t.person.Community)
	if err != nil {
		return guanjia.Person{}, false, err
	}
	for i, p := range list {
		if p.ID == t.person.ID {
			list = append(list[i+1:], list[:i]...)
			break
		}
	}
	for _, p := range list {
		if p.ID != t.person.ID {
			return p, true, nil
		}
	}
	t.say("handover.no_one", nil)
	return guanjia.Person{}, false, nil
}

// takeOver confirms a handover waiting for this steward (接班: every item; 接班 2: item 2).
func (e *Engine) takeOver(ctx context.Context, t *turn, rest string) error {
	list, err := e.Workday.Handovers(ctx, t.person.Community, 50)
	if err != nil {
		return fmt.Errorf("flows: take over: %w", err)
	}
	var h guanjia.Handover
	found, own := false, false
	for _, c := range list {
		if c.Confirmed() {
			continue
		}
		if c.To == t.person.ID && !found {
			h, found = c, true
		}
		own = own || c.From == t.person.ID
	}
	if !found {
		if own {
			t.say("handover.own", nil)
		} else {
			t.say("handover.none_waiting", nil)
		}
		return nil
	}
	now := e.Now()
	rest = strings.TrimSpace(rest)
	if rest == "" || rest == "全部" || strings.EqualFold(rest, "all") {
		for i := range h.Items {
			if h.Items[i].ConfirmedAt.IsZero() {
				h.Items[i].ConfirmedAt = now
			}
		}
	} else {
		n, err := strconv.Atoi(choiceText(rest))
		if err != nil || n < 1 || n > len(h.Items) {
			t.say("handover.confirm_usage", map[string]any{"Max": len(h.Items)})
			return nil
		}
		if !h.Items[n-1].ConfirmedAt.IsZero() {
			t.say("handover.item_confirmed_before", map[string]any{"No": h.No, "Item": n, "Left": unconfirmed(h)})
			return nil
		}
		h.Items[n-1].ConfirmedAt = now
	}
	left := unconfirmed(h)
	if left == 0 {
		h.ConfirmedAt = now
	}
	if err := e.Workday.SaveHandover(ctx, h); err != nil {
		return fmt.Errorf("flows: take over: %w", err)
	}
	if left > 0 {
		t.say("handover.item_confirmed", map[string]any{"No": h.No, "Left": left})
		return nil
	}
	t.say("handover.confirmed", map[string]any{"No": h.No, "From": h.FromName})
	from, err := e.Directory.Person(ctx, h.From)
	if err != nil {
		return fmt.Errorf("flows: take over: outgoing: %w", err)
	}
	_, err = e.toPerson(ctx, t, from, func(lang string) bot.Reply {
		return bot.Reply{Text: e.render(lang, "handover.taken", map[string]any{"No": h.No, "To": h.ToName,
			"At": now.In(e.location()).Format("01-02 15:04")}, &t.err)}
	})
	return err
}

// sweepHandovers reminds an incoming steward of a handover left unconfirmed for the handover
// due time, and tells the supervisors when twice that has passed.
func (e *Engine) sweepHandovers(ctx context.Context, community string, at time.Time) ([]Notice, error) {
	list, err := e.Workday.Handovers(ctx, community, 50)
	if err != nil {
		return nil, fmt.Errorf("flows: sla: handovers: %w", err)
	}
	wait := e.Config.DueTimes.Handover
	var out []Notice
	for _, h := range list {
		if h.Confirmed() || at.Sub(h.At) < wait {
			continue
		}
		t := e.jobTurn()
		key := "handover-remind/" + h.ID
		if at.Sub(h.At) >= 2*wait {
			key = "handover-escalate/" + h.ID
			if err := e.toSupervisors(ctx, t, community, "", func(lang string, errp *error) bot.Reply {
				return bot.Reply{Text: e.render(lang, "handover.escalate", map[string]any{"No": h.No, "From": h.FromName, "To": h.ToName,
					"Minutes": int(at.Sub(h.At).Minutes())}, errp), Lane: bot.LaneNotice}
			}); err != nil {
				return nil, err
			}
		} else {
			to, err := e.Directory.Person(ctx, h.To)
			if err != nil {
				return nil, fmt.Errorf("flows: sla: handover %s: %w", h.No, err)
			}
			if _, err := e.toPerson(ctx, t, to, func(lang string) bot.Reply {
				return bot.Reply{Text: e.render(lang, "handover.remind", map[string]any{"No": h.No, "From": h.FromName}, &t.err), Lane: bot.LaneNotice}
			}); err != nil {
				return nil, err
			}
		}
		if t.err != nil {
			return nil, t.err
		}
		out = append(out, Notice{Key: key, Replies: t.out})
	}
	return out, nil
}

// unconfirmed counts a handover's items the incoming steward has not confirmed yet.
func unconfirmed(h guanjia.Handover) int {
	n := 0
	for _, it := range h.Items {
		if it.ConfirmedAt.IsZero() {
			n++
		}
	}
	return n
}
