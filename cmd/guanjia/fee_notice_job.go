package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/flows"
)

// maxNoticeAge is how many months back a month's notices still go out: a notice is news of a
// new bill, not a reminder (that is the ladder's).
const maxNoticeAge = 1

// feeNotice sends every household of every community the notice of its latest month's bill,
// once per household and month, privately to each resident who can be reached; tells the
// stewards which homes no one can be reached for; and gives residents' groups at most the
// office's general line.
func (e *jobEnv) feeNotice(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	if res, held, err := e.held(ctx, "fee-notice", at); held || err != nil {
		return res, err
	}
	var res guanjia.JobResult
	communities, err := e.store.Communities(ctx)
	if err != nil {
		return res, err
	}
	for _, c := range communities {
		period, ok, err := e.store.LatestPeriod(ctx, c.ID)
		if err != nil {
			return res, err
		}
		if !ok || period < at.In(e.cfg.location()).AddDate(0, -maxNoticeAge, 0).Format("2006-01") {
			continue
		}
		n, err := e.noticeCommunity(ctx, c.ID, period, at, 0, false)
		if err != nil {
			return res, err
		}
		for what, k := range map[string]int{"sent": n.Sent, "already": n.Already, "unreachable": n.Unreachable, "day_taken": n.DayTaken} {
			if k > 0 {
				res.Add(what, k)
			}
		}
	}
	return res, nil
}

// noticeCommunity sends one community's notices of period (building 0: every building), or
// with dry only counts what it would do.
func (e *jobEnv) noticeCommunity(ctx context.Context, community, period string, at time.Time, building int, dry bool) (flows.NoticeCount, error) {
	var n flows.NoticeCount
	start, err := guanjia.ParsePeriod(period)
	if err != nil {
		return n, err
	}
	v, err := e.view(ctx, community, start.AddDate(0, -1, 0), period)
	if err != nil {
		return n, err
	}
	bills, err := e.store.PeriodBills(ctx, community, period)
	if err != nil {
		return n, err
	}
	// A home's building is part of its code: no need to read every household.
	home := func(code string) guanjia.Household {
		b, _ := guanjia.ParseHouseholdCode(code)
		return guanjia.Household{Community: community, Code: code, Building: b}
	}
	slices.SortFunc(bills, func(a, b guanjia.Bill) int { return strings.Compare(a.Household, b.Household) })
	purpose := guanjia.NoticePurpose(period)
	day := e.engine.Day(at)
	var unreachable []guanjia.Household
	var claims []guanjia.FeeMessage
	var queued [][]bot.Reply
	for _, b := range bills {
		if building != 0 && home(b.Household).Building != building {
			continue
		}
		n.Homes++
		to := v.to[b.Household]
		if len(to) == 0 {
			unreachable = append(unreachable, home(b.Household))
			n.Unreachable++
			continue
		}
		n.Reachable++
		m, done := sentFor(v.sent[b.Household], purpose)
		if dry {
			if done {
				n.Already++
			}
			continue
		}
		earlier := v.owing[b.Household]
		replies, err := e.engine.FeeNoticeReplies(flows.FeeNotice{Bill: b, Earlier: earlier, HowToPay: v.howToPay, At: at}, to)
		if err != nil {
			return n, err
		}
		if done {
			// Claimed by an earlier run: queued again under the same key, which queues it only
			// if that run stopped in between.
			sent, err := e.send(ctx, feeKey(community, b.Household, m.Day), replies)
			if err != nil {
				return n, err
			}
			if sent {
				n.Sent++
			} else {
				n.Already++
			}
			continue
		}
		claims = append(claims, guanjia.FeeMessage{Community: community, Household: b.Household, Day: day, Purpose: purpose, At: at})
		queued = append(queued, replies)
	}
	// The days are claimed in batches, then each household's notice queued under its key.
	ok, err := e.store.ClaimFeeMessages(ctx, claims)
	if err != nil {
		return n, err
	}
	var sends []keyedSend
	for i, m := range claims {
		if !ok[i] {
			n.DayTaken++ // another fee message today: the next run sends it
			continue
		}
		sends = append(sends, keyedSend{feeKey(community, m.Household, m.Day), queued[i]})
	}
	if _, err := e.sendAll(ctx, sends); err != nil {
		return n, err
	}
	n.Sent += len(sends)
	if dry {
		return n, nil
	}
	if len(unreachable) > 0 {
		replies, err := e.engine.UnreachableHomes(ctx, community, period, unreachable)
		if err != nil {
			return n, err
		}
		key := "fee-notice@" + period + "/" + community + "/unreachable"
		if building != 0 {
			key += "/" + itoa(building)
		}
		if _, err := e.send(ctx, key, replies); err != nil {
			return n, err
		}
	}
	if line := e.cfg.Fees.GroupLine; line != "" {
		groups, err := e.store.ChatsByRole(ctx, community, guanjia.ChatBuilding)
		if err != nil {
			return n, err
		}
		for _, g := range groups {
			if building != 0 && !slices.Contains(g.Buildings, building) {
				continue
			}
			if _, err := e.send(ctx, "fee-notice@"+period+"/"+g.ID, replyOf(e.engine.BillsOutLine(g, line))); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// PreviewFeeNotices implements flows.FeeNotices.
func (e *jobEnv) PreviewFeeNotices(ctx context.Context, community, period string, building int) (flows.NoticeCount, error) {
	return e.noticeCommunity(ctx, community, period, e.engine.Now(), building, true)
}

// SendFeeNotices implements flows.FeeNotices.
func (e *jobEnv) SendFeeNotices(ctx context.Context, community, period string, building int) (flows.NoticeCount, error) {
	return e.noticeCommunity(ctx, community, period, e.engine.Now(), building, false)
}

// LatestPeriod implements flows.FeeNotices.
func (e *jobEnv) LatestPeriod(ctx context.Context, community string) (string, bool, error) {
	return e.store.LatestPeriod(ctx, community)
}

// QuietUntil implements flows.FeeNotices.
func (e *jobEnv) QuietUntil() string {
	end := e.cfg.Fees.quietUntil(e.engine.Now().In(e.cfg.location()))
	if end.IsZero() {
		return ""
	}
	return end.Format("15:04")
}
