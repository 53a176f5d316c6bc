package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/flows"
)

// sla reminds before due times, escalates past them, turns unanswered follow-ups into
// call-backs and chases unconfirmed handovers, as of at.
func (e *jobEnv) sla(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	notices, err := e.engine.SLASweep(ctx, at)
	if err != nil {
		return guanjia.JobResult{}, err
	}
	return e.sendNotices(ctx, notices)
}

// morningPlan sends each steward whose shift starts now their plan of the day.
func (e *jobEnv) morningPlan(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	notices, err := e.engine.MorningPlans(ctx, at)
	if err != nil {
		return guanjia.JobResult{}, err
	}
	return e.sendNotices(ctx, notices)
}

// sendNotices sends each notice once under its key, counting what was sent by kind.
func (e *jobEnv) sendNotices(ctx context.Context, notices []flows.Notice) (guanjia.JobResult, error) {
	var res guanjia.JobResult
	for _, n := range notices {
		sent, err := e.send(ctx, n.Key, n.Replies)
		if err != nil {
			return res, err
		}
		kind := n.Key
		for i, r := range kind {
			if r == '/' {
				kind = kind[:i]
				break
			}
		}
		if sent {
			res.Add(kind, 1)
		}
	}
	return res, nil
}

// dueTimes are the configured due times, with the reply time promised to residents.
func (c Config) dueTimes() guanjia.DueTimes {
	d := c.SLA
	d.Reply = c.ComplaintReply
	return d
}

// slaProblems lists the due times that make no sense, by the setting that gives them.
func (c Config) slaProblems() []string {
	d := c.dueTimes()
	if d.Reply <= 0 {
		d.Reply = time.Minute // GUANJIA_COMPLAINT_REPLY is checked on its own
	}
	var out []string
	for _, p := range d.Problems() {
		out = append(out, fmt.Sprintf("%s (GUANJIA_SLA_*, GUANJIA_HANDOVER_CONFIRM or sla: in the config file)", p))
	}
	for kind, dept := range c.HazardDepartments {
		if _, ok := flows.DefaultHazardDepartments[kind]; !ok || dept == "" {
			out = append(out, fmt.Sprintf("hazard_departments: %q is not a hazard kind with a department (kinds: found_fire_lane, found_ebike, found_facility, found_garbage, found_construction, found_ads, found_other)", kind))
		}
	}
	return out
}

// slaString prints the due times and hazard departments for guanjia config.
func (c Config) slaString() string {
	d := c.SLA
	var b strings.Builder
	fmt.Fprintf(&b, "sla:\n  accept: %s\n  accept_urgent: %s\n  resolve: %s\n  resolve_urgent: %s\n  remind_before: %s\n  handover: %s\n",
		d.Accept, d.AcceptUrgent, d.Resolve, d.ResolveUrgent, d.RemindBefore, d.Handover)
	for _, cat := range slices.Sorted(maps.Keys(d.ResolveByCategory)) {
		fmt.Fprintf(&b, "  resolve_by_category.%s: %s\n", cat, d.ResolveByCategory[cat])
	}
	b.WriteString("hazard_departments:\n")
	for _, kind := range slices.Sorted(maps.Keys(flows.DefaultHazardDepartments)) {
		dept := flows.DefaultHazardDepartments[kind]
		if v, ok := c.HazardDepartments[kind]; ok && v != "" {
			dept = v
		}
		fmt.Fprintf(&b, "  %s: %s\n", kind, dept)
	}
	return b.String()
}
