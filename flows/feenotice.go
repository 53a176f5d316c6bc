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

// What the monthly fee notices and the reminders of the dunning ladder say is worked out here,
// from what the jobs read in bulk; the jobs (cmd/guanjia/fee_jobs.go) decide who and when, and
// queue it once per key.

// Recipient is a resident to be told privately, with their private chats.
type Recipient struct {
	Person guanjia.Person
	Chats  []guanjia.Chat
}

// FeeNotice is what a household's monthly notice tells: the month's bill by item and what it
// owes for earlier months.
type FeeNotice struct {
	Bill guanjia.Bill
	// Earlier are the earlier months still owed, oldest first.
	Earlier []guanjia.Arrear
	// HowToPay is the office's own words on paying, by language (see Engine.HowToPay).
	HowToPay map[string]string
	// At is when it is sent, for how overdue earlier months are.
	At time.Time
}

// HowToPay is how to pay, in each language, from the community's FAQ or a general pointer.
func (e *Engine) HowToPay(ctx context.Context, community string) (map[string]string, error) {
	out := map[string]string{}
	var rerr error
	for _, lang := range []string{"zh", "en"} {
		s, err := e.howToPay(ctx, lang, community, &rerr)
		if err != nil {
			return nil, err
		}
		out[lang] = s
	}
	return out, rerr
}

// FeeNoticeReplies is the household's monthly notice to each resident, privately, in their
// language: never to a group.
func (e *Engine) FeeNoticeReplies(n FeeNotice, to []Recipient) ([]bot.Reply, error) {
	var err error
	var out []bot.Reply
	for _, r := range to {
		lang := e.Templates.Lang(r.Person.Lang)
		var items []string
		for _, it := range n.Bill.Items {
			items = append(items, e.render(lang, "fee.item", e.itemData(lang, it, false, &err), &err))
		}
		var earlier []string
		var owed guanjia.Money
		for _, a := range n.Earlier {
			owed += a.Owed
			earlier = append(earlier, e.arrearLine(lang, a, n.At, &err))
		}
		text := e.render(lang, "feenotice.private", map[string]any{
			"Household": n.Bill.Household, "Period": periodName(lang, n.Bill.Period), "Items": items,
			"Total": n.Bill.Total.String(), "Due": n.Bill.Due.In(e.location()).Format("2006-01-02"),
			"Earlier": earlier, "EarlierTotal": owed.String(), "HowToPay": n.HowToPay[lang],
		}, &err)
		for _, c := range r.Chats {
			out = append(out, bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Text: text, Lane: bot.LaneNotice})
		}
	}
	return out, err
}

// arrearLine is one month owed, saying how overdue it is once past its due date.
func (e *Engine) arrearLine(lang string, a guanjia.Arrear, now time.Time, errp *error) string {
	return e.render(lang, "fee.arrear", map[string]any{"Period": periodName(lang, a.Period), "Owed": a.Owed.String(),
		"Due": a.Due.In(e.location()).Format("2006-01-02"), "Overdue": max(guanjia.DaysOverdue(a.Due, now, e.location()), 0)}, errp)
}

// BillsOutLine is the general line a residents' group may get when a month's bills are out:
// the office's text, which names no home and no amount.
func (e *Engine) BillsOutLine(c guanjia.Chat, text string) bot.Reply {
	return bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Group: true, Text: text, Lane: bot.LaneNotice}
}

// UnreachableHomes tells the stewards of the buildings, privately (or the staff group when a
// building has no steward who can be reached), which homes no resident could be told about
// key (a month's notice): homes only, no names, amounts or phone numbers.
func (e *Engine) UnreachableHomes(ctx context.Context, community, period string, homes []guanjia.Household) ([]bot.Reply, error) {
	if len(homes) == 0 {
		return nil, nil
	}
	t := &turn{e: e, lang: e.Templates.Lang("")}
	stewards, err := e.stewards(ctx, community)
	if err != nil {
		return nil, err
	}
	byBuilding := map[int][]string{}
	for _, h := range homes {
		byBuilding[h.Building] = append(byBuilding[h.Building], h.Code)
	}
	buildings := make([]int, 0, len(byBuilding))
	for b := range byBuilding {
		buildings = append(buildings, b)
	}
	slices.Sort(buildings)
	var orphans []string
	for _, b := range buildings {
		told := false
		for _, s := range buildingStewards(stewards, b) {
			ok, err := e.toPerson(ctx, t, s, func(lang string) bot.Reply {
				return bot.Reply{Lane: bot.LaneNotice, Text: e.render(lang, "feenotice.unreachable", map[string]any{
					"Period": periodName(lang, period), "Building": b, "Homes": strings.Join(byBuilding[b], "、"),
					"Count": len(byBuilding[b])}, &t.err)}
			})
			if err != nil {
				return nil, err
			}
			told = told || ok
		}
		if !told {
			orphans = append(orphans, byBuilding[b]...)
		}
	}
	if len(orphans) > 0 {
		if err := e.toStaff(ctx, t, community, func(lang string, errp *error) bot.Reply {
			return bot.Reply{Lane: bot.LaneNotice, Text: e.render(lang, "feenotice.unreachable", map[string]any{
				"Period": periodName(lang, period), "Homes": strings.Join(orphans, "、"), "Count": len(orphans)}, errp)}
		}); err != nil {
			return nil, err
		}
	}
	return t.out, t.err
}

// Reminder is one step of the dunning ladder for a household.
type Reminder struct {
	Community, Household string
	// Step is the step of the ladder (0 on the due date), Steps how many it has.
	Step, Steps int
	// Owed are the months owed, oldest first; the oldest decides the step.
	Owed     []guanjia.Arrear
	HowToPay map[string]string
	// Lapsed marks the reminder after a promise to pay passed without a payment.
	Lapsed bool
	// At is when it is sent, for how overdue the months are.
	At time.Time
}

// PaidUnless is the condition under which a reminder about a household's month is dropped
// at sending: the month is paid (see Engine.ReminderStale).
func PaidUnless(community, household, period string) string {
	return "paid|" + community + "|" + household + "|" + period
}

// ReminderStale reports whether a message queued with unless has become pointless: a reminder
// (PaidUnless) whose month was paid meanwhile, in chat or by import, or an edit of a survey's
// counts (SurveyEditUnless) a later vote has a fresher one for. It is asked just before the
// message is sent.
func (e *Engine) ReminderStale(ctx context.Context, unless string) (bool, error) {
	parts := strings.Split(unless, "|")
	if len(parts) == 3 && parts[0] == "survey" {
		// An edit of a survey's counts a later vote has a fresher one queued for.
		seq, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return false, nil
		}
		now, err := e.Attempts.Tries(ctx, parts[1])
		if err != nil {
			return false, fmt.Errorf("flows: survey edit: %w", err)
		}
		return now > seq, nil
	}
	if len(parts) != 4 || parts[0] != "paid" {
		return false, nil
	}
	arrears, err := e.Fees.Arrears(ctx, parts[1], parts[2])
	if err != nil {
		return false, fmt.Errorf("flows: reminder still owed: %w", err)
	}
	return !slices.ContainsFunc(arrears, func(a guanjia.Arrear) bool { return a.Period == parts[3] }), nil
}

// ReminderReplies is a step of the ladder to each resident of the household, privately, its
// tone rising gently with the step. Each reply is dropped at sending if the oldest month owed
// was paid meanwhile.
func (e *Engine) ReminderReplies(r Reminder, to []Recipient) ([]bot.Reply, error) {
	if len(r.Owed) == 0 {
		return nil, nil
	}
	var err error
	var out []bot.Reply
	tone := reminderTone(r.Step, r.Steps)
	if r.Lapsed {
		tone = "lapsed"
	}
	oldest := r.Owed[0]
	for _, p := range to {
		lang := e.Templates.Lang(p.Person.Lang)
		var lines []string
		var total guanjia.Money
		for _, a := range r.Owed {
			total += a.Owed
			lines = append(lines, e.arrearLine(lang, a, r.At, &err))
		}
		text := e.render(lang, "dunning.remind."+tone, map[string]any{
			"Household": r.Household, "Owed": lines, "Total": total.String(), "HowToPay": r.HowToPay[lang],
			"Overdue": max(guanjia.DaysOverdue(oldest.Due, r.At, e.location()), 0),
			"Due":     oldest.Due.In(e.location()).Format("2006-01-02"),
		}, &err)
		for _, c := range p.Chats {
			out = append(out, bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Text: text, Lane: bot.LaneNotice,
				Unless: PaidUnless(r.Community, r.Household, oldest.Period)})
		}
	}
	return out, err
}

// reminderTone is the template of a step: on the due date a friendly note, then a reminder,
// then, from the second to last step, a firmer (still polite) one.
func reminderTone(step, steps int) string {
	switch {
	case step <= 0:
		return "due"
	case step < steps-2 || steps <= 2:
		return "overdue"
	}
	return "firm"
}

// DunningTask asks the building's steward, privately (or the staff group when no steward of
// the building can be reached), to call or visit a household at the last step of the ladder.
func (e *Engine) DunningTask(ctx context.Context, community, household string, owed []guanjia.Arrear) ([]bot.Reply, error) {
	t := &turn{e: e, lang: e.Templates.Lang("")}
	data := func(lang string) map[string]any {
		var total guanjia.Money
		for _, a := range owed {
			total += a.Owed
		}
		first := ""
		if len(owed) > 0 {
			first = owed[0].Period
		}
		return map[string]any{"Household": household, "Months": len(owed), "Total": total.String(), "Since": first}
	}
	told, err := e.toBuildingStewards(ctx, t, community, household, func(lang string) bot.Reply {
		return bot.Reply{Lane: bot.LaneNotice, Text: e.render(lang, "dunning.task", data(lang), &t.err)}
	})
	if err != nil {
		return nil, err
	}
	if !told {
		if err := e.toStaff(ctx, t, community, func(lang string, errp *error) bot.Reply {
			return bot.Reply{Lane: bot.LaneNotice, Text: e.render(lang, "dunning.task", data(lang), errp)}
		}); err != nil {
			return nil, err
		}
	}
	return t.out, t.err
}

// toBuildingStewards sends to the stewards who look after the household's building, privately,
// and reports whether any could be reached.
func (e *Engine) toBuildingStewards(ctx context.Context, t *turn, community, household string, build func(lang string) bot.Reply) (bool, error) {
	b, ok := buildingOf(household)
	if !ok {
		return false, nil
	}
	// The steward of the building on shift (every steward of it when none is).
	stewards, err := e.stewardsOf(ctx, community, b, e.Now())
	if err != nil {
		return false, fmt.Errorf("flows: stewards of %s: %w", community, err)
	}
	told := false
	for _, s := range stewards {
		ok, err := e.toPerson(ctx, t, s, build)
		if err != nil {
			return false, err
		}
		told = told || ok
	}
	return told, nil
}

// buildingOf is the building of a household code "3-1-1201".
func buildingOf(household string) (int, bool) {
	first, _, _ := strings.Cut(household, "-")
	b, err := strconv.Atoi(first)
	return b, err == nil
}
