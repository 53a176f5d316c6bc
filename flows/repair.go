package flows

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// repairFlow takes a repair report one question at a time (SPEC 4.1).
type repairFlow struct{ e *Engine }

// Repair steps, as stored in sessions.
const (
	stepAddress     = "address"
	stepCategory    = "category"
	stepDescription = "description"
	stepPhoto       = "photo"
	stepUrgency     = "urgency"
	stepConfirm     = "confirm"
)

// maxPhotos bounds the photos on one report.
const maxPhotos = 5

var (
	addressYes      = []option{{"addr:yes", "repair.choice_address_yes"}}
	categoryOptions = []option{
		{"water_electric", "repair.cat.water_electric"},
		{"door_window", "repair.cat.door_window"},
		{"elevator", "repair.cat.elevator"},
		{"facility", "repair.cat.facility"},
		{"other", "repair.cat.other"},
	}
	urgencyOptions = []option{
		{string(guanjia.UrgencyNormal), "repair.urgency.normal"},
		{string(guanjia.UrgencyUrgent), "repair.urgency.urgent"},
	}
	confirmOptions = []option{
		{"confirm:submit", "repair.choice_submit"},
		{"confirm:redo", "repair.choice_redo"},
		{"confirm:cancel", "repair.choice_cancel"},
	}
	skipWords = []string{"跳过", "skip", "没有", "无", "不用", "不需要", "no", "好了", "完成", "done", "ok", "好", "发完了", "没了"}
)

func (f *repairFlow) start(ctx context.Context, t *turn) error {
	s := guanjia.Session{Key: t.key, Flow: flowRepair, Step: stepAddress, Data: map[string]string{}}
	if d, tooLong := startDescription(flowRepair, t.text()); d != "" {
		// "报修 厨房水管漏水" or "厨房水管漏水了": the problem is told already.
		s.Data["description"] = d
	} else if tooLong {
		// Told when the description is asked for, so that it is not asked for without a reason.
		s.Data[dataLongDescription] = "1"
	}
	if addr, ok := placeAddress(t.text()); ok {
		// "2号楼电梯坏了": the place is told already, and it is not the home on file.
		s.Data[dataNamedPlace] = addr
	}
	community, err := f.e.communityOf(ctx, t, &s)
	if err != nil || s.Step == stepCommunity {
		return err
	}
	if community == "" {
		t.say("common.unknown_community", nil)
		return nil
	}
	s.Data["community"] = community
	f.e.knownOutage(ctx, t, community, t.text())
	return f.askAddress(ctx, t, &s)
}

// dataNamedPlace is the place the first message of a repair named ("2号楼电梯"), until it is
// checked.
const dataNamedPlace = "named_place"

// placeAddress is the address the first message of a repair names, as the card says it:
// "2号楼电梯" of "2号楼电梯坏了", "3号楼1单元楼道" of "3号楼1单元楼道灯不亮"; ok is false when
// it names no building.
func placeAddress(text string) (string, bool) {
	p, ok := parsePlace(text)
	if !ok {
		return "", false
	}
	if p.entrance > 0 && p.room > 0 {
		return fmt.Sprintf("%d-%d-%d", p.building, p.entrance, p.room), true
	}
	addr := fmt.Sprintf("%d号楼", p.building)
	if p.entrance > 0 {
		addr += fmt.Sprintf("%d单元", p.entrance)
	}
	if p.room > 0 {
		addr += fmt.Sprintf("%d室", p.room)
	}
	for _, w := range publicPlaces {
		if strings.HasPrefix(strings.ToLower(p.rest), w) {
			return addr + w, true
		}
	}
	return addr, true
}

// askAddress asks where the repair is: the place the first message named, when it checks out;
// else the home on file to confirm, or an address to type.
func (f *repairFlow) askAddress(ctx context.Context, t *turn, s *guanjia.Session) error {
	s.Step = stepAddress
	if addr := s.Data[dataNamedPlace]; addr != "" {
		delete(s.Data, dataNamedPlace)
		if t.known && t.person.Household != "" {
			// Still "是" to the home on file, should the place named not check out.
			s.Data["household"] = t.person.Household
		}
		ok, err := f.useAddress(ctx, t, s, addr)
		if err != nil || !ok {
			return err
		}
		t.say("repair.address_from_message", map[string]any{"Address": s.Data["address"]})
		return f.askCategory(ctx, t, s)
	}
	if t.known && t.person.Household != "" {
		s.Data["household"] = t.person.Household
		if t.chat.IsGroup() {
			t.ask("repair.ask_address_known_group", nil, addressYes)
		} else {
			t.ask("repair.ask_address_known", map[string]any{"Address": t.person.Household}, addressYes)
		}
	} else {
		t.say("repair.ask_address", nil)
	}
	return f.e.save(ctx, s)
}

func (f *repairFlow) answer(ctx context.Context, t *turn, s *guanjia.Session) error {
	switch s.Step {
	case stepCommunity:
		if ok, err := f.e.takeCommunity(ctx, t, s); !ok || err != nil {
			return err
		}
		return f.askAddress(ctx, t, s)
	case stepAddress:
		return f.takeAddress(ctx, t, s)
	case stepCategory:
		return f.takeCategory(ctx, t, s)
	case stepDescription:
		return f.takeDescription(ctx, t, s)
	case stepPhoto:
		return f.takePhoto(ctx, t, s)
	case stepUrgency:
		return f.takeUrgency(ctx, t, s)
	case stepConfirm:
		return f.confirm(ctx, t, s)
	}
	return fmt.Errorf("flows: repair: unknown step %q", s.Step)
}

// yesWords and noWords answer "is it this address?" in words.
var (
	yesWords = []string{"是", "是的", "对", "对的", "嗯", "嗯嗯", "好", "好的", "没错", "对，就是这里", "yes", "y", "ok"}
	noWords  = []string{"不是", "不对", "否", "no", "n", "不", "错了"}
)

func (f *repairFlow) takeAddress(ctx context.Context, t *turn, s *guanjia.Session) error {
	answer := strings.ToLower(choiceText(t.text()))
	if s.Data["household"] != "" && slices.Contains(noWords, answer) {
		t.say("repair.ask_other_address", nil)
		return f.e.save(ctx, s)
	}
	_, picked := t.pick(addressYes)
	home := isOneOf(correctedAddress(answer), homeWords)
	if (picked || slices.Contains(yesWords, answer) || home) && s.Data["household"] != "" {
		s.Data["address"] = s.Data["household"]
		s.Data["building"] = ""
		if b, err := guanjia.ParseHouseholdCode(s.Data["household"]); err == nil {
			s.Data["building"] = strconv.Itoa(b)
		}
		return f.askCategory(ctx, t, s)
	}
	if home {
		// "我家", and no home on file to say which.
		t.say("repair.ask_home_address", nil)
		return f.e.save(ctx, s)
	}
	addr := correctedAddress(strings.TrimSpace(t.text()))
	if addr == "" && s.Data["household"] != "" && t.msg.Photo == "" {
		// "不是，": only that the home on file is not it.
		t.say("repair.ask_other_address", nil)
		return f.e.save(ctx, s)
	}
	if n := utf8.RuneCountInString(addr); n < 2 || n > 60 || t.msg.Photo != "" {
		t.say("repair.bad_address", nil)
		return f.e.save(ctx, s)
	}
	ok, err := f.useAddress(ctx, t, s, addr)
	if err != nil || !ok {
		return err
	}
	return f.askCategory(ctx, t, s)
}

// useAddress checks a typed address and takes it as the repair's. When it cannot be right it
// says why, the session waits for the address again, and ok is false.
func (f *repairFlow) useAddress(ctx context.Context, t *turn, s *guanjia.Session, addr string) (bool, error) {
	p, household, problem, err := f.e.checkAddress(ctx, s.Data["community"], addr)
	if err != nil {
		return false, err
	}
	if problem != nil {
		// Said what is wrong and what exists; the answer is asked for again.
		t.say(problem.key, problem.data)
		return false, f.e.save(ctx, s)
	}
	s.Data["address"], s.Data["household"], s.Data["building"] = addr, household, ""
	if household != "" {
		// "3号楼1单元1201室" is home 3-1-1201: the card and the records say it the one way.
		s.Data["address"] = household
		if p.rest != "" {
			s.Data["address"] = household + " " + p.rest
		}
	}
	if p.building > 0 {
		s.Data["building"] = strconv.Itoa(p.building)
	}
	return true, nil
}

// homeWords say the repair is at home: the home on file, when there is one.
var homeWords = []string{"我家", "家里", "我家里", "在家", "在我家", "家", "家中", "我家中", "自己家", "我自己家", "就是我家", "在家里"}

// correction is the start of an answer that corrects the address offered: "不是，是…",
// "不对，在…", "不是这里，在…". The no needs a pause (or 应该是) after it: 「不是3号楼」
// says which building it is not.
var correction = regexp.MustCompile(`^(?:(?:(?:不是这里|不是这儿|不是这个|不是|不对|错了)\s*)+` +
	`(?:[，,。.！!：:；;、\s]+\s*(?:应该是|而是|是在|是|在)?|(?:应该是|而是))` +
	`|不\s*[，,。.！!：:；;、\s]+\s*(?:应该是|而是|是在|是|在)?)\s*`)

// correctedAddress is the address a correction gives: "不是，是3号楼电梯" is 3号楼电梯.
func correctedAddress(text string) string {
	for {
		m := correction.FindStringIndex(text)
		if m == nil || m[1] == 0 {
			return text
		}
		text = text[m[1]:]
	}
}

func (f *repairFlow) askCategory(ctx context.Context, t *turn, s *guanjia.Session) error {
	s.Step = stepCategory
	t.ask("repair.ask_category", nil, categoryOptions)
	return f.e.save(ctx, s)
}

func (f *repairFlow) takeCategory(ctx context.Context, t *turn, s *guanjia.Session) error {
	v, ok := t.pick(categoryOptions)
	if !ok {
		t.reask("common.pick_one", "repair.ask_category", nil, categoryOptions)
		return f.e.save(ctx, s)
	}
	s.Data["category"] = v
	if d := s.Data["description"]; d != "" {
		s.Step = stepPhoto
		t.say("repair.ask_photo_told", map[string]any{"Description": d})
		return f.e.save(ctx, s)
	}
	s.Step = stepDescription
	askDescription(t, s, "repair.ask_description", "repair.bad_description_long")
	return f.e.save(ctx, s)
}

// dataLongDescription marks a session whose first message told the problem at more length
// than the flow takes.
const dataLongDescription = "long_description"

// askDescription asks for the description, saying first, when the first message told it at
// too much length, that it has to be shorter.
func askDescription(t *turn, s *guanjia.Session, ask, tooLong string) {
	if s.Data[dataLongDescription] != "" {
		delete(s.Data, dataLongDescription)
		t.reask(tooLong, ask, nil, nil)
		return
	}
	t.say(ask, nil)
}

func (f *repairFlow) takeDescription(ctx context.Context, t *turn, s *guanjia.Session) error {
	d := t.text()
	switch n := utf8.RuneCountInString(d); {
	case n < 4:
		t.say("repair.bad_description_short", nil)
		return f.e.save(ctx, s)
	case n > descriptionLimit(flowRepair):
		t.say("repair.bad_description_long", nil)
		return f.e.save(ctx, s)
	}
	s.Data["description"] = d
	if t.msg.Photo != "" {
		s.Data["photos"] = t.msg.Photo
	}
	s.Step = stepPhoto
	t.say("repair.ask_photo", nil)
	return f.e.save(ctx, s)
}

func photosOf(s *guanjia.Session) []string {
	if s.Data["photos"] == "" {
		return nil
	}
	return strings.Split(s.Data["photos"], "\n")
}

func (f *repairFlow) takePhoto(ctx context.Context, t *turn, s *guanjia.Session) error {
	if collectPhoto(t, s) {
		return f.askUrgency(ctx, t, s)
	}
	return f.e.save(ctx, s)
}

// collectPhoto takes a photo (or the word that there is none) for the session's photo step.
// It reports whether the step is over.
func collectPhoto(t *turn, s *guanjia.Session) bool {
	if t.msg.Photo != "" {
		photos := append(photosOf(s), t.msg.Photo)
		s.Data["photos"] = strings.Join(photos, "\n")
		if len(photos) < maxPhotos {
			t.say("repair.photo_received", map[string]any{"Count": len(photos)})
			return false
		}
		t.say("repair.too_many_photos", map[string]any{"Max": maxPhotos})
		return true
	}
	if isOneOf(t.text(), skipWords) || saysNoPhoto(t.text()) {
		return true
	}
	if addDetail(t, s) {
		return false
	}
	t.say("repair.bad_photo", nil)
	return false
}

// addDetail adds what was typed at the photo step ("水是从水槽下面的管子漏出来的") to the
// description, within the flow's limit, and says so; the photo question stays open. It
// reports false for what is no detail: a word or two, or a command.
func addDetail(t *turn, s *guanjia.Session) bool {
	text := strings.TrimSpace(t.text())
	if utf8.RuneCountInString(text) < 4 || strings.HasPrefix(text, "/") {
		return false
	}
	if _, ok := parseStaffCommand(text); ok {
		return false
	}
	if no, mine := progressQuery(text); no != "" || mine {
		return false
	}
	if utf8.RuneCountInString(text) <= 8 && slices.ContainsFunc(laterWords, func(w string) bool { return strings.Contains(text, w) }) {
		// "明天再说": about the photo, not the problem.
		return false
	}
	limit := descriptionLimit(s.Flow)
	d := joinDescription(s.Data["description"], text)
	if utf8.RuneCountInString(d) > limit {
		t.say("repair.detail_too_long", map[string]any{"Max": limit})
		return true
	}
	s.Data["description"] = d
	t.say("repair.detail_added", nil)
	return true
}

// laterWords put the photo off ("明天再说", "晚点拍").
var laterWords = []string{"再说", "稍后", "等会", "等一下", "待会", "一会", "晚点", "回头", "later"}

// joinDescription adds more to a description, as one more sentence.
func joinDescription(d, more string) string {
	if d == "" {
		return more
	}
	last, _ := utf8.DecodeLastRuneInString(d)
	switch {
	case strings.ContainsRune("。！？；，、…!?;,.", last):
		if last < utf8.RuneSelf {
			return d + " " + more
		}
		return d + more
	case last < utf8.RuneSelf:
		return d + ". " + more
	}
	return d + "。" + more
}

// saysNoPhoto recognises a short "there is no photo" in words: 「没有照片」「拍不了照」.
func saysNoPhoto(text string) bool {
	lower := strings.ToLower(strings.TrimSpace(text))
	if utf8.RuneCountInString(lower) > 12 {
		return false
	}
	hasAny := func(words ...string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(lower, w) })
	}
	return hasAny("照片", "图片", "相片", "拍", "photo", "picture", "pic") && hasAny("没", "不", "无", "no")
}

func isOneOf(text string, words []string) bool {
	text = strings.ToLower(strings.Trim(text, " 。.!！"))
	for _, w := range words {
		if text == w {
			return true
		}
	}
	return false
}

func (f *repairFlow) askUrgency(ctx context.Context, t *turn, s *guanjia.Session) error {
	s.Step = stepUrgency
	t.ask("repair.ask_urgency", nil, urgencyOptions)
	return f.e.save(ctx, s)
}

func (f *repairFlow) takeUrgency(ctx context.Context, t *turn, s *guanjia.Session) error {
	v, ok := t.pick(urgencyOptions)
	if !ok {
		t.reask("common.pick_one", "repair.ask_urgency", nil, urgencyOptions)
		return f.e.save(ctx, s)
	}
	s.Data["urgency"] = v
	return f.askConfirm(ctx, t, s)
}

func summaryData(t *turn, s *guanjia.Session) map[string]any {
	address := s.Data["address"]
	if t.chat.IsGroup() && s.Data["household"] != "" && address == s.Data["household"] {
		// Neighbours read the group: the home on file stays unnamed there, as when it was asked.
		address = t.label("repair.registered_home")
	}
	return map[string]any{
		"Address":     address,
		"Category":    t.label("repair.cat." + s.Data["category"]),
		"Description": s.Data["description"],
		"Photos":      len(photosOf(s)),
		"Urgency":     t.label("urgency." + s.Data["urgency"]),
	}
}

func (f *repairFlow) askConfirm(ctx context.Context, t *turn, s *guanjia.Session) error {
	s.Step = stepConfirm
	t.ask("repair.summary", summaryData(t, s), confirmOptions)
	return f.e.save(ctx, s)
}

func (f *repairFlow) confirm(ctx context.Context, t *turn, s *guanjia.Session) error {
	return f.e.confirm(ctx, t, s, "repair.summary", func() any { return summaryData(t, s) }, f.start, f.submit)
}

// confirm reads the answer to a summary, for every form: 重填 starts the form again, 取消
// ends it, 确认 submits it, and anything else asks again.
func (e *Engine) confirm(ctx context.Context, t *turn, s *guanjia.Session, summary string, data func() any,
	start func(context.Context, *turn) error, submit func(context.Context, *turn, *guanjia.Session) error) error {
	v, ok := t.pick(confirmOptions)
	switch {
	case !ok:
		t.reask("common.pick_one", summary, data(), confirmOptions)
		return e.save(ctx, s)
	case v == "confirm:redo":
		return start(ctx, t)
	case v == "confirm:cancel":
		if err := e.finish(ctx, t); err != nil {
			return err
		}
		t.say("common.cancelled", nil)
		return nil
	}
	return submit(ctx, t, s)
}

// submit saves the ticket, and only once it is saved tells the resident its number and
// shows the staff group its card.
func (f *repairFlow) submit(ctx context.Context, t *turn, s *guanjia.Session) error {
	now := f.e.Now()
	building, _ := strconv.Atoi(s.Data["building"])
	tk := guanjia.Ticket{
		Kind: guanjia.KindRepair, Community: s.Data["community"], Status: guanjia.StatusSubmitted,
		Reporter: t.person.ID, ReporterName: t.person.Name,
		Origin:     guanjia.Origin{Channel: t.msg.Channel, Chat: t.msg.ChatID, User: t.msg.SenderID},
		Submission: s.Data[dataSubmission],
		Household:  s.Data["household"], Address: s.Data["address"], Building: building,
		Category: s.Data["category"], Description: s.Data["description"], Photos: photosOf(s),
		Urgency: guanjia.Urgency(s.Data["urgency"]), CreatedAt: now, UpdatedAt: now,
		Timeline: []guanjia.Event{{At: now, Action: guanjia.ActSubmit, Actor: t.person.ID, ActorName: t.person.Name}},
	}
	tk.DueAt = now.Add(f.e.Config.DueTimes.For(tk, guanjia.StageAccept))
	if err := f.e.Tickets.CreateTicket(ctx, &tk); err != nil {
		return fmt.Errorf("flows: repair: submit: %w", err)
	}
	f.e.Log.Info("ticket submitted", "ticket", tk.No, "community", tk.Community, "urgency", tk.Urgency)
	f.e.Metrics.FlowCompleted(flowRepair)
	if err := f.e.finish(ctx, t); err != nil {
		// The ticket is saved; a leftover session only lapses later.
		f.e.Log.Warn("end session after submit", "ticket", tk.No, "err", err)
	}
	t.say("repair.submitted", map[string]any{"No": tk.No})
	return f.e.toStaff(ctx, t, tk.Community, func(lang string, errp *error) bot.Reply {
		return bot.Reply{
			Text:  f.e.render(lang, "repair.card", cardData(f.e, lang, tk, errp), errp),
			Photo: firstPhoto(tk),
			Choices: []bot.Choice{
				{Label: f.e.render(lang, "repair.choice_accept", nil, errp), Value: "接单 " + tk.No},
				{Label: f.e.render(lang, "repair.choice_assign", nil, errp), Value: "派单 " + tk.No},
				{Label: f.e.render(lang, "repair.choice_details", nil, errp), Value: "详情 " + tk.No},
			},
		}
	})
}

// prompt asks the question the report waits on again (see prompter).
func (f *repairFlow) prompt(t *turn, s *guanjia.Session) bool {
	switch s.Step {
	case stepAddress:
		address := s.Data["household"]
		if t.chat.IsGroup() && address != "" {
			address = t.label("repair.registered_home")
		}
		if address != "" {
			t.ask("repair.reask_address", map[string]any{"Address": address}, addressYes)
		} else {
			t.say("repair.reask_address", map[string]any{"Address": ""})
		}
	case stepCategory:
		t.ask("repair.ask_category", nil, categoryOptions)
	case stepDescription:
		t.say("repair.ask_description", nil)
	case stepPhoto:
		t.say("repair.ask_photo", nil)
	case stepUrgency:
		t.ask("repair.ask_urgency", nil, urgencyOptions)
	case stepConfirm:
		t.ask("repair.summary", summaryData(t, s), confirmOptions)
	default:
		t.say("danger.resume_last", nil)
	}
	return true
}
