package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/storage/mongostore"
	"github.com/guanjia/guanjia/templates"
)

// officeError is what an admin command tells the office when it cannot do as asked: plain
// words, Chinese first, saying what is wrong and how to put it right. The cause, if any, is
// for the log: the office never sees a store's error text.
type officeError struct {
	msg   string
	cause error
}

func (e *officeError) Error() string { return e.msg }
func (e *officeError) Unwrap() error { return e.cause }

// tell makes the officeError with the message format gives; cause may be nil.
func tell(cause error, format string, args ...any) error {
	return &officeError{msg: fmt.Sprintf(format, args...), cause: cause}
}

// usageError tells what is wrong with how a command was typed, then how to type it.
func usageError(problem, use string) error {
	if problem == "" {
		return tell(nil, "用法（usage）：%s", use)
	}
	return tell(nil, "%s\n用法（usage）：%s", problem, use)
}

// parseArgs parses an admin command's flags, which may stand before, between or after its
// positional arguments, and returns the positional ones. A mistake is told once, in plain
// words, with the command's usage; -h prints the usage and the flags and is flag.ErrHelp.
func parseArgs(fs *flag.FlagSet, use string, args []string, stdout io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stdout, "用法（usage）：%s\n", use)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return nil, err
	case err != nil:
		return nil, usageError(flagProblem(err), use)
	}
	return pos, nil
}

// flagProblem says in Chinese what the flag package found wrong. Every flag of the admin
// commands is a string checked by the command itself, so these are the only mistakes left.
func flagProblem(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return fmt.Sprintf("没有选项 %s（unknown flag）。", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return fmt.Sprintf("选项 %s 后面要写一个值（flag needs a value）。", name)
	}
	if arg, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok {
		return fmt.Sprintf("选项 %s 写法不对（bad flag syntax）。", arg)
	}
	return msg
}

// runSeed loads the sample community.
func runSeed(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "guanjia seed"
	if pos, err := parseArgs(flag.NewFlagSet("seed", flag.ContinueOnError), use, args, stdout); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError("seed 不带参数（seed takes no arguments）。", use)
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	if err := st.SeedAt(ctx, cfg.clock()); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "示例数据已载入：示例花园（1–3 号楼），张三、李四、李奶奶、王管家、刘师傅、赵主管。")
	return nil
}

// runRepair rebuilds what is derived from the stored bills and payments: each household's
// ledger, and a payment a crash left with its ledger entry but without its record.
func runRepair(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "guanjia repair"
	if pos, err := parseArgs(flag.NewFlagSet("repair", flag.ContinueOnError), use, args, stdout); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError("repair 不带参数（repair takes no arguments）。", use)
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	rep, err := st.Repair(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已检查 %d 张账单、%d 笔收费：补记账单 %d 张、收费 %d 笔，恢复收费记录 %d 笔。\n",
		rep.Bills, rep.Payments, rep.BillEntries, rep.PaymentEntries, rep.PaymentsRestored)
	return nil
}

func closeStore(st *mongostore.Store, emb *embeddedStores) {
	_ = st.Close(context.Background())
	_ = emb.Close()
}

const ticketsUse = "guanjia tickets [-status S] [-kind K] [-community C] [-limit N]，或 guanjia tickets show <工单号>"

// runTickets lists tickets, or shows one with "show <no>".
func runTickets(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tickets", flag.ContinueOnError)
	status := fs.String("status", "", "only this status: "+statusList())
	kind := fs.String("kind", "", "only this kind: R, C, Q, H or repair, complaint, inquiry, hazard")
	community := fs.String("community", "", "only this community, by id or name")
	limit := fs.String("limit", "50", "at most this many, 0 for all")
	pos, err := parseArgs(fs, ticketsUse, args, stdout)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0, len(pos) == 2 && pos[0] == "show":
	case pos[0] == "show":
		return usageError("要写一个工单号，如 guanjia tickets show R20261126-0001。", ticketsUse)
	default:
		return usageError(fmt.Sprintf("不认识「%s」。", strings.Join(pos, " ")), ticketsUse)
	}
	tpl, err := templates.Load()
	if err != nil {
		return err
	}
	f := mongostore.TicketFilter{}
	if *status != "" {
		if f.Status = findStatus(tpl, *status); f.Status == "" {
			return tell(nil, "没有「%s」这个工单状态。-status 可选：%s。", *status, statusNames(tpl))
		}
	}
	if *kind != "" {
		if f.Kind = findKind(tpl, *kind); f.Kind == "" {
			return tell(nil, "没有「%s」这类工单。-kind 可选：%s。", *kind, kindNames(tpl))
		}
	}
	if f.Limit, err = strconv.Atoi(*limit); err != nil || f.Limit < 0 {
		return tell(nil, "-limit 要写一个整数，如 -limit 20（0 表示全部），不是「%s」。", *limit)
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	if len(pos) == 2 {
		return showTicket(ctx, st, tpl, cfg, pos[1], stdout)
	}
	if *community != "" {
		c, err := findCommunity(ctx, st, *community)
		if err != nil {
			return err
		}
		f.Community = c.ID
	}
	list, err := st.ListTickets(ctx, f)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "没有符合条件的工单。")
		return nil
	}
	names, err := communityNames(ctx, st)
	if err != nil {
		return err
	}
	rows := [][]string{{"工单号", "状态", "小区", "地址", "类别", "报修人", "提交时间"}}
	for _, tk := range list {
		status, _ := tpl.Render("zh", "status."+string(tk.Status), nil)
		cat, _ := tpl.Render("zh", flows.CategoryKey(tk), nil)
		rows = append(rows, []string{tk.No, status, names.of(tk.Community), cell(tk.Address), cat,
			cell(tk.ReporterName), tk.CreatedAt.In(cfg.location()).Format("2006-01-02 15:04")})
	}
	writeColumns(stdout, "", rows)
	return nil
}

// cell is text people typed, fit for one cell of a table in a terminal: no control
// characters, no line breaks, and "-" when empty so that the columns stay readable.
func cell(s string) string {
	s = strings.TrimSpace(guanjia.StripControl(strings.ReplaceAll(s, "\n", " "), false))
	if s == "" {
		return "-"
	}
	return s
}

// communities maps community ids to their names.
type communities map[string]string

func communityNames(ctx context.Context, st *mongostore.Store) (communities, error) {
	list, err := st.Communities(ctx)
	if err != nil {
		return nil, err
	}
	names := communities{}
	for _, c := range list {
		names[c.ID] = c.Name
	}
	return names, nil
}

// of is a community's name, or its id when it has none.
func (c communities) of(id string) string {
	if name := c[id]; name != "" {
		return name
	}
	return id
}

func showTicket(ctx context.Context, st *mongostore.Store, tpl *templates.Set, cfg Config, no string, stdout io.Writer) error {
	n, ok := guanjia.ParseTicketNo(no)
	if !ok {
		return tell(nil, "「%s」不是工单号。工单号形如 R20261126-0001：类别字母、日期、序号。", no)
	}
	list, err := st.TicketsByNo(ctx, n)
	if errors.Is(err, guanjia.ErrNotFound) {
		return tell(nil, "没有工单 %s。请核对工单号；guanjia tickets 列出最近的工单。", n)
	}
	if err != nil {
		return err
	}
	names, err := communityNames(ctx, st)
	if err != nil {
		return err
	}
	for i, tk := range list {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		text, err := flows.DescribeTicket(tpl, "zh", cfg.location(), tk)
		if err != nil {
			return err
		}
		// What residents typed reaches the operator's terminal: only its visible characters.
		fmt.Fprintf(stdout, "小区：%s\n%s\n", names.of(tk.Community), guanjia.StripControl(text, true))
	}
	return nil
}

// findStatus reads a status as the office types it: its code in any case, or its Chinese
// name; "" when it is none.
func findStatus(tpl *templates.Set, s string) guanjia.Status {
	s = strings.TrimSpace(s)
	for _, x := range guanjia.Statuses {
		if name, _ := tpl.Render("zh", "status."+string(x), nil); strings.EqualFold(s, string(x)) || s == name {
			return x
		}
	}
	return ""
}

func statusList() string {
	names := make([]string, len(guanjia.Statuses))
	for i, x := range guanjia.Statuses {
		names[i] = string(x)
	}
	return strings.Join(names, ", ")
}

// statusNames lists the statuses with their Chinese names, for telling the office.
func statusNames(tpl *templates.Set) string {
	names := make([]string, len(guanjia.Statuses))
	for i, x := range guanjia.Statuses {
		name, _ := tpl.Render("zh", "status."+string(x), nil)
		names[i] = fmt.Sprintf("%s（%s）", x, name)
	}
	return strings.Join(names, "、")
}

// ticketKinds are the ticket kinds with the English words the office may type for them.
var ticketKinds = []struct {
	kind guanjia.TicketKind
	word string
}{
	{guanjia.KindRepair, "repair"}, {guanjia.KindComplaint, "complaint"},
	{guanjia.KindInquiry, "inquiry"}, {guanjia.KindHazard, "hazard"},
}

// findKind reads a ticket kind as the office types it: its letter or English word in any
// case, or its Chinese name; "" when it is none.
func findKind(tpl *templates.Set, s string) guanjia.TicketKind {
	s = strings.TrimSpace(s)
	for _, k := range ticketKinds {
		name, _ := tpl.Render("zh", "kind."+string(k.kind), nil)
		if strings.EqualFold(s, string(k.kind)) || strings.EqualFold(s, k.word) || s == name {
			return k.kind
		}
	}
	return ""
}

// kindNames lists the ticket kinds as they may be typed, for telling the office.
func kindNames(tpl *templates.Set) string {
	names := make([]string, len(ticketKinds))
	for i, k := range ticketKinds {
		name, _ := tpl.Render("zh", "kind."+string(k.kind), nil)
		names[i] = fmt.Sprintf("%s 或 %s（%s）", k.kind, k.word, name)
	}
	return strings.Join(names, "、")
}

const codeUse = "guanjia code <姓名或人员编号>"

// runCode prints a one-time code that binds a chat account (Telegram, WeChat) to a person:
// they send "/start <code>" or "绑定 <code>" to the bot in a private chat.
func runCode(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	pos, err := parseArgs(flag.NewFlagSet("code", flag.ContinueOnError), codeUse, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("要写一个人的姓名或编号，如 guanjia code 张三。", codeUse)
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	p, err := st.Person(ctx, pos[0])
	if errors.Is(err, guanjia.ErrNotFound) {
		people, err := st.PeopleByName(ctx, pos[0])
		if err != nil {
			return err
		}
		switch len(people) {
		case 0:
			return tell(nil, "找不到姓名或编号为「%s」的人。请核对姓名；住户可先用 guanjia import residents <文件.csv> 导入。", pos[0])
		case 1:
			p = people[0]
		default:
			ids := make([]string, len(people))
			for i, x := range people {
				ids[i] = x.ID + "（" + x.Community + "）"
			}
			return tell(nil, "有 %d 人叫「%s」，请改写编号：%s。", len(people), pos[0], strings.Join(ids, "、"))
		}
	} else if err != nil {
		return err
	}
	code, err := st.IssueCode(ctx, p.ID, cfg.clock(), cfg.CodeTTL)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s 的绑定码：%s（%s内有效，只能用一次）\n请在私聊中发给机器人：/start %s 或「绑定 %s」\n",
		p.Name, code, spanZH(cfg.CodeTTL), code, code)
	return nil
}

// spanZH says a span of time as the chat does: "72 小时", "30 分钟", "1 小时 30 分钟".
func spanZH(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case m == 0:
		return fmt.Sprintf("%d 小时", h)
	case h == 0:
		return fmt.Sprintf("%d 分钟", m)
	}
	return fmt.Sprintf("%d 小时 %d 分钟", h, m)
}
