package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// complaintFlow takes a complaint one question at a time (SPEC 4.2).
type complaintFlow struct{ e *Engine }

// Complaint steps, as stored in sessions.
const (
	stepSubject  = "subject"
	stepCallBack = "callback"
)

// subjectStaff is the subject whose complaints go to the supervisor, not the staff group.
const subjectStaff = "staff"

var (
	subjectOptions = []option{
		{"noise", "complaint.subject.noise"},
		{"sanitation", "complaint.subject.sanitation"},
		{"parking", "complaint.subject.parking"},
		{"neighbour", "complaint.subject.neighbour"},
		{subjectStaff, "complaint.subject.staff"},
		{"other", "complaint.subject.other"},
	}
	callBackOptions = []option{
		{"callback:yes", "complaint.callback_yes"},
		{"callback:no", "complaint.callback_no"},
	}
)

func (f *complaintFlow) start(ctx context.Context, t *turn) error {
	s := guanjia.Session{Key: t.key, Flow: flowComplaint, Step: stepSubject, Data: map[string]string{}}
	if d, tooLong := startDescription(flowComplaint, t.text()); d != "" {
		// "投诉 楼上半夜装修": what happened is told already.
		s.Data["description"] = d
	} else if tooLong {
		s.Data[dataLongDescription] = "1"
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
	t.ask("complaint.ask_subject", nil, subjectOptions)
	return f.e.save(ctx, &s)
}

func (f *complaintFlow) answer(ctx context.Context, t *turn, s *guanjia.Session) error {
	switch s.Step {
	case stepCommunity:
		if ok, err := f.e.takeCommunity(ctx, t, s); !ok || err != nil {
			return err
		}
		s.Step = stepSubject
		t.ask("complaint.ask_subject", nil, subjectOptions)
		return f.e.save(ctx, s)
	case stepSubject:
		v, ok := t.pick(subjectOptions)
		if !ok {
			t.reask("common.pick_one", "complaint.ask_subject", nil, subjectOptions)
			return f.e.save(ctx, s)
		}
		s.Data["subject"], s.Step = v, stepDescription
		if d := s.Data["description"]; d != "" {
			s.Step = stepPhoto
			t.say("complaint.ask_photo_told", map[string]any{"Description": d})
			return f.e.save(ctx, s)
		}
		askDescription(t, s, "complaint.ask_description", "complaint.bad_description_long")
		return f.e.save(ctx, s)
	case stepDescription:
		d := t.text()
		switch n := utf8.RuneCountInString(d); {
		case n < 4:
			t.say("complaint.bad_description_short", nil)
			return f.e.save(ctx, s)
		case n > descriptionLimit(flowComplaint):
			t.say("complaint.bad_description_long", nil)
			return f.e.save(ctx, s)
		}
		s.Data["description"], s.Step = d, stepPhoto
		t.say("complaint.ask_photo", nil)
		return f.e.save(ctx, s)
	case stepPhoto:
		if !collectPhoto(t, s) {
			return f.e.save(ctx, s)
		}
		s.Step = stepCallBack
		t.ask("complaint.ask_callback", nil, callBackOptions)
		return f.e.save(ctx, s)
	case stepCallBack:
		v, ok := t.pick(callBackOptions)
		if !ok {
			t.reask("common.pick_one", "complaint.ask_callback", nil, callBackOptions)
			return f.e.save(ctx, s)
		}
		s.Data["callback"] = v
		return f.askConfirm(ctx, t, s)
	case stepConfirm:
		return f.e.confirm(ctx, t, s, "complaint.summary", func() any { return f.summary(t, s) }, f.start, f.submit)
	}
	return fmt.Errorf("flows: complaint: unknown step %q", s.Step)
}

func (f *complaintFlow) summary(t *turn, s *guanjia.Session) map[string]any {
	return map[string]any{
		"Subject":     t.label("complaint.subject." + s.Data["subject"]),
		"Description": s.Data["description"],
		"Photos":      len(photosOf(s)),
		"CallBack":    s.Data["callback"] == "callback:yes",
	}
}

func (f *complaintFlow) askConfirm(ctx context.Context, t *turn, s *guanjia.Session) error {
	s.Step = stepConfirm
	t.ask("complaint.summary", f.summary(t, s), confirmOptions)
	return f.e.save(ctx, s)
}

// submit saves the complaint, tells the resident when to expect a reply, and shows it to
// the staff group — or, when it is about a staff member, to the supervisors alone.
func (f *complaintFlow) submit(ctx context.Context, t *turn, s *guanjia.Session) error {
	now := f.e.Now()
	aboutStaff, err := f.e.namesStaff(ctx, s.Data["community"], s.Data["description"])
	if err != nil {
		return err
	}
	tk := guanjia.Ticket{
		Confidential: s.Data["subject"] == subjectStaff || aboutStaff,
		Kind:         guanjia.KindComplaint, Community: s.Data["community"], Status: guanjia.StatusSubmitted,
		Reporter: t.person.ID, ReporterName: t.person.Name, Household: t.person.Household,
		Origin:     guanjia.Origin{Channel: t.msg.Channel, Chat: t.msg.ChatID, User: t.msg.SenderID},
		Submission: s.Data[dataSubmission],
		Category:   s.Data["subject"], Description: s.Data["description"], Photos: photosOf(s),
		Urgency: guanjia.UrgencyNormal, CallBack: s.Data["callback"] == "callback:yes",
		CreatedAt: now, UpdatedAt: now, DueAt: now.Add(f.e.Config.ComplaintReply),
		Timeline: []guanjia.Event{{At: now, Action: guanjia.ActSubmit, Actor: t.person.ID, ActorName: t.person.Name}},
	}
	if err := f.e.Tickets.CreateTicket(ctx, &tk); err != nil {
		return fmt.Errorf("flows: complaint: submit: %w", err)
	}
	f.e.Log.Info("ticket submitted", "ticket", tk.No, "community", tk.Community)
	f.e.Metrics.FlowCompleted(flowComplaint)
	if err := f.e.finish(ctx, t); err != nil {
		f.e.Log.Warn("end session after submit", "ticket", tk.No, "err", err)
	}
	t.say("complaint.submitted", map[string]any{"No": tk.No, "Hours": int(f.e.Config.ComplaintReply.Hours()),
		"Due": tk.DueAt.In(f.e.location()).Format("01-02 15:04")})
	card := func(lang string, errp *error) bot.Reply {
		return bot.Reply{
			Photo: firstPhoto(tk),
			Text: f.e.render(lang, "complaint.card", map[string]any{
				"No": tk.No, "Subject": f.e.render(lang, "complaint.subject."+tk.Category, nil, errp),
				"Description": tk.Description, "Photos": len(tk.Photos), "Reporter": tk.ReporterName,
				"Household": tk.Household, "CallBack": tk.CallBack,
				"Due": tk.DueAt.In(f.e.location()).Format("01-02 15:04")}, errp),
			Choices: []bot.Choice{
				{Label: f.e.render(lang, "repair.choice_accept", nil, errp), Value: "接单 " + tk.No},
				{Label: f.e.render(lang, "repair.choice_details", nil, errp), Value: "详情 " + tk.No},
			},
		}
	}
	if tk.Confidential {
		return f.e.toSupervisors(ctx, t, tk.Community, tk.Description, card)
	}
	return f.e.toStaff(ctx, t, tk.Community, card)
}

// namesStaff reports whether text names one of the community's staff: a complaint that does
// is about them, whatever subject was picked.
func (e *Engine) namesStaff(ctx context.Context, community, text string) (bool, error) {
	if strings.TrimSpace(text) == "" {
		return false, nil
	}
	for _, role := range []guanjia.Role{guanjia.RoleSteward, guanjia.RoleWorker, guanjia.RoleSupervisor, guanjia.RoleAdmin} {
		people, err := e.Directory.PeopleByRole(ctx, community, role)
		if err != nil {
			return false, fmt.Errorf("flows: staff of %s: %w", community, err)
		}
		for _, p := range people {
			if p.Name != "" && strings.Contains(text, p.Name) {
				return true, nil
			}
		}
	}
	return false, nil
}

// toSupervisors sends a message privately to every supervisor of the community: a complaint
// about a staff member must not land in front of that staff member. A supervisor the text
// names is left out; with no other supervisor, the admins get it; with nobody else at all, the
// supervisors still do, rather than nobody.
func (e *Engine) toSupervisors(ctx context.Context, t *turn, community, text string, build func(lang string, errp *error) bot.Reply) error {
	var to, named []guanjia.Person
	for _, role := range []guanjia.Role{guanjia.RoleSupervisor, guanjia.RoleAdmin} {
		people, err := e.Directory.PeopleByRole(ctx, community, role)
		if err != nil {
			return fmt.Errorf("flows: supervisors: %w", err)
		}
		for _, p := range people {
			same := func(q guanjia.Person) bool { return q.ID == p.ID }
			switch {
			case slices.ContainsFunc(to, same) || slices.ContainsFunc(named, same):
			case strings.Contains(text, p.Name):
				named = append(named, p)
			default:
				to = append(to, p)
			}
		}
		if len(to) > 0 {
			break
		}
	}
	if len(to) == 0 {
		e.Log.Warn("complaint names every supervisor; they get it all the same", "community", community)
		to = named
	}
	sent := false
	for _, p := range to {
		ok, err := e.toPerson(ctx, t, p, func(lang string) bot.Reply { return build(lang, &t.err) })
		if err != nil {
			return err
		}
		sent = sent || ok
	}
	if !sent {
		e.Log.Error("complaint about staff has no supervisor to go to", "community", community)
	}
	return nil
}

// prompt asks the question the complaint waits on again (see prompter).
func (f *complaintFlow) prompt(t *turn, s *guanjia.Session) bool {
	switch s.Step {
	case stepSubject:
		t.ask("complaint.ask_subject", nil, subjectOptions)
	case stepDescription:
		t.say("complaint.ask_description", nil)
	case stepPhoto:
		t.say("complaint.ask_photo", nil)
	case stepCallBack:
		t.ask("complaint.ask_callback", nil, callBackOptions)
	case stepConfirm:
		t.ask("complaint.summary", f.summary(t, s), confirmOptions)
	default:
		t.say("danger.resume_last", nil)
	}
	return true
}
