package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/bot/wecom"
)

// weComPrefix starts the environment variables that configure WeCom robots:
// WECOM_ROBOT_<NAME>=<webhook key or URL>.
const weComPrefix = "WECOM_ROBOT_"

// WeComConfig is the WeCom robots' part of Config.
type WeComConfig struct {
	// Robots maps each robot's name (lower case) to its webhook key or URL.
	Robots map[string]string `yaml:"robots"`
}

// robotName is what a robot may be called: it is the chat id admins bind.
var robotName = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// fromEnviron adds the robots of WECOM_ROBOT_<NAME> variables in environ ("KEY=value"
// lines, as os.Environ gives them); getenv's value wins where it has one.
func (w *WeComConfig) fromEnviron(environ []string, getenv func(string) string) {
	for _, kv := range environ {
		key, value, _ := strings.Cut(kv, "=")
		name, ok := strings.CutPrefix(key, weComPrefix)
		if !ok || name == "" {
			continue
		}
		if v := getenv(key); v != "" {
			value = v
		}
		if strings.TrimSpace(value) == "" {
			continue
		}
		if w.Robots == nil {
			w.Robots = map[string]string{}
		}
		w.Robots[strings.ToLower(name)] = strings.TrimSpace(value)
	}
}

func (w WeComConfig) problems() []string {
	var problems []string
	for _, name := range w.names() {
		if !robotName.MatchString(name) {
			problems = append(problems, fmt.Sprintf("%s%s：机器人的名字只能用字母、数字、_ 和 -（letters, digits, _ and -）", weComPrefix, strings.ToUpper(name)))
		}
		if _, err := wecom.WebhookOf(w.Robots[name]); err != nil {
			problems = append(problems, fmt.Sprintf("%s%s：%v", weComPrefix, strings.ToUpper(name), err))
		}
	}
	return problems
}

func (w WeComConfig) names() []string {
	var names []string
	for n := range w.Robots {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// String is the WeCom part of Config.Redacted: the robots by name, their keys hidden.
func (w WeComConfig) String() string {
	if len(w.Robots) == 0 {
		return "wecom:\n  robots: (none)\n"
	}
	var b strings.Builder
	b.WriteString("wecom:\n  robots:\n")
	for _, n := range w.names() {
		fmt.Fprintf(&b, "    %s: (webhook key hidden)\n", n)
	}
	return b.String()
}

// weComLimits pace each robot as WeCom allows, about 20 messages a minute, as a group.
func weComLimits() outbox.Limits {
	rate := guanjia.Rate{Max: wecom.PerMinute, Window: time.Minute}
	return outbox.Limits{Private: rate, Group: rate, Margin: time.Second, Concurrency: 2, MaxText: (&wecom.Channel{}).MaxText()}
}

// weComChannel is the WeCom robots' channel, when any robot is configured.
func (a *App) weComChannel() ([]Channel, error) {
	if len(a.cfg.WeCom.Robots) == 0 {
		return nil, nil
	}
	ch, err := wecom.New(wecom.Config{Robots: a.cfg.WeCom.Robots, Log: a.log})
	if err != nil {
		return nil, err
	}
	return []Channel{{Channel: ch, Limits: weComLimits()}}, nil
}

const weComUse = "guanjia wecom list | guanjia wecom bind <机器人名> <小区> | guanjia wecom unbind <机器人名> | guanjia wecom test <机器人名>"

// runWeCom lists the configured robots, binds one to a community as a staff group (ticket
// cards, alarms, escalations and health alerts then reach it), or sends it a test message.
func runWeCom(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError("", weComUse)
	}
	cmd, args := args[0], args[1:]
	need := map[string]int{"list": 0, "bind": 2, "unbind": 1, "test": 1}
	n, ok := need[cmd]
	if !ok || len(args) != n {
		return usageError("", weComUse)
	}
	name := ""
	if n > 0 {
		name = strings.ToLower(args[0])
		if _, ok := cfg.WeCom.Robots[name]; !ok {
			return tell(nil, "没有配置企业微信机器人「%s」。请先设置环境变量 %s%s=<webhook key 或地址>。现有：%s。",
				args[0], weComPrefix, strings.ToUpper(args[0]), strings.Join(orNone(cfg.WeCom.names()), "、"))
		}
	}
	if cmd == "test" {
		ch, err := wecom.New(wecom.Config{Robots: cfg.WeCom.Robots, Log: log})
		if err != nil {
			return err
		}
		if err := ch.Send(ctx, bot.Reply{Channel: wecom.Name, ChatID: name, Group: true,
			Text: "【测试】guanjia 企业微信机器人「" + name + "」已接通。"}); err != nil {
			return tell(err, "测试消息没有发出（%v）。请核对 webhook key，确认机器人还在群里。", err)
		}
		fmt.Fprintf(stdout, "测试消息已发到机器人「%s」。\n", name)
		return nil
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	switch cmd {
	case "list":
		names := cfg.WeCom.names()
		if len(names) == 0 {
			fmt.Fprintln(stdout, "（无）")
		}
		for _, n := range names {
			c, err := st.Chat(ctx, wecom.Name, n)
			switch {
			case err == nil && c.Community != "":
				fmt.Fprintf(stdout, "%s  → %s 员工群\n", n, c.Community)
			case err == nil || errors.Is(err, guanjia.ErrNotFound):
				fmt.Fprintf(stdout, "%s  （未绑定）\n", n)
			default:
				return err
			}
		}
		return nil
	case "unbind":
		if err := st.PutChat(ctx, guanjia.Chat{ID: guanjia.ChatID(wecom.Name, name), Channel: wecom.Name, PlatformID: name,
			Name: "企业微信机器人 " + name}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "机器人「%s」已解除绑定，不再收到工单和提醒。\n", name)
		return nil
	}
	comm, err := findCommunity(ctx, st, args[1])
	if err != nil {
		return err
	}
	if err := st.PutChat(ctx, guanjia.Chat{ID: guanjia.ChatID(wecom.Name, name), Channel: wecom.Name, PlatformID: name,
		Name: "企业微信机器人 " + name, Role: guanjia.ChatStaff, Community: comm.ID}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "机器人「%s」已绑定为「%s」的员工群：新工单、紧急情况、超时升级和通道告警都会发到企业微信。"+
		"机器人只能发不能收，工单请在微信或 Telegram 员工群里处理。\n", name, comm.Name)
	return nil
}

func orNone(names []string) []string {
	if len(names) == 0 {
		return []string{"（无）"}
	}
	return names
}
