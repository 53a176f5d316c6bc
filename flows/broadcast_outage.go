package flows

import (
	"context"
	"regexp"
	"strconv"
	"time"

	"github.com/guanjia/guanjia"
)

// While an outage or an emergency is open for a building (停水 3号楼 9点到12点), a resident
// there who reports the same thing hears the notice, and when it is expected to end, first;
// the report goes on as usual, since theirs may be another problem.

// outageKinds are the kinds a resident's report can be "the same thing" as.
var outageKinds = map[string]bool{"water": true, "power": true, "elevator": true, "gas": true, "fire": true}

// noticeOpenFor is how long after it went out an announcement without a stated end counts as
// open.
const noticeOpenFor = 24 * time.Hour

var outageEnd = regexp.MustCompile(`(?:到|至|-|~|－)\s*(\d{1,2})\s*(?:[:：点]\s*(\d{2}|半)?)`)

// knownOutage tells a resident reporting text, in community, of an open broadcast of the same
// kind for their building.
func (e *Engine) knownOutage(ctx context.Context, t *turn, community, text string) {
	if e.Broadcasts == nil || (t.known && t.person.IsStaff()) {
		return
	}
	kind := kindIn(text)
	if !outageKinds[kind] {
		return
	}
	building := 0
	if t.known && t.person.Household != "" {
		building, _ = guanjia.ParseHouseholdCode(t.person.Household)
	} else if len(t.chat.Buildings) == 1 {
		building = t.chat.Buildings[0]
	}
	if building == 0 {
		return
	}
	all, err := e.Broadcasts.Broadcasts(ctx, community, e.Now().Add(-openFor))
	if err != nil {
		e.Log.Warn("known outage: broadcasts", "community", community, "err", err)
		return
	}
	now := e.Now()
	for _, b := range all {
		if b.Kind != kind || !b.Covers(building) {
			continue
		}
		st, err := e.state(ctx, b)
		if err != nil || !st.sent || st.closed {
			continue
		}
		end, hasEnd := expectedEnd(b.Text, st.sentAt, e.location())
		switch {
		case b.Emergency:
		case hasEnd && !end.After(now):
			continue
		case !hasEnd && now.Sub(st.sentAt) > noticeOpenFor:
			continue
		}
		until := ""
		if hasEnd {
			until = end.In(e.location()).Format("15:04")
		}
		t.say("broadcast.known_outage", map[string]any{"No": b.No, "Until": until,
			"Text": e.residentText(t.lang, b, "broadcast.resident_brief", "", &t.err)})
		return
	}
}

// expectedEnd finds the end a notice states ("9点到12点", "9:00-12:00"): that time on the day
// it went out, or the next day when "明天" is said.
func expectedEnd(text string, sent time.Time, loc *time.Location) (time.Time, bool) {
	m := outageEnd.FindStringSubmatch(text)
	if m == nil {
		return time.Time{}, false
	}
	h, _ := strconv.Atoi(m[1])
	mi := 0
	if m[2] == "半" {
		mi = 30
	} else if m[2] != "" {
		mi, _ = strconv.Atoi(m[2])
	}
	if h > 24 || mi > 59 {
		return time.Time{}, false
	}
	day := sent.In(loc)
	days := 0
	if regexp.MustCompile(`明天|明日`).MatchString(text) {
		days = 1
	}
	return time.Date(day.Year(), day.Month(), day.Day()+days, h, mi, 0, 0, loc), true
}
