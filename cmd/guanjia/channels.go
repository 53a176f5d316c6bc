package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot/wechat"
	"github.com/guanjia/guanjia/bot/wecom"
)

// reach is one chat that carries messages to a community or a building, and whether it
// does now.
type reach struct {
	Channel string `json:"channel"`
	Chat    string `json:"chat"`
	Name    string `json:"name,omitempty"`
	OK      bool   `json:"ok"`
	// Why says what stops it, when it does not work.
	Why string `json:"why,omitempty"`
}

// buildingCoverage is what reaches one building's residents: the building groups serving it.
type buildingCoverage struct {
	Building int     `json:"building"`
	Chats    []reach `json:"chats"`
	OK       bool    `json:"ok"`
}

// communityCoverage is what reaches a community: its staff groups and, per building, its
// residents' groups; Uncovered are the buildings no working chat reaches.
type communityCoverage struct {
	ID        string             `json:"id"`
	Name      string             `json:"name"`
	Staff     []reach            `json:"staff"`
	Buildings []buildingCoverage `json:"buildings"`
	Uncovered []int              `json:"uncovered"`
}

// chatState says whether a chat works now, and if not why.
type chatState func(ctx context.Context, c guanjia.Chat) (ok bool, why string)

// coverage works out, for every community, which chats reach its staff and each building.
func coverage(ctx context.Context, st interface {
	Communities(context.Context) ([]guanjia.Community, error)
	ChatsByRole(context.Context, string, guanjia.ChatRole) ([]guanjia.Chat, error)
}, state chatState) ([]communityCoverage, error) {
	communities, err := st.Communities(ctx)
	if err != nil {
		return nil, err
	}
	out := []communityCoverage{}
	for _, comm := range communities {
		cc := communityCoverage{ID: comm.ID, Name: comm.Name, Staff: []reach{}, Uncovered: []int{}}
		staff, err := st.ChatsByRole(ctx, comm.ID, guanjia.ChatStaff)
		if err != nil {
			return nil, err
		}
		for _, c := range staff {
			cc.Staff = append(cc.Staff, reachOf(ctx, c, state))
		}
		groups, err := st.ChatsByRole(ctx, comm.ID, guanjia.ChatBuilding)
		if err != nil {
			return nil, err
		}
		buildings := slices.Clone(comm.Buildings)
		for _, g := range groups {
			for _, b := range g.Buildings {
				if !slices.Contains(buildings, b) {
					buildings = append(buildings, b)
				}
			}
		}
		slices.Sort(buildings)
		for _, b := range buildings {
			bc := buildingCoverage{Building: b, Chats: []reach{}}
			for _, g := range groups {
				if slices.Contains(g.Buildings, b) {
					r := reachOf(ctx, g, state)
					bc.Chats = append(bc.Chats, r)
					bc.OK = bc.OK || r.OK
				}
			}
			if !bc.OK {
				cc.Uncovered = append(cc.Uncovered, b)
			}
			cc.Buildings = append(cc.Buildings, bc)
		}
		out = append(out, cc)
	}
	return out, nil
}

func reachOf(ctx context.Context, c guanjia.Chat, state chatState) reach {
	r := reach{Channel: c.Channel, Chat: c.PlatformID, Name: c.Name}
	if c.Unreachable != "" {
		r.Why = "unreachable: " + c.Unreachable
		return r
	}
	r.OK, r.Why = state(ctx, c)
	return r
}

// configuredState is what the configuration and the stored state say of a chat, for
// `guanjia channels`, which runs beside the service rather than in it.
func configuredState(cfg Config, log *slog.Logger) chatState {
	return func(_ context.Context, c guanjia.Chat) (bool, string) {
		switch c.Channel {
		case "telegram":
			if cfg.Telegram.Token == "" {
				return false, "TELEGRAM_BOT_TOKEN not set"
			}
		case wechat.Name:
			if !cfg.WeChat.Enabled {
				return false, "WECHAT_ENABLED not set"
			}
			b, on, err := wechat.Braked(cfg.DataDir)
			if err != nil {
				log.Warn("wechat brake unreadable", "err", err)
			}
			if on {
				return false, "wechat braked: " + b.Reason + "; run guanjia wechat login"
			}
		case wecom.Name:
			if _, ok := cfg.WeCom.Robots[c.PlatformID]; !ok {
				return false, weComPrefix + strings.ToUpper(c.PlatformID) + " not set"
			}
		case "console":
			return false, "local console only"
		}
		return true, ""
	}
}

// liveState is what the running channels say of a chat: the channel runs and works, and a
// WeChat group is listed in the current login.
func (a *App) liveState() chatState {
	return func(ctx context.Context, c guanjia.Chat) (bool, string) {
		for _, ch := range a.channels {
			if ch.Name() != c.Channel {
				continue
			}
			if r, ok := ch.(readier); ok {
				if err := r.Ready(ctx); err != nil {
					return false, err.Error()
				}
			}
			if l, ok := ch.(interface{ Lists(string) bool }); ok && !l.Lists(c.PlatformID) {
				return false, "not listed by WeChat since the login (保存到通讯录)"
			}
			return true, ""
		}
		return false, c.Channel + " not running"
	}
}

// coverageStatus adds to /readyz, per community, "ok" or the buildings no working chat
// reaches; these entries tell, they do not make the service unready.
func (a *App) coverageStatus(ctx context.Context, status map[string]string) {
	cov, err := coverage(ctx, a.Store, a.liveState())
	if err != nil {
		status["coverage"] = err.Error()
		return
	}
	for _, c := range cov {
		status["coverage:"+c.ID] = coverageLine(c)
	}
}

// coverageLine sums a community's coverage up in one line.
func coverageLine(c communityCoverage) string {
	if len(c.Uncovered) == 0 {
		return "ok"
	}
	return "no working chat for buildings " + joinInts(c.Uncovered, ", ")
}

func joinInts(xs []int, sep string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

// coverageWatch remembers which buildings had no working chat when last looked at, to tell
// the staff once when a building loses its last one: when WeChat brakes, when a login no
// longer lists a group, when a chat is marked unreachable. The zero value is ready.
type coverageWatch struct {
	mu        sync.Mutex
	uncovered map[string]bool // "community/building"
}

// coverageChanged looks at the coverage again and tells each community's staff, on what
// still reaches them, which buildings just lost their last working chat.
func (a *App) coverageChanged(ctx context.Context, w *coverageWatch) {
	cov, err := coverage(ctx, a.Store, a.liveState())
	if err != nil {
		a.log.Error("coverage", "err", err)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := map[string]bool{}
	for _, c := range cov {
		var lost []string
		for _, b := range c.Buildings {
			key := c.ID + "/" + strconv.Itoa(b.Building)
			if b.OK || len(b.Chats) == 0 {
				continue // a building that never had a chat lost nothing now
			}
			now[key] = true
			if w.uncovered[key] {
				continue // told already
			}
			var why []string
			for _, r := range b.Chats {
				why = append(why, fmt.Sprintf("%s「%s」：%s", r.Channel, r.Name, r.Why))
			}
			lost = append(lost, fmt.Sprintf("%d号楼（%s）", b.Building, strings.Join(why, "；")))
		}
		if len(lost) == 0 {
			continue
		}
		text := "【系统提醒】" + c.Name + "这些楼栋现在没有能用的业主群了：" + strings.Join(lost, "、") +
			"。通知和紧急消息暂时发不到这些楼栋的业主，请电话或上门通知；运行 guanjia channels 查看全部通道。"
		listed := map[string]bool{}
		for _, r := range c.Staff {
			if r.OK {
				listed[r.Chat] = true
			}
		}
		replies := a.staffReplies(ctx, c.ID, text, listed)
		if len(replies) == 0 {
			a.log.Warn("buildings lost their last chat, no staff group to tell", "community", c.ID)
			continue
		}
		if _, err := a.Outbox.Enqueue(ctx, replies); err != nil {
			a.log.Error("coverage notice: queue", "err", err)
		}
	}
	w.uncovered = now
}

// runChannels prints, per community and building, which chats and channels reach it, and
// the buildings none does, as far as the configuration and the stored state tell.
func runChannels(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "guanjia channels [-json]"
	fs := flag.NewFlagSet("channels", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, use, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("channels 不带参数（channels takes no arguments）。", use)
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	cov, err := coverage(ctx, st, configuredState(cfg, log))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(cov)
	}
	for _, c := range cov {
		fmt.Fprintf(stdout, "%s（%s）\n  员工群：%s\n", c.Name, c.ID, reachList(c.Staff))
		for _, b := range c.Buildings {
			fmt.Fprintf(stdout, "  %d号楼：%s\n", b.Building, reachList(b.Chats))
		}
		if len(c.Uncovered) > 0 {
			fmt.Fprintf(stdout, "  ⚠ 没有能用的业主群：%s 号楼\n", joinInts(c.Uncovered, "、"))
		}
	}
	return nil
}

func reachList(rs []reach) string {
	if len(rs) == 0 {
		return "（无）"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		mark := "✓"
		if !r.OK {
			mark = "✗ " + r.Why
		}
		name := r.Name
		if name == "" {
			name = r.Chat
		}
		parts[i] = fmt.Sprintf("%s「%s」%s", r.Channel, name, mark)
	}
	return strings.Join(parts, "，")
}
