package flows

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// A resident's answers to a fee reminder: paid, a promise, a doubt about the bill, hardship.

// The answers, each a whole message.
var (
	claimPaid   = regexp.MustCompile(`^(我)?(已经?|都)(缴|交|付)(过|了|费|清)*(了)?[。！!.]?$|^(缴|交)过了[。！!.]?$`)
	promiseDay  = regexp.MustCompile(`^(?:我)?(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})[号日](?:之?前)?(?:再|会|就)?(?:缴|交|付)(?:费|清)?[。！!.]?$`)
	promiseWeek = regexp.MustCompile(`^(?:我)?下(?:个)?(周|星期|礼拜|月)(?:再|会|就)?(?:缴|交|付)(?:费|清)?[。！!.]?$`)
	doubtWords  = regexp.MustCompile(`^(?:我)?(?:对账单|账单)?有(?:疑问|问题)[。！!.]?$`)
	hardWords   = regexp.MustCompile(`^(?:我)?(?:有|比较|暂时|经济)?困难[。！!.]?$|^(?:暂时)?(?:交|缴)不起[。！!.]?$`)
	// Everyday words: 我交过了啊, 明天就去交, 下周五交, 月底交, 哪有钱交.
	claimPaidSaid = regexp.MustCompile(`^(?:我|我们)?(?:早就?|已经?|都)?(?:缴|交|付)过(?:了)?$`)
	promiseSaid   = regexp.MustCompile(`^(?:我|我们)?(?:就|会)?(明天|后天|大后天|(?:下个?|这个?|本)?(?:周|星期|礼拜)[一二三四五六日天末]|(?:这个?月|本月)?月?[底末])(?:之?前)?(?:再|会|就)?(?:去)?(?:缴|交|付)(?:费|清|上)?(?:吧)?$`)
	promiseVague  = regexp.MustCompile(`^(?:我|我们)?(?:再)?(?:过|晚|等)(?:几|两|一两|两三)天(?:再|就)?(?:去)?(?:缴|交|付)(?:费|清)?(?:吧)?$|^(?:我)?改天(?:再|就)?(?:去)?(?:缴|交|付)(?:费|清)?(?:吧)?$`)
	hardSaid      = regexp.MustCompile(`^.{0,12}?(?:哪有钱|哪来的?钱|没(?:有)?钱|(?:交|缴|付)不起|经济(?:上)?(?:有)?困难|手头(?:有点|比较)?紧)(?:交|缴|付)?(?:费|了)?$`)
)

// answerText is a whole message with its closing punctuation and particles left off.
func answerText(text string) string {
	return strings.TrimRight(strings.TrimSpace(text), "。！!.？?～~，, 啊呀啦嘛哈")
}

// reminderAnswer handles a bound resident's answer to a reminder, in a private chat, while the
// household owes: 已缴, a promise, 有疑问, 困难. Anything else is not an answer.
func (e *Engine) reminderAnswer(ctx context.Context, t *turn, text string) (bool, error) {
	text = strings.TrimSpace(text)
	said := answerText(text)
	kind := ""
	switch {
	case claimPaid.MatchString(text) || claimPaidSaid.MatchString(said):
		kind = guanjia.DunningClaim
	case promiseDay.MatchString(text) || promiseWeek.MatchString(text) || promiseSaid.MatchString(said):
		kind = guanjia.DunningPromise
	case promiseVague.MatchString(said):
		kind = "which_day"
	case doubtWords.MatchString(text) || doubtWords.MatchString(said):
		kind = "doubt"
	case hardWords.MatchString(text) || hardSaid.MatchString(said):
		kind = guanjia.DunningHardship
	default:
		return false, nil
	}
	if !t.known || t.person.Household == "" || t.chat.IsGroup() {
		return false, nil
	}
	community, household := t.person.Community, t.person.Household
	owed, err := e.Fees.Arrears(ctx, community, household)
	if err != nil {
		return true, fmt.Errorf("flows: reminder answer: %w", err)
	}
	if len(owed) == 0 {
		if kind == guanjia.DunningClaim {
			t.say("dunning.nothing_owed", nil)
			return true, nil
		}
		return false, nil
	}
	now := e.Now()
	if !slices.ContainsFunc(owed, func(a guanjia.Arrear) bool { return !a.Due.After(now) }) {
		// Nothing past its due date: this answers a fee message only if one was sent lately
		// (the month's bill notice); otherwise "有问题" may be the start of something else.
		sent, err := e.Dunning.HouseholdFeeMessages(ctx, community, household, now.Add(-AnswerWindow))
		if err != nil {
			return true, fmt.Errorf("flows: reminder answer: %w", err)
		}
		if len(sent) == 0 {
			return false, nil
		}
	}
	switch kind {
	case "doubt":
		return true, e.billQuestion(ctx, t, owed)
	case "which_day":
		t.say("dunning.promise_which_day", nil)
		return true, nil
	case guanjia.DunningPromise:
		until, reason := e.promiseDate(said)
		if reason != "" {
			t.say(reason, map[string]any{"Days": int(MaxPromise.Hours() / 24)})
			return true, nil
		}
		if _, err := e.Dunning.AddDunningAction(ctx, guanjia.DunningAction{Community: community, Household: household,
			Kind: kind, By: t.person.ID, At: now, Until: until}); err != nil {
			return true, fmt.Errorf("flows: promise: %w", err)
		}
		t.say("dunning.promised", map[string]any{"Date": until.Add(-time.Minute).In(e.location()).Format("2006-01-02")})
		return true, nil
	}
	a := guanjia.DunningAction{Community: community, Household: household, Kind: kind, By: t.person.ID, At: now}
	if kind == guanjia.DunningClaim {
		a.Until = now.Add(ClaimHold)
	}
	if _, err := e.Dunning.AddDunningAction(ctx, a); err != nil {
		return true, fmt.Errorf("flows: %s: %w", kind, err)
	}
	t.say("dunning.answered."+kind, map[string]any{"Days": int(ClaimHold.Hours() / 24)})
	var total guanjia.Money
	var months []string
	for _, o := range owed {
		total += o.Owed
		months = append(months, o.Period)
	}
	build := func(lang string) bot.Reply {
		return bot.Reply{Text: e.render(lang, "dunning.staff."+kind, map[string]any{"Household": household, "Name": t.person.Name,
			"Months": strings.Join(months, "、"), "Total": total.String()}, &t.err)}
	}
	told, err := e.toBuildingStewards(ctx, t, community, household, build)
	if err != nil || told {
		return true, err
	}
	return true, e.toStaff(ctx, t, community, func(lang string, errp *error) bot.Reply { return build(lang) })
}

// promiseDate is the end of the day a resident promised to pay by, or the template that says
// why the date will not do: past, or further than MaxPromise.
func (e *Engine) promiseDate(text string) (time.Time, string) {
	now := e.Now().In(e.location())
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, e.location())
	var day time.Time
	if m := promiseSaid.FindStringSubmatch(text); m != nil {
		day = saidDay(m[1], today)
	} else if m := promiseWeek.FindStringSubmatch(text); m != nil {
		if m[1] == "月" {
			day = time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, e.location()).AddDate(0, 1, -1)
		} else {
			// The end of next week: Sunday.
			wd := (int(now.Weekday()) + 6) % 7 // Monday 0
			day = today.AddDate(0, 0, 13-wd)
		}
	} else {
		m := promiseDay.FindStringSubmatch(text)
		d, _ := strconv.Atoi(m[3])
		year, month := now.Year(), int(now.Month())
		explicit := m[2] != ""
		if m[1] != "" {
			year, _ = strconv.Atoi(m[1])
		}
		if explicit {
			month, _ = strconv.Atoi(m[2])
		}
		if month < 1 || month > 12 || d < 1 || d > 31 {
			return time.Time{}, "dunning.promise_bad"
		}
		day = time.Date(year, time.Month(month), d, 0, 0, 0, 0, e.location())
		if day.Day() != d {
			return time.Time{}, "dunning.promise_bad"
		}
		if !explicit && day.Before(today) {
			// "5号缴" on the 20th: the 5th of next month.
			day = time.Date(year, time.Month(month)+1, d, 0, 0, 0, 0, e.location())
		}
	}
	switch {
	case day.Before(today):
		return time.Time{}, "dunning.promise_past"
	case day.Sub(today) > MaxPromise:
		return time.Time{}, "dunning.promise_far"
	}
	return day.AddDate(0, 0, 1), ""
}

// saidDay is the day a word said relative to today names: 明天, 后天, 大后天; 下周五, 这周五,
// 周五 (this week's, or next week's once it has passed), 周末 (Sunday); 月底.
func saidDay(word string, today time.Time) time.Time {
	switch word {
	case "明天":
		return today.AddDate(0, 0, 1)
	case "后天":
		return today.AddDate(0, 0, 2)
	case "大后天":
		return today.AddDate(0, 0, 3)
	}
	if strings.HasSuffix(word, "底") || strings.HasSuffix(word, "末") && !strings.ContainsAny(word, "周期拜") {
		return time.Date(today.Year(), today.Month()+1, 1, 0, 0, 0, 0, today.Location()).AddDate(0, 0, -1)
	}
	r := []rune(word)
	want := strings.IndexRune("一二三四五六日", r[len(r)-1])
	if want < 0 {
		want = 6 // 周天, 周末: the end of the weekend
	} else {
		want /= len("一") // a byte offset: runes are three bytes each
	}
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	day := monday.AddDate(0, 0, want)
	switch {
	case strings.HasPrefix(word, "下"):
		day = day.AddDate(0, 0, 7)
	case !strings.HasPrefix(word, "这") && !strings.HasPrefix(word, "本") && day.Before(today):
		day = day.AddDate(0, 0, 7)
	}
	return day
}

// billQuestion turns 有疑问 into an inquiry with the bill attached, answered by the office in
// the promised time.
func (e *Engine) billQuestion(ctx context.Context, t *turn, owed []guanjia.Arrear) error {
	now := e.Now()
	var lines []string
	for _, a := range owed {
		bill, err := e.Fees.Bill(ctx, t.person.Community, t.person.Household, a.Period)
		if err != nil {
			return fmt.Errorf("flows: bill question: %w", err)
		}
		var items []string
		for _, it := range bill.Items {
			items = append(items, e.render(t.lang, "fee.kind."+it.Kind, nil, &t.err)+" "+it.Amount.String())
		}
		lines = append(lines, e.render(t.lang, "dunning.question_bill", map[string]any{"Period": a.Period,
			"Items": strings.Join(items, "，"), "Total": bill.Total.String(), "Owed": a.Owed.String()}, &t.err))
	}
	tk := guanjia.Ticket{
		Kind: guanjia.KindInquiry, Community: t.person.Community, Status: guanjia.StatusSubmitted,
		Reporter: t.person.ID, ReporterName: t.person.Name, Household: t.person.Household,
		Origin:      guanjia.Origin{Channel: t.msg.Channel, Chat: t.msg.ChatID, User: t.msg.SenderID},
		Submission:  "bill-question:" + t.msg.Channel + ":" + t.msg.ID,
		Description: e.render(t.lang, "dunning.question", map[string]any{"Bills": lines}, &t.err),
		Urgency:     guanjia.UrgencyNormal, CreatedAt: now, UpdatedAt: now, DueAt: now.Add(e.Config.ComplaintReply),
		Timeline: []guanjia.Event{{At: now, Action: guanjia.ActSubmit, Actor: t.person.ID, ActorName: t.person.Name}},
	}
	if err := e.Tickets.CreateTicket(ctx, &tk); err != nil {
		return fmt.Errorf("flows: bill question: %w", err)
	}
	e.Log.Info("ticket submitted", "ticket", tk.No, "community", tk.Community)
	due := tk.DueAt.In(e.location()).Format("01-02 15:04")
	t.say("inquiry.submitted", map[string]any{"No": tk.No, "Hours": int(e.Config.ComplaintReply.Hours()), "Due": due})
	return e.toStaff(ctx, t, tk.Community, func(lang string, errp *error) bot.Reply {
		return bot.Reply{Text: e.render(lang, "inquiry.card", map[string]any{"No": tk.No, "Question": tk.Description,
			"Reporter": tk.ReporterName, "Household": tk.Household, "Due": due}, errp)}
	})
}
