package main

import (
	"context"
	"fmt"
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
