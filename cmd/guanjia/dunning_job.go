package main

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/flows"
)

// dunning is the daily sweep of the ladder: every household that owes past a due date gets
// the step it has reached, once, unless a steward paused it or the resident promised a day
// that has not passed; after a lapsed promise a reminder goes out once; at the last step the
// building's steward gets a call/visit task. Each reminder is dropped at sending if its month
// was paid meanwhile (flows.PaidUnless).
func (e *jobEnv) dunning(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	if res, held, err := e.held(ctx, "dunning", at); held || err != nil {
		return res, err
	}
	var res guanjia.JobResult
	communities, err := e.store.Communities(ctx)
	if err != nil {
		return res, err
	}
	for _, c := range communities {
		if err := e.sweepCommunity(ctx, c.ID, at, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (e *jobEnv) sweepCommunity(ctx context.Context, community string, at time.Time, res *guanjia.JobResult) error {
	steps := e.engine.DunningSteps(community)
	v, err := e.view(ctx, community, at.AddDate(-1, 0, 0), "")
	if err != nil {
		return err
	}
	actions, err := e.store.DunningActions(ctx, community, "")
	if err != nil {
		return err
	}
	latest := map[string]guanjia.DunningAction{}
	for _, a := range actions {
		latest[a.Household] = a // oldest first: the last one stays
	}
	homes := make([]string, 0, len(v.owing))
	for h := range v.owing {
		homes = append(homes, h)
	}
	slices.Sort(homes)
	loc := e.cfg.location()
	day := e.engine.Day(at)
	type reminder struct {
		replies []bot.Reply
		owed    []guanjia.Arrear
		last    bool
		lapsed  bool
		step    int
	}
	var claims []guanjia.FeeMessage
	var pending []reminder
	for _, h := range homes {
		owed := slices.DeleteFunc(slices.Clone(v.owing[h]), func(a guanjia.Arrear) bool { return a.Due.After(at) })
		if len(owed) == 0 {
			continue
		}
		step := guanjia.DunningStep(steps, owed[0].Due, at, loc)
		if step < 0 {
			continue
		}
		a, acted := latest[h]
		if acted && a.Holds(at) {
			res.Add("paused", 1)
			continue
		}
		r := flows.Reminder{Community: community, Household: h, Step: step, Steps: len(steps), Owed: owed, HowToPay: v.howToPay, At: at}
		purpose := guanjia.StepPurpose(owed[0].Period, step)
		if acted && a.Kind == guanjia.DunningPromise {
			// The promised day passed with nothing paid: one reminder, then the ladder goes on.
			if _, done := sentFor(v.sent[h], "promise:"+a.ID); !done {
				purpose, r.Lapsed = "promise:"+a.ID, true
			}
		}
		if m, done := sentFor(v.sent[h], purpose); done {
			if m.Day != day {
				continue // this step went out on an earlier day
			}
		}
		replies, err := e.engine.ReminderReplies(r, v.to[h])
		if err != nil {
			return err
		}
		last := step == len(steps)-1 && !r.Lapsed
		if len(replies) == 0 && !last {
			res.Add("unreachable", 1)
			continue
		}
		claims = append(claims, guanjia.FeeMessage{Community: community, Household: h, Day: day, Purpose: purpose, At: at})
		pending = append(pending, reminder{replies: replies, owed: owed, last: last, lapsed: r.Lapsed, step: step})
	}
	// The days are claimed in batches, then each household's reminder queued under its key.
	ok, err := e.store.ClaimFeeMessages(ctx, claims)
	if err != nil {
		return err
	}
	var sends []keyedSend
	for i, m := range claims {
		if ok[i] {
			sends = append(sends, keyedSend{feeKey(community, m.Household, m.Day), pending[i].replies})
		}
	}
	if _, err := e.sendAll(ctx, sends); err != nil {
		return err
	}
	for i, m := range claims {
		p := pending[i]
		if !ok[i] {
			res.Add("day_taken", 1)
			continue
		}
		if p.lapsed {
			res.Add("promise_lapsed", 1)
		} else {
			res.Add("step_"+strconv.Itoa(p.step+1), 1)
		}
		if p.last {
			task, err := e.engine.DunningTask(ctx, community, m.Household, p.owed)
			if err != nil {
				return err
			}
			if _, err := e.send(ctx, "dunning-task@"+p.owed[0].Period+"/"+community+"/"+m.Household, task); err != nil {
				return err
			}
			res.Add("tasks", 1)
		}
	}
	return nil
}

// replyOf is one reply as a list.
func replyOf(r bot.Reply) []bot.Reply { return []bot.Reply{r} }

func itoa(n int) string { return strconv.Itoa(n) }
