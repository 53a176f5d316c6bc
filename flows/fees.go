package flows

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// feeExplainWords ask why a bill is what it is.
var feeExplainWords = []string{"为什么这么多", "为什么这么贵", "怎么算的", "怎么这么多", "怎么这么贵", "why so much", "how is it calculated"}

// feeWords ask about fees.
var feeWords = []string{"物业费", "欠多少", "欠费", "账单", "缴费", "交费", "费用", "水费", "电费", "停车费", "多少钱", "/fee", "fee", "bill",
	"owe", "arrears", "outstanding", "balance", "charges", "how much do i pay", "how much should i pay", "what do i pay", "payment due", "amount due"}

// strongFeeWords are specific enough to answer in a group without being addressed: "多少钱"
// in a group chat is rarely a question for the property office.
var strongFeeWords = []string{"物业费", "欠费", "欠多少", "账单", "缴费", "交费", "水费", "电费", "停车费", "/fee", "owe", "arrears", "my bill"}

func strongFeeQuestion(text string) bool {
	lower := strings.ToLower(text)
	for _, w := range strongFeeWords {
		if hasWord(lower, w) {
			return true
		}
	}
	return false
}

// hasWord reports whether text contains w; an English w only at the start of a word, so that
// "owe" is not found in "power" nor "fee" in "coffee".
func hasWord(text, w string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], w)
		if j < 0 {
			return false
		}
		at := i + j
		if at == 0 || !isASCIILetter(w[0]) || !isASCIILetter(text[at-1]) {
			return true
		}
		i = at + 1
	}
}

func isASCIILetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// feeQuestion recognises a fee question; explain is true when it asks for the reasons.
func feeQuestion(text string) (asked, explain bool) {
	lower := strings.ToLower(text)
	for _, w := range feeExplainWords {
		if strings.Contains(lower, w) {
			return true, true
		}
	}
	for _, w := range feeWords {
		if hasWord(lower, w) {
			return true, false
		}
	}
	return false, false
}

// period is the billing month of now, e.g. "2026-11".
func (e *Engine) period() string { return e.Now().In(e.location()).Format("2006-01") }

// answerFees tells a bound resident, in private, this period's bill, what is owed and how
// to pay (SPEC 4.3). In a group the amounts never appear: the group only hears where to look.
func (e *Engine) answerFees(ctx context.Context, t *turn, explain bool) error {
	if !t.known || t.person.Household == "" {
		if t.known && t.person.IsStaff() {
			t.say("fee.staff_usage", nil)
			return nil
		}
		t.say("fee.unbound", nil)
		return nil
	}
	if p, ok := parsePlace(t.text()); ok && p.entrance > 0 && p.room > 0 &&
		fmt.Sprintf("%d-%d-%d", p.building, p.entrance, p.room) != t.person.Household {
		// "2-2-502欠多少钱" from another home: each home's fees are its own.
		t.say("fee.not_your_home", map[string]any{"Household": fmt.Sprintf("%d-%d-%d", p.building, p.entrance, p.room)})
		return nil
	}
	period, ok := e.askedPeriod(t.text())
	if !ok {
		if back, rel := relativeYear(t.text()); rel && badMonth(t.text()) == "" {
			// "去年的账单": a year has twelve bills; ask which.
			t.say("fee.which_month", map[string]any{"Year": e.Now().In(e.location()).Year() - back})
			return nil
		}
		// "13月账单": saying this month's bill instead would answer a question not asked.
		t.say("fee.bad_month", map[string]any{"Month": badMonth(t.text())})
		return nil
	}
	if explain && period == e.period() && !namesMonth(t.text()) {
		// "为什么这么多" before this month's bill is out asks about the bill that is owed.
		latest, err := e.latestOwed(ctx, t.person.Community, t.person.Household, period)
		if err != nil {
			return err
		}
		period = latest
	}
	text, err := e.feeText(ctx, t.lang, t.person.Community, t.person.Household, period, explain, false, &t.err)
	if err != nil {
		return err
	}
	if !t.chat.IsGroup() {
		t.say("fee.plain", map[string]any{"Text": text})
		return nil
	}
	if c, ok, err := e.privateChatOn(ctx, t.person.ID, t.msg.Channel); err != nil {
		return err
	} else if ok {
		t.send(bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Text: text})
		t.say("fee.sent_private", nil)
		return nil
	}
	if l, ok := e.Linkers[t.msg.Channel]; ok {
		if link, ok := l.PrivateLink(deepLinkFee); ok {
			t.say("fee.ask_private_link", map[string]any{"Link": link})
			return nil
		}
	}
	t.say("fee.ask_private", nil)
	return nil
}

// monthInText finds a month a fee question names: "10月", "十月", "2026年10月", "上个月".
var monthInText = regexp.MustCompile(`(?:(\d{4})\s*年\s*)?(\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月`)

// namesMonth reports whether a fee question names its month (10月, 本月, 上个月 …).
func namesMonth(text string) bool {
	_, relative := monthsBack(text)
	return relative || badMonth(text) != ""
}

// monthsBack reads a month named relative to this one: 本月/这个月 (0 back), 上个月 (1),
// 上上个月 (2).
func monthsBack(text string) (int, bool) {
	lower := strings.ToLower(text)
	switch {
	case strings.Contains(text, "上上个月") || strings.Contains(text, "上上月"):
		return 2, true
	case strings.Contains(text, "上个月") || strings.Contains(text, "上月") || strings.Contains(lower, "last month"):
		return 1, true
	case strings.Contains(text, "这个月") || strings.Contains(text, "本月") || strings.Contains(lower, "this month"):
		return 0, true
	}
	return 0, false
}

// latestOwed is period when its bill exists, else the latest month the household owes for
// (period again when it owes nothing).
func (e *Engine) latestOwed(ctx context.Context, community, household, period string) (string, error) {
	if _, err := e.Fees.Bill(ctx, community, household, period); err == nil {
		return period, nil
	} else if !errors.Is(err, guanjia.ErrNotFound) {
		return "", fmt.Errorf("flows: fees: bill: %w", err)
	}
	arrears, err := e.Fees.Arrears(ctx, community, household)
	if err != nil {
		return "", fmt.Errorf("flows: fees: arrears: %w", err)
	}
	latest := period
	for i, a := range arrears {
		if i == 0 || a.Period > latest {
			latest = a.Period
		}
	}
	return latest, nil
}

// relativeYear reads a year named relative to this one: 今年 (0 back), 去年 (1), 前年 (2).
func relativeYear(text string) (int, bool) {
	lower := strings.ToLower(text)
	switch {
	case strings.Contains(text, "前年"):
		return 2, true
	case strings.Contains(text, "去年") || strings.Contains(lower, "last year"):
		return 1, true
	case strings.Contains(text, "今年") || strings.Contains(lower, "this year"):
		return 0, true
	}
	return 0, false
}

// askedPeriod is the billing month a fee question asks about: the one it names, or this one.
// A month later than this one is of last year ("12月" asked in January). A month that does
// not exist ("13月"), or a year without its month ("去年的账单"), is not ok.
func (e *Engine) askedPeriod(text string) (string, bool) {
	now := e.Now().In(e.location())
	back, relative := relativeYear(text)
	if n, ok := monthsBack(text); ok {
		return time.Date(now.Year(), now.Month()-time.Month(n), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"), true
	}
	m := monthInText.FindStringSubmatch(text)
	if m == nil {
		if relative {
			return "", false
		}
		return e.period(), true
	}
	month, err := strconv.Atoi(choiceText(m[2]))
	if err != nil || month < 1 || month > 12 {
		return "", false
	}
	year := now.Year()
	switch {
	case m[1] != "":
		year, _ = strconv.Atoi(m[1])
	case relative:
		year -= back
	case month > int(now.Month()):
		year--
	}
	return time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"), true
}

// badMonth is the month a fee question names as typed ("13月").
func badMonth(text string) string { return monthInText.FindString(text) }

// feeText renders a household's fees: the period's bill by item (with the reasons when
// explain), what is owed by period, the due date and how to pay.
func (e *Engine) feeText(ctx context.Context, lang, community, household, period string, explain, staff bool, errp *error) (string, error) {
	bill, err := e.Fees.Bill(ctx, community, household, period)
	hasBill := err == nil
	if err != nil && !errors.Is(err, guanjia.ErrNotFound) {
		return "", fmt.Errorf("flows: fees: bill: %w", err)
	}
	arrears, err := e.Fees.Arrears(ctx, community, household)
	if err != nil {
		return "", fmt.Errorf("flows: fees: arrears: %w", err)
	}
	var items []string
	for _, it := range bill.Items {
		items = append(items, e.render(lang, "fee.item", e.itemData(lang, it, explain, errp), errp))
	}
	var owed []string
	var total guanjia.Money
	paid := hasBill
	for _, a := range arrears {
		if a.Period == period {
			paid = false
		}
		total += a.Owed
		owed = append(owed, e.arrearLine(lang, a, e.Now(), errp))
	}
	howToPay, err := e.howToPay(ctx, lang, community, errp)
	if err != nil {
		return "", err
	}
	return e.render(lang, "fee.summary", map[string]any{
		"Corrected": len(bill.Corrections) > 0, "Paid": paid, "Overdue": max(guanjia.DaysOverdue(bill.Due, e.Now(), e.location()), 0),
		"Household": household, "Period": periodName(lang, period), "HasBill": hasBill, "Items": items, "Total": bill.Total.String(),
		"Due": bill.Due.In(e.location()).Format("2006-01-02"), "Owed": owed, "OwedTotal": total.String(),
		"Explain": explain, "HowToPay": howToPay, "Hours": int(e.Config.ComplaintReply.Hours()), "Staff": staff,
	}, errp), nil
}

// periodName says a billing month as people do: "2026年11月", "November 2026".
func periodName(lang, period string) string {
	p, err := guanjia.ParsePeriod(period)
	if err != nil {
		return period
	}
	if lang == "zh" {
		return fmt.Sprintf("%d年%d月", p.Year(), p.Month())
	}
	return p.Format("January 2006")
}

// howToPay is the office's own answer on paying, from its FAQ, or a general pointer.
func (e *Engine) howToPay(ctx context.Context, lang, community string, errp *error) (string, error) {
	if e.FAQs != nil {
		faqs, err := e.FAQs.FAQs(ctx, community)
		if err != nil {
			return "", fmt.Errorf("flows: fees: faq: %w", err)
		}
		if f, ok := bestFAQ(faqs, "缴费方式 怎么缴费"); ok {
			return withoutHeading(f.Answer), nil
		}
	}
	return e.render(lang, "fee.how_to_pay", nil, errp), nil
}

// withoutHeading drops a first line that is only a heading ("缴费方式："), as the fee answer
// puts its own in front of the office's text.
func withoutHeading(answer string) string {
	first, rest, ok := strings.Cut(answer, "\n")
	first = strings.TrimSpace(first)
	if ok && utf8.RuneCountInString(first) <= 12 && (strings.HasSuffix(first, "：") || strings.HasSuffix(first, ":")) {
		return strings.TrimSpace(rest)
	}
	return answer
}

// itemData describes one bill item; with explain, the quantity and rate behind it.
func (e *Engine) itemData(lang string, it guanjia.BillItem, explain bool, errp *error) map[string]any {
	return map[string]any{
		"Name":     e.render(lang, "fee.kind."+it.Kind, nil, errp),
		"Unit":     e.render(lang, "fee.unit."+it.Kind, nil, errp),
		"Per":      e.render(lang, "fee.per."+it.Kind, nil, errp),
		"Amount":   it.Amount.String(),
		"Quantity": centi(it.QuantityCenti),
		"Rate":     it.Rate.String(),
		"Note":     it.Note,
		"Explain":  explain,
	}
}

// centi renders hundredths as a decimal without trailing zeros: 12050 → "120.5".
func centi(v int64) string {
	s := fmt.Sprintf("%d.%02d", v/100, v%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// lookUpFees lets staff see any household of their community ("查费 3-1-1201").
func (e *Engine) lookUpFees(ctx context.Context, t *turn, household string) error {
	if !t.known || !t.person.IsStaff() {
		t.say("fee.not_yours", nil)
		return nil
	}
	if !t.person.IsOffice() {
		t.say("staff.office_only", map[string]any{"Command": t.label("verb.fees")})
		return nil
	}
	if t.residentsRead() {
		t.say("fee.staff_not_here", nil)
		return nil
	}
	if _, err := e.Directory.Household(ctx, t.person.Community, household); errors.Is(err, guanjia.ErrNotFound) {
		t.say("fee.no_household", map[string]any{"Household": household})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: look up fees: %w", err)
	}
	text, err := e.feeText(ctx, t.lang, t.person.Community, household, e.period(), true, true, &t.err)
	if err != nil {
		return err
	}
	t.say("fee.plain", map[string]any{"Text": text})
	return nil
}

// recordPayment records money a steward received ("收费 3-1-1201 2026-11 356.50") and tells
// the household's residents privately. The store holds every payment to the same rules, and
// decides them with the write, so of two stewards recording one bill at once the second is
// told it is paid.
func (e *Engine) recordPayment(ctx context.Context, t *turn, household, period, amount string) error {
	if !officeHere(t, "verb.payment") {
		return nil
	}
	money, err := guanjia.ParseMoney(choiceText(amount))
	if errors.Is(err, guanjia.ErrAmountTooLarge) {
		t.say("fee.payment_amount_too_large", map[string]any{"Amount": amount, "Max": guanjia.MaxMoney.String()})
		return nil
	}
	if _, perr := guanjia.ParsePeriod(period); perr != nil {
		t.say("fee.payment_usage", nil)
		return nil
	}
	if err != nil || money <= 0 {
		t.say("fee.payment_bad_amount", map[string]any{"Amount": amount})
		return nil
	}
	p := guanjia.Payment{Community: t.person.Community, Household: household, Period: period, Amount: money,
		At: e.Now(), By: t.person.ID}
	var refused *guanjia.PaymentError
	switch err := e.Fees.RecordPayment(ctx, p); {
	case errors.As(err, &refused):
		t.say(paymentRefusals[refused.Reason], map[string]any{"Household": household, "Period": period,
			"Amount": money.String(), "Owed": refused.Owed.String(), "Total": refused.Total.String(),
			"Paid": refused.Paid.String(), "Max": refused.Max.String(), "Months": refused.Months})
		return nil
	case errors.Is(err, guanjia.ErrNotFound):
		t.say("fee.no_household", map[string]any{"Household": household})
		return nil
	case err != nil:
		return fmt.Errorf("flows: record payment: %w", err)
	}
	e.Log.Info("payment recorded", "community", p.Community, "period", period, "by", t.person.ID)
	_, err = e.Fees.Bill(ctx, t.person.Community, household, period)
	if err != nil && !errors.Is(err, guanjia.ErrNotFound) {
		return fmt.Errorf("flows: record payment: %w", err)
	}
	billed := err == nil
	owed, err := e.owed(ctx, t.person.Community, household)
	if err != nil {
		return fmt.Errorf("flows: record payment: %w", err)
	}
	t.say("fee.payment_recorded", map[string]any{"Household": household, "Period": period,
		"Amount": money.String(), "Owed": owed.String(), "Ahead": !billed})
	return e.thankPayer(ctx, t, household, period, money)
}

// paymentRefusals are the template keys that tell the office why a payment was refused.
var paymentRefusals = map[string]string{
	guanjia.PaymentAlreadyPaid: "fee.payment_already_paid",
	guanjia.PaymentTooMuch:     "fee.payment_too_much",
	guanjia.PaymentTooOld:      "fee.payment_too_old",
	guanjia.PaymentTooFar:      "fee.payment_too_far",
	guanjia.PaymentAdvanceCap:  "fee.payment_too_large",
}

// owed is all a household still owes.
func (e *Engine) owed(ctx context.Context, community, household string) (guanjia.Money, error) {
	arrears, err := e.Fees.Arrears(ctx, community, household)
	var owed guanjia.Money
	for _, a := range arrears {
		owed += a.Owed
	}
	return owed, err
}

// officeHere lets a steward or supervisor use a money command where residents cannot see
// it, and tells anyone else why not.
func officeHere(t *turn, verb string) bool {
	switch {
	case !t.known || !t.person.IsStaff():
		t.say("staff.forbidden", map[string]any{"Command": t.label(verb)})
	case !t.person.IsOffice():
		t.say("staff.office_only", map[string]any{"Command": t.label(verb)})
	case t.residentsRead():
		t.say("fee.staff_not_here", nil)
	default:
		return true
	}
	return false
}

// thankPayer tells the household's bound residents, privately, that their payment arrived.
func (e *Engine) thankPayer(ctx context.Context, t *turn, household, period string, money guanjia.Money) error {
	return e.toResidents(ctx, t, household, func(lang string) string {
		return e.render(lang, "fee.thanks", map[string]any{"Period": periodName(lang, period), "Amount": money.String()}, &t.err)
	})
}

// toResidents sends a notice privately to each resident of a household of the turn's
// community, in their language.
func (e *Engine) toResidents(ctx context.Context, t *turn, household string, text func(lang string) string) error {
	residents, err := e.Directory.PeopleByRole(ctx, t.person.Community, guanjia.RoleResident)
	if err != nil {
		return fmt.Errorf("flows: residents of %s: %w", household, err)
	}
	for _, r := range residents {
		if r.Household != household {
			continue
		}
		if _, err := e.toPerson(ctx, t, r, func(lang string) bot.Reply {
			return bot.Reply{Lane: bot.LaneNotice, Text: text(lang)}
		}); err != nil {
			return err
		}
	}
	return nil
}

// voidPayment takes back the latest payment of a household's month, recorded by mistake
// ("撤销收费 3-1-1201 2026-11"), and tells the household's residents privately.
func (e *Engine) voidPayment(ctx context.Context, t *turn, household, period string) error {
	if !officeHere(t, "verb.void_payment") {
		return nil
	}
	if _, err := guanjia.ParsePeriod(period); err != nil {
		t.say("fee.void_usage", nil)
		return nil
	}
	p, err := e.Fees.VoidPayment(ctx, t.person.Community, household, period, t.person.ID, e.Now())
	if errors.Is(err, guanjia.ErrNotFound) {
		t.say("fee.void_none", map[string]any{"Household": household, "Period": period})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: void payment: %w", err)
	}
	e.Log.Info("payment voided", "community", p.Community, "period", period, "by", t.person.ID)
	owed, err := e.owed(ctx, t.person.Community, household)
	if err != nil {
		return fmt.Errorf("flows: void payment: %w", err)
	}
	t.say("fee.voided", map[string]any{"Household": household, "Period": period, "Amount": p.Amount.String(),
		"At": p.At.In(e.location()).Format("01-02 15:04"), "Owed": owed.String()})
	return e.toResidents(ctx, t, household, func(lang string) string {
		return e.render(lang, "fee.voided_resident", map[string]any{"Period": periodName(lang, period), "Amount": p.Amount.String()}, &t.err)
	})
}

// feeCommand recognises "查费 <household>", "收费 <household> <period> <amount>" and
// "撤销收费 <household> <period>".
func (e *Engine) feeCommand(ctx context.Context, t *turn, text string) (bool, error) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return false, nil
	}
	switch strings.ToLower(stripBotName(fields[0])) {
	case "查费", "/fees":
		if len(fields) == 2 {
			return true, e.lookUpFees(ctx, t, fields[1])
		}
		return true, sayUsage(t, "fee.staff_usage")
	case "收费", "/payment":
		if len(fields) == 4 {
			return true, e.recordPayment(ctx, t, fields[1], fields[2], fields[3])
		}
		return true, sayUsage(t, "fee.payment_usage")
	case "撤销收费", "/unpay":
		if len(fields) == 3 {
			return true, e.voidPayment(ctx, t, fields[1], fields[2])
		}
		return true, sayUsage(t, "fee.void_usage")
	}
	return false, nil
}

// sayUsage answers a command typed incompletely with how to write it.
func sayUsage(t *turn, key string) error {
	t.say(key, nil)
	return nil
}
