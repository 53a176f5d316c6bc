package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/guanjia/guanjia"
)

// flowFeeNotice is a steward sending a month's fee notices now (发缴费通知 [YYYY-MM] [楼号]).
const flowFeeNotice = "fee_notice"

// FeeNotices sends a month's fee notices on the office's word, by the same rules as the
// fee-notice job: once per household and month, at most one fee message a household a day.
type FeeNotices interface {
	// PreviewFeeNotices counts what sending would do, sending nothing.
	PreviewFeeNotices(ctx context.Context, community, period string, building int) (NoticeCount, error)
	// SendFeeNotices queues the notices and tells the stewards the homes no one can be told.
	SendFeeNotices(ctx context.Context, community, period string, building int) (NoticeCount, error)
	// LatestPeriod is the latest month the community has bills for.
	LatestPeriod(ctx context.Context, community string) (string, bool, error)
	// QuietUntil is the end of the quiet hours now is in ("08:00"), or "" outside them.
	QuietUntil() string
}

// NoticeCount is what sending a month's notices does or did.
type NoticeCount struct {
	// Homes are the households with a bill of the month (in the building); Reachable those with
	// a resident who can be told privately; Already those told before; Unreachable the rest;
	// Sent those queued now; DayTaken those that had another fee message today (sent tomorrow
	// by the job).
	Homes, Reachable, Already, Unreachable, Sent, DayTaken int
}

// feeNoticeForm is the preview and confirm of 发缴费通知.
func (e *Engine) feeNoticeForm() *form {
	f := &form{e: e, name: flowFeeNotice, summary: "feenotice.preview"}
	f.data = func(t *turn, s *guanjia.Session) map[string]any {
		d := map[string]any{"Period": periodName(t.lang, s.Data["period"]), "Building": s.Data["building"]}
		for _, k := range []string{"homes", "reachable", "already", "unreachable"} {
			d[strings.ToUpper(k[:1])+k[1:]], _ = strconv.Atoi(s.Data[k])
		}
		return d
	}
	f.begin = func(ctx context.Context, t *turn, s *guanjia.Session) (bool, error) {
		if !officeHere(t, "verb.fee_notice") {
			return false, nil
		}
		if e.Notices == nil {
			t.say("feenotice.unavailable", nil)
			return false, nil
		}
		if until := e.Notices.QuietUntil(); until != "" {
			t.say("feenotice.quiet", map[string]any{"Until": until})
			return false, nil
		}
		period, building, ok := parseNoticeArgs(t.text())
		if !ok {
			t.say("feenotice.usage", nil)
			return false, nil
		}
		community := t.person.Community
		if period == "" {
			p, has, err := e.Notices.LatestPeriod(ctx, community)
			if err != nil {
				return false, fmt.Errorf("flows: fee notice: %w", err)
			}
			if !has {
				t.say("feenotice.no_bills", map[string]any{"Period": ""})
				return false, nil
			}
			period = p
		}
		n, err := e.Notices.PreviewFeeNotices(ctx, community, period, building)
		if err != nil {
			return false, fmt.Errorf("flows: fee notice: %w", err)
		}
		if n.Homes == 0 {
			t.say("feenotice.no_bills", map[string]any{"Period": periodName(t.lang, period), "Building": building})
			return false, nil
		}
		s.Data["community"], s.Data["period"] = community, period
		if building > 0 {
			s.Data["building"] = strconv.Itoa(building)
		}
		s.Data["homes"], s.Data["reachable"] = strconv.Itoa(n.Homes), strconv.Itoa(n.Reachable)
		s.Data["already"], s.Data["unreachable"] = strconv.Itoa(n.Already), strconv.Itoa(n.Unreachable)
		return true, nil
	}
	f.submit = func(ctx context.Context, t *turn, s *guanjia.Session) error {
		building, _ := strconv.Atoi(s.Data["building"])
		n, err := e.Notices.SendFeeNotices(ctx, s.Data["community"], s.Data["period"], building)
		if err != nil {
			return fmt.Errorf("flows: fee notice: send: %w", err)
		}
		if err := e.finish(ctx, t); err != nil {
			return err
		}
		e.Log.Info("fee notices sent by hand", "community", s.Data["community"], "period", s.Data["period"], "by", t.person.ID, "sent", n.Sent)
		t.say("feenotice.sent", map[string]any{"Period": periodName(t.lang, s.Data["period"]), "Sent": n.Sent,
			"Already": n.Already, "Unreachable": n.Unreachable, "DayTaken": n.DayTaken})
		return nil
	}
	return f
}

// parseNoticeArgs reads "发缴费通知 [YYYY-MM] [楼号]"; text that is not the command (a 重新填写)
// means the defaults.
func parseNoticeArgs(text string) (period string, building int, ok bool) {
	fields := strings.Fields(text)
	if len(fields) == 0 || !isNoticeCommand(fields[0]) {
		return "", 0, true
	}
	for _, f := range fields[1:] {
		if _, err := guanjia.ParsePeriod(f); err == nil && period == "" && len(f) == 7 {
			period = f
			continue
		}
		b, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(f, "号楼"), "栋"))
		if err != nil || b <= 0 || building != 0 {
			return "", 0, false
		}
		building = b
	}
	return period, building, true
}

func isNoticeCommand(word string) bool {
	switch strings.ToLower(stripBotName(word)) {
	case "发缴费通知", "发送缴费通知", "/feenotice":
		return true
	}
	return false
}
