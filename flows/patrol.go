package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/guanjia/guanjia"
)

// Flow names of the steward's day.
const (
	flowPatrol   = "patrol"
	flowHazard   = "hazard"
	flowHandover = "handover"
)

// defaultRoutes are the patrol routes of a community that has none of its own (SPEC 4.7).
var defaultRoutes = []guanjia.Route{
	{Name: "楼道", Points: []string{"各楼一层大堂", "楼梯间", "消防门", "楼道照明"}},
	{Name: "电梯", Points: []string{"轿厢照明与按钮", "紧急呼叫", "机房门锁"}},
	{Name: "绿化带", Points: []string{"南区草坪", "北区花坛", "灌溉设施"}},
	{Name: "停车场", Points: []string{"出入口道闸", "消防通道", "充电区", "照明"}},
	{Name: "健身设施", Points: []string{"器械完好", "地面防滑", "警示牌"}},
	{Name: "消防设施", Points: []string{"灭火器", "消火栓", "疏散指示", "消防通道"}},
}

// DefaultRoutes are the patrol routes of a community that has none of its own.
func DefaultRoutes() []guanjia.Route { return slices.Clone(defaultRoutes) }

// routes are a community's patrol routes.
func (e *Engine) routes(ctx context.Context, community string) ([]guanjia.Route, error) {
	list, err := e.Workday.Routes(ctx, community)
	if errors.Is(err, guanjia.ErrNotFound) || err == nil && len(list) == 0 {
		return defaultRoutes, nil
	}
	if err != nil {
		return nil, fmt.Errorf("flows: routes: %w", err)
	}
	return list, nil
}

// activePatrol is the patrol the person is on, if any.
func (e *Engine) activePatrol(ctx context.Context, person string) (guanjia.Patrol, bool, error) {
	p, err := e.Workday.ActivePatrol(ctx, person)
	if errors.Is(err, guanjia.ErrNotFound) {
		return p, false, nil
	} else if err != nil {
		return p, false, fmt.Errorf("flows: active patrol: %w", err)
	}
	return p, true, nil
}

// patrolForm starts a patrol (巡查 [路线]): the route, then a confirm showing its points.
func (e *Engine) patrolForm() *form {
	f := &form{e: e, name: flowPatrol, summary: "patrol.summary"}
	f.begin = func(ctx context.Context, t *turn, s *guanjia.Session) (bool, error) {
		if p, on, err := e.activePatrol(ctx, t.person.ID); err != nil || on {
			if on {
				t.say("patrol.already", map[string]any{"No": p.No, "Route": p.Route})
			}
			return false, err
		}
		s.Data["community"] = t.person.Community
		_, rest, _ := strings.Cut(t.text(), " ")
		if rest = strings.TrimSpace(rest); rest != "" {
			if r, ok, err := e.pickRoute(ctx, t.person.Community, rest); err != nil {
				return false, err
			} else if ok {
				s.Data["route"] = r.Name
			}
		}
		return true, nil
	}
	f.fields = []field{{name: "route", prompt: "patrol.ask_route",
		skip: func(s *guanjia.Session) bool { return s.Data["route"] != "" },
		parse: func(ctx context.Context, t *turn, s *guanjia.Session, text string) (string, string, error) {
			r, ok, err := e.pickRoute(ctx, s.Data["community"], text)
			if err != nil || !ok {
				return "", "patrol.no_such_route", err
			}
			return r.Name, "", nil
		}}}
	f.data = func(t *turn, s *guanjia.Session) map[string]any {
		routes, err := e.routes(context.Background(), s.Data["community"])
		if err != nil && t.err == nil {
			t.err = err
		}
		var names, points []string
		for i, r := range routes {
			names = append(names, fmt.Sprintf("%d) %s", i+1, r.Name))
			if r.Name == s.Data["route"] {
				points = pointLines(r)
			}
		}
		return map[string]any{"Routes": names, "Route": s.Data["route"], "Points": points}
	}
	f.submit = func(ctx context.Context, t *turn, s *guanjia.Session) error {
		r, _, err := e.pickRoute(ctx, s.Data["community"], s.Data["route"])
		if err != nil {
			return err
		}
		p := guanjia.Patrol{Community: s.Data["community"], Steward: t.person.ID, StewardName: t.person.Name,
			Route: r.Name, StartedAt: e.Now()}
		for _, name := range r.Points {
			p.Points = append(p.Points, guanjia.PatrolPoint{Name: name})
		}
		if err := e.finish(ctx, t); err != nil {
			return err
		}
		err = e.Workday.StartPatrol(ctx, &p)
		if errors.Is(err, guanjia.ErrConflict) {
			t.say("patrol.already", map[string]any{"No": "", "Route": r.Name})
			return nil
		} else if err != nil {
			return fmt.Errorf("flows: start patrol: %w", err)
		}
		t.say("patrol.started", map[string]any{"No": p.No, "Route": p.Route, "Points": pointLines(r)})
		return nil
	}
	return f
}

// pointLines are a route's check points, numbered.
func pointLines(r guanjia.Route) []string {
	var out []string
	for i, p := range r.Points {
		out = append(out, fmt.Sprintf("%d. %s", i+1, p))
	}
	return out
}

// pickRoute finds a route by its number in the list or its name.
func (e *Engine) pickRoute(ctx context.Context, community, text string) (guanjia.Route, bool, error) {
	routes, err := e.routes(ctx, community)
	if err != nil {
		return guanjia.Route{}, false, err
	}
	text = choiceText(text)
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(routes) {
		return routes[n-1], true, nil
	}
	for _, r := range routes {
		if r.Name == text || strings.TrimSuffix(text, "路线") == r.Name {
			return r, true, nil
		}
	}
	return guanjia.Route{}, false, nil
}

// checkPoints marks points of the patrol checked (已查 1 2 3, or 已查 全部).
func (e *Engine) checkPoints(ctx context.Context, t *turn, rest string) error {
	p, on, err := e.activePatrol(ctx, t.person.ID)
	if err != nil {
		return err
	}
	if !on {
		t.say("patrol.none", nil)
		return nil
	}
	now := e.Now()
	var marked []string
	all := rest == "全部" || strings.EqualFold(rest, "all")
	for _, f := range strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == ',' || r == '，' || r == '、' }) {
		n, err := strconv.Atoi(choiceText(f))
		if err != nil || n < 1 || n > len(p.Points) {
			if !all {
				t.say("patrol.check_usage", map[string]any{"Max": len(p.Points)})
				return nil
			}
			continue
		}
		if p.Points[n-1].CheckedAt.IsZero() {
			p.Points[n-1].CheckedAt = now
		}
		marked = append(marked, p.Points[n-1].Name)
	}
	if all {
		marked = nil
		for i := range p.Points {
			if p.Points[i].CheckedAt.IsZero() {
				p.Points[i].CheckedAt = now
			}
			marked = append(marked, p.Points[i].Name)
		}
	}
	if len(marked) == 0 {
		t.say("patrol.check_usage", map[string]any{"Max": len(p.Points)})
		return nil
	}
	if err := e.Workday.SavePatrol(ctx, p); err != nil {
		return fmt.Errorf("flows: check points: %w", err)
	}
	left := 0
	for _, pt := range p.Points {
		if pt.CheckedAt.IsZero() {
			left++
		}
	}
	t.say("patrol.checked", map[string]any{"Points": strings.Join(marked, "、"), "Left": left})
	return nil
}

// endPatrol finishes the patrol and keeps what was checked, missed and found (巡查结束).
func (e *Engine) endPatrol(ctx context.Context, t *turn) error {
	p, on, err := e.activePatrol(ctx, t.person.ID)
	if err != nil {
		return err
	}
	if !on {
		t.say("patrol.none", nil)
		return nil
	}
	p.EndedAt = e.Now()
	if err := e.Workday.SavePatrol(ctx, p); err != nil {
		return fmt.Errorf("flows: end patrol: %w", err)
	}
	t.say("patrol.ended", PatrolSummary(p))
	return nil
}

// PatrolSummary is what a patrol's summary shows: points checked, missed, hazards found.
func PatrolSummary(p guanjia.Patrol) map[string]any {
	var checked, missed []string
	for _, pt := range p.Points {
		if pt.CheckedAt.IsZero() && pt.Hazard == "" {
			missed = append(missed, pt.Name)
		} else {
			checked = append(checked, pt.Name)
		}
	}
	return map[string]any{"No": p.No, "Route": p.Route, "Steward": p.StewardName, "Checked": checked, "Missed": missed,
		"Hazards": p.Hazards, "Minutes": int(p.EndedAt.Sub(p.StartedAt).Minutes())}
}
