package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/flows"
)

// BroadcastConfig is the announcements' and emergencies' part of Config.
type BroadcastConfig struct {
	// QuietHours hold announcements (never emergencies): "22:00-08:00", or off.
	QuietHours string `yaml:"quiet_hours"`
	// SupervisorConfirm makes an announcement to a whole community wait for a supervisor.
	SupervisorConfirm bool `yaml:"supervisor_confirm"`
	// StatusEvery is how often the steward hears an open emergency's status.
	StatusEvery time.Duration `yaml:"status_every"`
	// RollCallEscalate is how long a care-tagged resident may stay unchecked before the
	// supervisors are told.
	RollCallEscalate time.Duration `yaml:"rollcall_escalate"`
}

func broadcastDefaults() BroadcastConfig {
	return BroadcastConfig{QuietHours: "22:00-08:00", SupervisorConfirm: true, StatusEvery: 10 * time.Minute,
		RollCallEscalate: 15 * time.Minute}
}

func (b BroadcastConfig) problems() []string {
	var problems []string
	if _, err := flows.ParseQuietHours(b.QuietHours); err != nil {
		problems = append(problems, fmt.Sprintf("BROADCAST_QUIET_HOURS「%s」要写成 22:00-08:00 这样，或写 off（use HH:MM-HH:MM or off）", b.QuietHours))
	}
	if b.StatusEvery < time.Minute {
		problems = append(problems, "BROADCAST_STATUS_EVERY 至少要 1m（must be at least 1m）")
	}
	if b.RollCallEscalate < time.Minute {
		problems = append(problems, "BROADCAST_ROLLCALL_ESCALATE 至少要 1m（must be at least 1m）")
	}
	return problems
}

// String is the broadcast part of Config.Redacted.
func (b BroadcastConfig) String() string {
	return fmt.Sprintf("broadcast:\n  quiet_hours: %s\n  supervisor_confirm: %t\n  status_every: %s\n  rollcall_escalate: %s\n",
		b.QuietHours, b.SupervisorConfirm, b.StatusEvery, b.RollCallEscalate)
}

// pacing estimates, from each attached channel's limits, how long a broadcast takes to go out:
// what the steward sees in the preview before confirming.
type pacing struct {
	mu     sync.Mutex
	limits map[string]outbox.Limits
}

func (p *pacing) set(channel string, l outbox.Limits) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limits == nil {
		p.limits = map[string]outbox.Limits{}
	}
	p.limits[channel] = l
}

// DeliveryTime implements flows.Pacing.
func (p *pacing) DeliveryTime(channel string, groups, privates int, emergency bool) time.Duration {
	p.mu.Lock()
	l, ok := p.limits[channel]
	p.mu.Unlock()
	if !ok {
		return 0
	}
	return estimateDelivery(l, groups, privates, emergency)
}

// estimateDelivery is how long one message to each of groups groups and privates private
// chats takes at a channel's pace: the overall rate, the gap between any two sends, and the
// gap between group broadcasts (an emergency's own gap where the channel has one).
func estimateDelivery(l outbox.Limits, groups, privates int, emergency bool) time.Duration {
	n := groups + privates
	if n == 0 {
		return 0
	}
	var d time.Duration
	if l.Global.Max > 0 {
		// The first window's worth goes at once.
		d = time.Duration((n-1)/l.Global.Max) * (l.Global.Window + l.Margin)
	}
	if per := l.Gap + l.GapJitter/2; per > 0 {
		d = max(d, time.Duration(n-1)*per)
	}
	gap := l.BroadcastGap
	if emergency && l.EmergencyGap > 0 {
		gap = l.EmergencyGap
	}
	if gap > 0 && groups > 1 {
		d = max(d, time.Duration(groups-1)*max(gap, l.Gap+l.GapJitter/2)+time.Duration(privates)*(l.Gap+l.GapJitter/2))
	}
	return d
}
