package flows

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// Broadcasts by staff (SPEC 8): a steward drafts an announcement (通知) or an emergency (紧急)
// as a form that asks only what the first message left out — kind, scope, text, when — then
// sees a preview (the text as residents will see it, who receives it, how long delivery takes
// at each channel's pacing, which buildings no chat reaches) and confirms. Emergencies go out
// at once in the emergency lane; announcements wait out quiet hours, and a scheduled one goes
// out at its time by a timer.

// Broadcasts keeps broadcasts and what happens to them. *mongostore.Store implements it.
type Broadcasts interface {
	// CreateBroadcast numbers b and saves it; a submission saved before makes b that one.
	CreateBroadcast(ctx context.Context, b *guanjia.Broadcast) error
	Broadcast(ctx context.Context, community, no string) (guanjia.Broadcast, error)
	// Broadcasts lists a community's broadcasts created since a time (zero: all), newest first.
	Broadcasts(ctx context.Context, community string, since time.Time) ([]guanjia.Broadcast, error)
	// AddBroadcastEvent inserts an event, reporting false when its ID was inserted before.
	AddBroadcastEvent(ctx context.Context, ev guanjia.BroadcastEvent) (bool, error)
	BroadcastEvents(ctx context.Context, community, no string) ([]guanjia.BroadcastEvent, error)
}

// Timers sets and withdraws one-off timers. *schedule.Scheduler implements it.
type Timers interface {
	AddTimer(ctx context.Context, kind, key string, due time.Time, data map[string]string) (guanjia.Timer, error)
	CancelTimer(ctx context.Context, id string) error
}

// Pacing tells how long a channel takes to deliver a broadcast at its pace.
type Pacing interface {
	DeliveryTime(channel string, groups, privates int, emergency bool) time.Duration
}

// Timer kinds of broadcasts.
const (
	// TimerBroadcast sends a scheduled (or quiet-hours held) announcement; key is its number.
	TimerBroadcast = "broadcast"
	// TimerEmergencyRound tells the steward an open emergency's status and reminds the
	// roll call; key is "<no>/<round>".
	TimerEmergencyRound = "emergency-round"
	// TimerRollCallEscalate tells the supervisors of roll-call residents nobody has checked.
	TimerRollCallEscalate = "rollcall-escalate"
)

const flowBroadcast = "broadcast"

// maxBroadcastText is the longest text a broadcast takes; the outbound queue splits it into
// as many messages as each platform needs, never cutting it.
const maxBroadcastText = 10000

// broadcastKinds are the templates a broadcast is drafted from, with the words that tell them.
var broadcastKinds = []struct {
	kind  string
	words []string
}{
	{"water", []string{"停水", "供水", "水管", "没水", "断水", "没有水"}},
	{"power", []string{"停电", "断电", "供电", "没电", "没有电"}},
	{"elevator", []string{"电梯", "困人", "被困"}},
	{"gas", []string{"燃气", "煤气", "天然气"}},
	{"fire", []string{"火情", "着火", "火灾", "冒烟", "失火"}},
	{"inspection", []string{"消防检查", "消防演练", "检查"}},
	{"storm", []string{"台风", "暴雨", "大风", "防汛"}},
	{"other", nil},
}

func broadcastKindOptions(*turn, *guanjia.Session) []option {
	opts := make([]option, len(broadcastKinds))
	for i, k := range broadcastKinds {
		opts[i] = option{k.kind, "broadcast.kind." + k.kind}
	}
	return opts
}

// broadcastForm is the form of both broadcasts; the session's "emergency" tells them apart.
func (e *Engine) broadcastForm() *form {
	f := &form{e: e, name: flowBroadcast, summary: "broadcast.preview"}
	f.fields = []field{
		{name: "kind", prompt: "broadcast.ask_kind", options: broadcastKindOptions,
			skip: func(s *guanjia.Session) bool { return s.Data["kind"] != "" }},
		{name: "scope", prompt: "broadcast.ask_scope", parse: e.parseScopeAnswer,
			skip: func(s *guanjia.Session) bool { return s.Data["scope"] != "" }},
		{name: "text", prompt: "broadcast.ask_text", parse: parseBroadcastText,
			options: func(*turn, *guanjia.Session) []option { return []option{{"bcast-default", "broadcast.use_default"}} },
			skip:    func(s *guanjia.Session) bool { return s.Data["text"] != "" }},
		{name: "when", prompt: "broadcast.ask_when", parse: e.parseWhenAnswer,
			options: func(*turn, *guanjia.Session) []option { return []option{{"now", "broadcast.now"}} },
			skip:    func(s *guanjia.Session) bool { return s.Data["when"] != "" || s.Data["emergency"] != "" }},
	}
	f.begin = e.beginBroadcast
	f.data = func(t *turn, s *guanjia.Session) map[string]any { return e.previewData(t, s) }
	f.submit = e.submitBroadcast
	return f
}

// broadcastStart reports whether text starts a broadcast ("紧急", "紧急 3号楼 电梯困人",
// "通知：明天停水"), whether an emergency, and the words after the command.
func broadcastStart(text string) (emergency bool, rest string, ok bool) {
	text = strings.TrimSpace(text)
	for _, c := range []struct {
		word      string
		emergency bool
	}{{"紧急", true}, {"通知", false}, {"/emergency", true}, {"/notice", false}} {
		after, found := strings.CutPrefix(text, c.word)
		if !found {
			continue
		}
		r, size := utf8.DecodeRuneInString(after)
		if size == 0 || r == ' ' || r == '　' || strings.ContainsRune("：:，,", r) || (r >= '0' && r <= '9') {
			return c.emergency, strings.Trim(strings.TrimSpace(after), "：:，, "), true
		}
	}
	return false, "", false
}

// beginBroadcast takes what the first message says: the kind, the scope, the text.
func (e *Engine) beginBroadcast(ctx context.Context, t *turn, s *guanjia.Session) (bool, error) {
	emergency, rest, _ := broadcastStart(t.text())
	if !t.known || !t.person.IsOffice() {
		t.say("broadcast.staff_only", nil)
		return false, nil
	}
	if emergency {
		s.Data["emergency"] = "1"
	}
	s.Data["community"] = t.person.Community
	if rest == "" {
		return true, nil
	}
	c, err := e.Directory.Community(ctx, t.person.Community)
	if err != nil {
		return false, fmt.Errorf("flows: broadcast: community: %w", err)
	}
	scope, unknown, text := scopeIn(rest, c)
	switch {
	case unknown != "":
		s.Data["unknown"] = unknown
	case scope != "":
		s.Data["scope"] = scope
	}
	s.Data["kind"] = kindIn(text)
	if s.Data["kind"] == "other" && text == "" {
		s.Data["kind"] = ""
	}
	if text != "" && !kindWordOnly(text) {
		// "通知 3号楼 停水" names the kind only: the text is asked for, with the kind's default.
		s.Data["text"] = text
	}
	return true, nil
}

// kindWordOnly reports whether text is no more than a kind's word ("停水", "消防检查").
func kindWordOnly(text string) bool {
	for _, k := range broadcastKinds {
		if slices.Contains(k.words, text) {
			return true
		}
	}
	return false
}

// kindIn is the kind a text tells of, "other" when none.
func kindIn(text string) string {
	for _, k := range broadcastKinds {
		for _, w := range k.words {
			if strings.Contains(text, w) {
				return k.kind
			}
		}
	}
	return "other"
}

var (
	buildingWord = regexp.MustCompile(`(\d{1,3})\s*(?:号楼|号|栋|幢|#)`)
	buildingList = regexp.MustCompile(`^\s*\d{1,3}(?:\s*[,，、和]\s*\d{1,3})*\s*(?:号楼|栋|幢)?\s*$`)
	allWords     = []string{"全小区", "整个小区", "全体", "全部", "所有楼", "所有", "全体业主", "all"}
)

// scopeIn finds the scope words give: "all", or buildings ("1,3"); a building the community
// does not have is returned as unknown; text is what is left.
func scopeIn(words string, c guanjia.Community) (scope, unknown, text string) {
	text = words
	for _, w := range allWords {
		if strings.HasPrefix(text, w) {
			return "all", "", strings.TrimSpace(strings.TrimPrefix(text, w))
		}
	}
	var found []int
	if m := buildingList.FindString(text); m != "" {
		for _, f := range regexp.MustCompile(`\d{1,3}`).FindAllString(m, -1) {
			n, _ := strconv.Atoi(f)
			found = append(found, n)
		}
		text = ""
	} else {
		for _, m := range buildingWord.FindAllStringSubmatchIndex(text, -1) {
			n, _ := strconv.Atoi(text[m[2]:m[3]])
			found = append(found, n)
		}
		if len(found) > 0 {
			// The scope is said first ("3号楼 电梯困人"): the text is what follows it.
			loc := buildingWord.FindAllStringIndex(text, -1)
			last := loc[len(loc)-1][1]
			if loc[0][0] == 0 {
				text = strings.TrimSpace(strings.Trim(text[last:], "，,、 "))
			}
		}
	}
	if len(found) == 0 {
		return "", "", strings.TrimSpace(text)
	}
	slices.Sort(found)
	found = slices.Compact(found)
	var parts []string
	for _, b := range found {
		if !slices.Contains(c.Buildings, b) {
			return "", fmt.Sprintf("%d号楼", b), strings.TrimSpace(text)
		}
		parts = append(parts, strconv.Itoa(b))
	}
	return strings.Join(parts, ","), "", strings.TrimSpace(text)
}

// scopeBuildings are the buildings of a scope; none for the whole community.
func scopeBuildings(scope string) []int {
	if scope == "all" || scope == "" {
		return nil
	}
	var out []int
	for _, p := range strings.Split(scope, ",") {
		if n, err := strconv.Atoi(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func (e *Engine) parseScopeAnswer(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
	c, err := e.Directory.Community(ctx, s.Data["community"])
	if err != nil {
		return "", "", fmt.Errorf("community: %w", err)
	}
	scope, unknown, _ := scopeIn(text, c)
	delete(s.Data, "unknown")
	switch {
	case unknown != "":
		s.Data["unknown"] = unknown
		return "", "broadcast.no_such_building", nil
	case scope == "":
		return "", "broadcast.bad_scope", nil
	}
	return scope, "", nil
}

func parseBroadcastText(_ context.Context, _ *turn, _ *guanjia.Session, text string) (string, string, error) {
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return "", "broadcast.empty_text", nil
	case n > maxBroadcastText:
		return "", "broadcast.too_long", nil
	}
	return text, "", nil
}

var (
	relativeTime = regexp.MustCompile(`^(\d{1,4})\s*(分钟|小时)后$`)
	clockTime    = regexp.MustCompile(`^(今天|明天|后天|昨天)?\s*(\d{1,2})\s*(?:[:：点])\s*(\d{1,2}|半)?\s*分?$`)
	dateTime     = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})$`)
)

// parseWhen reads a time to send at: "18:00", "明天9点", "明天 9:30", "10分钟后",
// "2026-11-27 18:00". ok is false when it is none of these.
func parseWhen(text string, now time.Time, loc *time.Location) (time.Time, bool) {
	text = strings.TrimSpace(text)
	now = now.In(loc)
	if m := relativeTime.FindStringSubmatch(text); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := time.Minute
		if m[2] == "小时" {
			unit = time.Hour
		}
		return now.Add(time.Duration(n) * unit), true
	}
	if m := dateTime.FindStringSubmatch(text); m != nil {
		v := make([]int, 5)
		for i := range v {
			v[i], _ = strconv.Atoi(m[i+1])
		}
		if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 {
			return time.Time{}, false
		}
		return time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], 0, 0, loc), true
	}
	if m := clockTime.FindStringSubmatch(text); m != nil {
		h, _ := strconv.Atoi(m[2])
		mi := 0
		if m[3] == "半" {
			mi = 30
		} else if m[3] != "" {
			mi, _ = strconv.Atoi(m[3])
		}
		if h > 23 || mi > 59 {
			return time.Time{}, false
		}
		days := map[string]int{"": 0, "今天": 0, "明天": 1, "后天": 2, "昨天": -1}[m[1]]
		return time.Date(now.Year(), now.Month(), now.Day()+days, h, mi, 0, 0, loc), true
	}
	return time.Time{}, false
}

func (e *Engine) parseWhenAnswer(_ context.Context, _ *turn, _ *guanjia.Session, text string) (string, string, error) {
	switch strings.ToLower(text) {
	case "现在", "立即", "马上", "立刻", "now":
		return "now", "", nil
	}
	at, ok := parseWhen(text, e.Now(), e.location())
	if !ok {
		return "", "broadcast.bad_time", nil
	}
	if !at.After(e.Now()) {
		return "", "broadcast.past_time", nil
	}
	return at.UTC().Format(time.RFC3339), "", nil
}

// sendAt is when a drafted broadcast goes out: now, or the time asked for.
func (e *Engine) sendAt(s *guanjia.Session) time.Time {
	if at, err := time.Parse(time.RFC3339, s.Data["when"]); err == nil {
		return at
	}
	return e.Now()
}

// draft is the broadcast a session describes, not yet numbered.
func (e *Engine) draft(t *turn, s *guanjia.Session) guanjia.Broadcast {
	text := s.Data["text"]
	if text == "" || text == "bcast-default" {
		text = t.render("broadcast.default."+broadcastKind(s.Data["kind"]), map[string]any{"Scope": e.scopeLabel(t.lang, scopeBuildings(s.Data["scope"]), &t.err)})
	}
	return guanjia.Broadcast{Community: s.Data["community"], Emergency: s.Data["emergency"] != "",
		Kind: broadcastKind(s.Data["kind"]), Buildings: scopeBuildings(s.Data["scope"]), Text: text,
		At: e.sendAt(s), By: t.person.ID, ByName: t.person.Name}
}

func broadcastKind(k string) string {
	if k == "" {
		return "other"
	}
	return k
}

// scopeLabel names a scope for people: "3号楼", "1、2号楼", "全小区".
func (e *Engine) scopeLabel(lang string, buildings []int, errp *error) string {
	if len(buildings) == 0 {
		return e.render(lang, "broadcast.scope_all", nil, errp)
	}
	parts := make([]string, len(buildings))
	for i, b := range buildings {
		parts[i] = strconv.Itoa(b)
	}
	return e.render(lang, "broadcast.scope_buildings", map[string]any{"List": strings.Join(parts, "、")}, errp)
}

// residentText is a broadcast as residents read it.
func (e *Engine) residentText(lang string, b guanjia.Broadcast, key string, note string, errp *error) string {
	return e.render(lang, key, map[string]any{"Emergency": b.Emergency, "No": b.No, "Text": b.Text, "Note": note,
		"Kind": e.render(lang, "broadcast.kind."+b.Kind, nil, errp), "Scope": e.scopeLabel(lang, b.Buildings, errp)}, errp)
}

// ackOptions are the buttons of an emergency: a household tells it knows, or that it is safe.
func ackChoices(e *Engine, lang, no string, errp *error) []bot.Choice {
	return []bot.Choice{
		{Label: e.render(lang, "broadcast.ack_known", nil, errp), Value: "bcast:ack:" + no},
		{Label: e.render(lang, "broadcast.ack_safe", nil, errp), Value: "bcast:safe:" + no},
	}
}

// CheckBroadcastText is the check a broadcast's text passes: the text kept, or the reason
// template it is refused with (empty, longer than 10,000 characters).
func CheckBroadcastText(text string) (string, string, error) {
	return parseBroadcastText(context.Background(), nil, nil, strings.TrimSpace(text))
}
