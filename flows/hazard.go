package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// hazardKinds are the kinds of hazard found on patrol, as ticket categories under their own
// prefix (an alarm's categories start with "danger:"), with words that tell them.
var hazardKinds = []struct {
	kind  string
	words []string
}{
	{"found_fire_lane", []string{"消防通道", "堵塞", "堵住", "占用"}},
	{"found_ebike", []string{"电动车", "充电", "电瓶"}},
	{"found_facility", []string{"损坏", "坏了", "破损", "松动", "断了", "消防门", "不亮"}},
	{"found_garbage", []string{"垃圾", "杂物", "堆放"}},
	{"found_construction", []string{"违章", "搭建", "违建"}},
	{"found_ads", []string{"小广告", "广告", "张贴"}},
	{"found_other", nil},
}

// DefaultHazardDepartments route hazards by kind.
var DefaultHazardDepartments = map[string]string{
	"found_fire_lane": "安全部", "found_ebike": "安全部", "found_facility": "工程部", "found_garbage": "环境部",
	"found_construction": "秩序部", "found_ads": "环境部", "found_other": "客服部",
}

// guessHazard is the kind of hazard a description tells, if it tells one.
func guessHazard(text string) (string, bool) {
	for _, k := range hazardKinds {
		for _, w := range k.words {
			if strings.Contains(text, w) {
				return k.kind, true
			}
		}
	}
	return "", false
}

func hazardOptions(*turn, *guanjia.Session) []option {
	opts := make([]option, len(hazardKinds))
	for i, k := range hazardKinds {
		opts[i] = option{k.kind, "hazard.cat." + k.kind}
	}
	return opts
}

// department is who a kind of hazard goes to.
func (e *Engine) department(kind string) string {
	if d, ok := e.Config.HazardDepartments[kind]; ok && d != "" {
		return d
	}
	return DefaultHazardDepartments[kind]
}

// hazardForm files a hazard (隐患 <地点> <描述>, with a photo if sent), on a patrol or not:
// kind → ticket H… routed to its department and followed like a repair.
func (e *Engine) hazardForm() *form {
	f := &form{e: e, name: flowHazard, summary: "hazard.summary"}
	f.begin = func(ctx context.Context, t *turn, s *guanjia.Session) (bool, error) {
		_, rest, _ := strings.Cut(strings.Replace(strings.Replace(t.text(), "：", " ", 1), ":", " ", 1), " ")
		rest = strings.TrimSpace(rest)
		if rest == "" {
			t.say("hazard.usage", nil)
			return false, nil
		}
		s.Data["community"] = t.person.Community
		if t.msg.Photo != "" {
			s.Data["photo"] = t.msg.Photo
		}
		place, desc, _ := strings.Cut(rest, " ")
		if p, on, err := e.activePatrol(ctx, t.person.ID); err != nil {
			return false, err
		} else if on {
			s.Data["patrol"] = p.No
			if n, err := strconv.Atoi(place); err == nil && n >= 1 && n <= len(p.Points) {
				s.Data["point"], place = place, p.Route+"·"+p.Points[n-1].Name
			}
		}
		if pl, ok := parsePlace(rest); ok && desc == "" && pl.rest != "" {
			// "2号楼消防通道被私家车堵住": the building, and what is wrong there.
			desc = pl.rest
			if after, ok := strings.CutPrefix(desc, "层"); ok {
				// "15层" is a floor, not a room: it belongs to the place.
				desc = after
			}
			place = strings.TrimSpace(strings.TrimSuffix(asciiText(rest), desc))
			s.Data["building"] = strconv.Itoa(pl.building)
		} else if ok {
			s.Data["building"] = strconv.Itoa(pl.building)
		}
		s.Data["place"], s.Data["description"] = place, strings.TrimSpace(desc)
		if kind, ok := guessHazard(rest); ok {
			s.Data["kind"] = kind
		}
		if s.Data["building"] != "" {
			if ok, err := e.hazardPlace(ctx, t, s, rest); err != nil || !ok {
				// "9号楼" where there are buildings 1 to 3: said so; the place is asked again.
				s.Data["place"], s.Data["building"] = "", ""
				return err == nil, err
			}
		}
		return true, nil
	}
	f.fields = []field{
		{name: "place", prompt: "hazard.ask_place", skip: func(s *guanjia.Session) bool { return s.Data["place"] != "" },
			parse: func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
				if n := utf8.RuneCountInString(text); n < 1 || n > 60 {
					return "", "form.bad_text", nil
				}
				if isOneOf(text, skipWords) {
					return "", "hazard.place_needed", nil
				}
				if ok, err := e.hazardPlace(ctx, t, s, text); err != nil || !ok {
					return "", reasonSaid, err
				}
				return text, "", nil
			}},
		{name: "description", prompt: "hazard.ask_description", skip: func(s *guanjia.Session) bool { return s.Data["description"] != "" },
			parse: func(_ context.Context, _ *turn, s *guanjia.Session, text string) (string, string, error) {
				if n := utf8.RuneCountInString(text); n < 2 || n > 500 {
					return "", "form.bad_text", nil
				}
				if kind, ok := guessHazard(text); ok && s.Data["kind"] == "" {
					s.Data["kind"] = kind
				}
				return text, "", nil
			}},
		{name: "kind", prompt: "hazard.ask_kind", options: hazardOptions, skip: func(s *guanjia.Session) bool { return s.Data["kind"] != "" }},
		{name: "photo", prompt: "hazard.ask_photo", skip: func(s *guanjia.Session) bool { return s.Data["photo"] != "" },
			parse: func(_ context.Context, t *turn, _ *guanjia.Session, text string) (string, string, error) {
				switch {
				case t.msg.Photo != "":
					return t.msg.Photo, "", nil
				case isOneOf(text, skipWords):
					return noPhoto, "", nil
				}
				return "", "hazard.photo_or_skip", nil
			}},
	}
	f.data = func(t *turn, s *guanjia.Session) map[string]any {
		kind := ""
		if s.Data["kind"] != "" {
			kind = t.label("hazard.cat." + s.Data["kind"])
		}
		return map[string]any{"Place": s.Data["place"], "Description": s.Data["description"],
			"Kind": kind, "Department": e.department(s.Data["kind"]), "Photo": hazardPhoto(s) != ""}
	}
	f.submit = func(ctx context.Context, t *turn, s *guanjia.Session) error { return e.fileHazard(ctx, t, s) }
	return f
}

// hazardPlace checks a hazard's place as a repair's address is checked: a building the
// community does not have is refused, saying which it has. Places without a building (地库,
// a patrol's check point) are taken as they are. It keeps the building named.
func (e *Engine) hazardPlace(ctx context.Context, t *turn, s *guanjia.Session, text string) (bool, error) {
	p, _, problem, err := e.checkAddress(ctx, s.Data["community"], text)
	if err != nil {
		return false, err
	}
	if problem != nil && problem.key == "repair.address_no_building" {
		t.say("hazard.no_building", problem.data)
		return false, nil
	}
	s.Data["building"] = ""
	if p.building > 0 {
		s.Data["building"] = strconv.Itoa(p.building)
	}
	return true, nil
}

// noPhoto is the answer "no photo" to the hazard's photo question.
const noPhoto = "-"

// hazardPhoto is the photo sent with a hazard, if any.
func hazardPhoto(s *guanjia.Session) string {
	if p := s.Data["photo"]; p != noPhoto {
		return p
	}
	return ""
}

// fileHazard files the hazard ticket, shows the staff group its card and notes it on the patrol.
func (e *Engine) fileHazard(ctx context.Context, t *turn, s *guanjia.Session) error {
	now := e.Now()
	building, _ := strconv.Atoi(s.Data["building"])
	tk := guanjia.Ticket{Kind: guanjia.KindHazard, Community: s.Data["community"], Status: guanjia.StatusSubmitted,
		Reporter: t.person.ID, ReporterName: t.person.Name,
		Origin:     guanjia.Origin{Channel: t.msg.Channel, Chat: t.msg.ChatID, User: t.msg.SenderID},
		Submission: s.Data[dataSubmission], Address: s.Data["place"], Building: building,
		Category: s.Data["kind"], Description: s.Data["description"], Department: e.department(s.Data["kind"]),
		Urgency: guanjia.UrgencyNormal, CreatedAt: now, UpdatedAt: now,
		Timeline: []guanjia.Event{{At: now, Action: guanjia.ActSubmit, Actor: t.person.ID, ActorName: t.person.Name}}}
	if p := hazardPhoto(s); p != "" {
		tk.Photos = []string{p}
	}
	if s.Data["kind"] == "found_fire_lane" {
		tk.Urgency = guanjia.UrgencyUrgent
	}
	tk.DueAt = now.Add(e.Config.DueTimes.For(tk, guanjia.StageAccept))
	if err := e.Tickets.CreateTicket(ctx, &tk); err != nil {
		return fmt.Errorf("flows: hazard: %w", err)
	}
	if err := e.finish(ctx, t); err != nil {
		e.Log.Warn("end session after hazard", "ticket", tk.No, "err", err)
	}
	if no := s.Data["patrol"]; no != "" {
		if p, on, err := e.activePatrol(ctx, t.person.ID); err != nil {
			return err
		} else if on && p.No == no {
			p.Hazards = append(p.Hazards, tk.No)
			if n, err := strconv.Atoi(s.Data["point"]); err == nil && n >= 1 && n <= len(p.Points) {
				p.Points[n-1].Hazard = tk.No
			}
			if err := e.Workday.SavePatrol(ctx, p); err != nil {
				return fmt.Errorf("flows: hazard on patrol: %w", err)
			}
		}
	}
	e.Log.Info("hazard filed", "ticket", tk.No, "community", tk.Community)
	t.say("hazard.filed", map[string]any{"No": tk.No, "Department": tk.Department, "Due": tk.DueAt.In(e.location()).Format("01-02 15:04")})
	return e.toStaff(ctx, t, tk.Community, func(lang string, errp *error) bot.Reply {
		d := cardData(e, lang, tk, errp)
		d["Department"] = tk.Department
		return bot.Reply{Text: e.render(lang, "hazard.card", d, errp), Photo: firstPhoto(tk),
			Choices: []bot.Choice{
				{Label: e.render(lang, "repair.choice_accept", nil, errp), Value: "接单 " + tk.No},
				{Label: e.render(lang, "repair.choice_assign", nil, errp), Value: "派单 " + tk.No},
				{Label: e.render(lang, "repair.choice_details", nil, errp), Value: "详情 " + tk.No},
			}}
	})
}
