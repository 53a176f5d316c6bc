package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

const incidentsUse = "guanjia incidents [-community C]，或 guanjia incidents show <编号> [-md] [-community C]"

// runIncidents lists the broadcasts (emergencies E…, announcements N…) or prints one's
// timeline: the office's report after an incident.
func runIncidents(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("incidents", flag.ContinueOnError)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	md := fs.Bool("md", false, "incidents show: print the timeline as Markdown")
	pos, err := parseArgs(fs, incidentsUse, args, stdout)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0 && *md:
		return usageError("-md 只用于 incidents show。", incidentsUse)
	case len(pos) > 0 && (pos[0] != "show" || len(pos) != 2):
		return usageError(fmt.Sprintf("不认识「%s」：要看一次事件的经过，写 guanjia incidents show E20261126-0001。", strings.Join(pos, " ")), incidentsUse)
	}
	st, c, done, err := openCommunity(ctx, cfg, log, *community)
	if err != nil {
		return err
	}
	defer done()
	loc := cfg.location()
	if len(pos) == 0 {
		return listIncidents(ctx, st, c, loc, stdout)
	}
	no := strings.ToUpper(strings.TrimSpace(pos[1]))
	b, err := st.Broadcast(ctx, c.ID, no)
	if errors.Is(err, guanjia.ErrNotFound) {
		return tell(nil, "没有编号为「%s」的紧急通知或通知（%s）。用 guanjia incidents 查看全部。", pos[1], c.Name)
	}
	if err != nil {
		return err
	}
	evs, err := st.BroadcastEvents(ctx, c.ID, no)
	if err != nil {
		return err
	}
	households := map[int]int{}
	for _, bl := range c.Buildings {
		hs, err := st.HouseholdsInBuilding(ctx, c.ID, bl)
		if err != nil {
			return err
		}
		households[bl] = len(hs)
	}
	residents, err := st.PeopleByRole(ctx, c.ID, guanjia.RoleResident)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, incidentTimeline(b, evs, households, residents, loc, *md))
	return nil
}

func listIncidents(ctx context.Context, st *mongostore.Store, c guanjia.Community, loc *time.Location, stdout io.Writer) error {
	all, err := st.Broadcasts(ctx, c.ID, time.Time{})
	if err != nil {
		return err
	}
	if len(all) == 0 {
		fmt.Fprintf(stdout, "%s 还没有发过紧急通知或通知。\n", c.Name)
		return nil
	}
	for _, b := range all {
		evs, err := st.BroadcastEvents(ctx, c.ID, b.No)
		if err != nil {
			return err
		}
		status, acks := "待发出", 0
		for _, ev := range evs {
			switch ev.Action {
			case guanjia.BcastSent:
				status = "已发出"
				if b.Emergency {
					status = "进行中"
				}
			case guanjia.BcastWithdrawn:
				status = "已撤回"
			case guanjia.BcastClosed:
				status = "已解除"
			case guanjia.BcastAck:
				acks++
			}
		}
		if status == "待发出" && b.NeedsApproval && !hasAction(evs, guanjia.BcastApproved) {
			status = "待主管批准"
		}
		kind := "通知"
		if b.Emergency {
			kind = "紧急"
		}
		fmt.Fprintf(stdout, "%s  %s  %s  %s  %s  %s  %d 个聊天  %d 户确认  %s\n", b.No, kind, kindZH[b.Kind], scopeZH(b.Buildings),
			b.Created.In(loc).Format("01-02 15:04"), status, len(b.Audience), acks, b.ByName)
	}
	return nil
}

func hasAction(evs []guanjia.BroadcastEvent, action string) bool {
	for _, ev := range evs {
		if ev.Action == action {
			return true
		}
	}
	return false
}

// kindZH names the kinds of broadcasts as the office does.
var kindZH = map[string]string{"water": "停水", "power": "停电", "elevator": "电梯", "gas": "燃气", "fire": "火情",
	"inspection": "消防检查", "storm": "台风暴雨", "other": "其他"}

func scopeZH(buildings []int) string {
	if len(buildings) == 0 {
		return "全小区"
	}
	parts := make([]string, len(buildings))
	for i, b := range buildings {
		parts[i] = fmt.Sprint(b)
	}
	return strings.Join(parts, "、") + "号楼"
}

// incidentTimeline is a broadcast's story: raised, confirmed, sent per channel,
// acknowledgements over time, roll-call outcomes, updates, the all-clear.
func incidentTimeline(b guanjia.Broadcast, evs []guanjia.BroadcastEvent, households map[int]int, residents []guanjia.Person, loc *time.Location, md bool) string {
	var out strings.Builder
	line := func(at time.Time, format string, args ...any) {
		text := fmt.Sprintf(format, args...)
		if md {
			fmt.Fprintf(&out, "| %s | %s |\n", at.In(loc).Format("01-02 15:04:05"), strings.ReplaceAll(text, "|", "\\|"))
		} else {
			fmt.Fprintf(&out, "  %s  %s\n", at.In(loc).Format("01-02 15:04:05"), text)
		}
	}
	kind := "通知"
	if b.Emergency {
		kind = "紧急通知"
	}
	if md {
		fmt.Fprintf(&out, "# %s %s：%s · %s\n\n%s\n\n| 时间 | 经过 |\n|---|---|\n", b.No, kind, scopeZH(b.Buildings), kindZH[b.Kind], b.Text)
	} else {
		fmt.Fprintf(&out, "%s %s：%s · %s\n  内容：%s\n", b.No, kind, scopeZH(b.Buildings), kindZH[b.Kind], firstLine(b.Text, 80))
	}
	line(b.Created, "%s 起草并提交，发往 %d 个聊天", b.ByName, len(b.Audience))
	perChannel := map[string][2]int{}
	for _, r := range b.Audience {
		n := perChannel[r.Channel]
		if r.Group {
			n[0]++
		} else {
			n[1]++
		}
		perChannel[r.Channel] = n
	}
	channels := make([]string, 0, len(perChannel))
	for ch := range perChannel {
		channels = append(channels, ch)
	}
	sort.Strings(channels)
	// Events of one moment in the order they happen: confirmed, sent, then delivered.
	order := map[string]int{guanjia.BcastConfirmed: 0, guanjia.BcastApproved: 1, guanjia.BcastSent: 2, guanjia.BcastDelivered: 3}
	rank := func(a string) int {
		if r, ok := order[a]; ok {
			return r
		}
		return 4
	}
	evs = slices.Clone(evs)
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].At.Equal(evs[j].At) {
			return evs[i].At.Before(evs[j].At)
		}
		return rank(evs[i].Action) < rank(evs[j].Action)
	})
	acked := map[int]int{}
	total := 0
	lastDelivery := map[string]string{}
	for _, ev := range evs {
		if ev.Action == guanjia.BcastDelivered {
			lastDelivery[ev.Channel] = ev.ID
		}
	}
	delivered := map[string][2]int{}
	for _, ev := range evs {
		switch ev.Action {
		case guanjia.BcastDelivered:
			n := delivered[ev.Channel]
			if ev.Note == "group" {
				n[0]++
			} else {
				n[1]++
			}
			delivered[ev.Channel] = n
			want := perChannel[ev.Channel]
			first, last := n[0]+n[1] == 1, lastDelivery[ev.Channel] == ev.ID
			switch {
			case first && last:
				line(ev.At, "%s：送达（群 %d/%d、私聊 %d/%d）", ev.Channel, n[0], want[0], n[1], want[1])
			case first:
				line(ev.At, "%s：首条送达", ev.Channel)
			case last:
				line(ev.At, "%s：最后一条送达（群 %d/%d、私聊 %d/%d）", ev.Channel, n[0], want[0], n[1], want[1])
			}
		case guanjia.BcastConfirmed:
			line(ev.At, "%s 确认发送", ev.ActorName)
		case guanjia.BcastApproved:
			line(ev.At, "%s 批准", ev.ActorName)
		case guanjia.BcastSent:
			for _, ch := range channels {
				n := perChannel[ch]
				line(ev.At, "%s：%d 个群、%d 个私聊进入发送队列%s", ch, n[0], n[1], map[bool]string{true: "（紧急通道）", false: ""}[b.Emergency])
			}
		case guanjia.BcastWithdrawn:
			line(ev.At, "%s 撤回，未发出", ev.ActorName)
		case guanjia.BcastAck:
			total++
			who := ev.ActorName
			if ev.Building > 0 {
				acked[ev.Building]++
				who += " " + ev.Household
			}
			how := "已知晓"
			if ev.Note == "safe" {
				how = "安全"
			}
			line(ev.At, "%s 回复%s（累计 %d 户）", who, how, total)
		case guanjia.BcastChecked:
			line(ev.At, "点名：%s 确认 %s %s 安全", ev.ActorName, ev.Note, ev.Household)
		case guanjia.BcastUpdate:
			line(ev.At, "%s 发布进展：%s", ev.ActorName, ev.Note)
		case guanjia.BcastClosed:
			line(ev.At, "%s 解除%s", ev.ActorName, map[bool]string{true: "：" + ev.Note, false: ""}[ev.Note != ""])
		}
	}
	if b.Emergency {
		scope := b.Buildings
		if len(scope) == 0 {
			scope = make([]int, 0, len(households))
			for bl := range households {
				scope = append(scope, bl)
			}
			sort.Ints(scope)
		}
		var parts []string
		for _, bl := range scope {
			parts = append(parts, fmt.Sprintf("%d号楼 %d/%d", bl, acked[bl], households[bl]))
		}
		// The roll call's outcome: each care-tagged resident in scope, by acknowledgement or check.
		var roll []string
		for _, p := range residents {
			bl, err := guanjia.ParseHouseholdCode(p.Household)
			if err != nil || len(p.CareTags) == 0 || !b.Covers(bl) {
				continue
			}
			outcome := "未确认"
			for _, ev := range evs {
				switch {
				case ev.Action == guanjia.BcastAck && ev.Household == p.Household:
					outcome = "本户已回复（" + ev.At.In(loc).Format("15:04") + "）"
				case ev.Action == guanjia.BcastChecked && ev.Household == p.Household && outcome == "未确认":
					outcome = ev.ActorName + " 确认安全（" + ev.At.In(loc).Format("15:04") + "）"
				}
			}
			roll = append(roll, p.Name+" "+p.Household+" "+outcome)
		}
		prefix := "  "
		if md {
			prefix = "\n"
		}
		fmt.Fprintf(&out, "%s确认户数：%s\n", prefix, strings.Join(parts, "，"))
		if len(roll) > 0 {
			fmt.Fprintf(&out, "%s点名结果：%s\n", map[bool]string{true: "", false: "  "}[md], strings.Join(roll, "；"))
		}
	}
	return out.String()
}
