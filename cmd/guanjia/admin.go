package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/storage/embedded"
	"github.com/guanjia/guanjia/storage/mongostore"
	"github.com/guanjia/guanjia/templates"
)

// runSeed loads the sample community.
func runSeed(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) error {
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	if err := st.Seed(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "示例数据已载入：示例花园（1–3 号楼），张三、李四、李奶奶、王管家、刘师傅、赵主管。")
	return nil
}

func closeStore(st *mongostore.Store, fdb *embedded.Ferret) {
	_ = st.Close(context.Background())
	if fdb != nil {
		_ = fdb.Close()
	}
}

// runTickets lists tickets, or shows one with "show <no>".
func runTickets(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tickets", flag.ContinueOnError)
	fs.SetOutput(stdout)
	status := fs.String("status", "", "only this status: "+statusList())
	kind := fs.String("kind", "", "only this kind: R, C, Q or H")
	community := fs.String("community", "", "only this community id")
	limit := fs.Int("limit", 50, "at most this many")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *status != "" && !validStatus(guanjia.Status(*status)) {
		return fmt.Errorf("unknown status %q; one of %s", *status, statusList())
	}
	tpl, err := templates.Load()
	if err != nil {
		return err
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	if fs.NArg() > 0 {
		if fs.Arg(0) != "show" || fs.NArg() != 2 {
			return errors.New("usage: guanjia tickets show <no>")
		}
		return showTicket(ctx, st, tpl, cfg, fs.Arg(1), stdout)
	}
	list, err := st.ListTickets(ctx, mongostore.TicketFilter{Community: *community,
		Status: guanjia.Status(*status), Kind: guanjia.TicketKind(*kind), Limit: *limit})
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "没有符合条件的工单。")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "工单号\t状态\t小区\t地址\t类别\t报修人\t提交时间")
	for _, tk := range list {
		status, _ := tpl.Render("zh", "status."+string(tk.Status), nil)
		cat, _ := tpl.Render("zh", flows.CategoryKey(tk), nil)
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", tk.No, status, tk.Community, tk.Address, cat,
			tk.ReporterName, tk.CreatedAt.In(cfg.location()).Format("2006-01-02 15:04"))
	}
	return w.Flush()
}

func showTicket(ctx context.Context, st *mongostore.Store, tpl *templates.Set, cfg Config, no string, stdout io.Writer) error {
	n, ok := guanjia.ParseTicketNo(no)
	if !ok {
		return fmt.Errorf("%q is not a ticket number (like R20261126-0001)", no)
	}
	list, err := st.TicketsByNo(ctx, n)
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
		fmt.Fprintf(stdout, "小区：%s\n状态代码：%s\n%s\n", tk.Community, tk.Status, text)
	}
	return nil
}

func validStatus(s guanjia.Status) bool {
	for _, x := range guanjia.Statuses {
		if x == s {
			return true
		}
	}
	return false
}

func statusList() string {
	s := ""
	for i, x := range guanjia.Statuses {
		if i > 0 {
			s += ", "
		}
		s += string(x)
	}
	return s
}

// runCode prints a one-time code that binds a chat account (Telegram, WeChat) to a person:
// they send "/start <code>" or "绑定 <code>" to the bot in a private chat.
func runCode(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: guanjia code <person name or id>")
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	p, err := st.Person(ctx, args[0])
	if errors.Is(err, guanjia.ErrNotFound) {
		people, err := st.PeopleByName(ctx, args[0])
		if err != nil {
			return err
		}
		switch len(people) {
		case 0:
			return fmt.Errorf("no person named or with id %q", args[0])
		case 1:
			p = people[0]
		default:
			ids := make([]string, len(people))
			for i, x := range people {
				ids[i] = x.ID + " (" + x.Community + ")"
			}
			return fmt.Errorf("%d people are named %q; give the id: %s", len(people), args[0], strings.Join(ids, ", "))
		}
	} else if err != nil {
		return err
	}
	code, err := st.IssueCode(ctx, p.ID, time.Now(), cfg.CodeTTL)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s 的绑定码：%s（%s 内有效，只能用一次）\n请在私聊中发给机器人：/start %s 或「绑定 %s」\n",
		p.Name, code, cfg.CodeTTL, code, code)
	return nil
}
