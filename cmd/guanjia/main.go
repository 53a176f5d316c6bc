// Command guanjia is the property-management chat assistant and its admin tools.
//
//	guanjia                  run every configured channel (the console when none is)
//	guanjia console          chat on the local console
//	guanjia tickets [flags]  list tickets; guanjia tickets show <no> for one
//	guanjia code <person>    print a one-time code that binds a chat account to a person
//	guanjia seed             load the sample community
//	guanjia jobs             list the scheduled jobs; guanjia jobs run <name> runs one
//	guanjia wechat login     log the WeChat account in by QR code and keep the login
//	guanjia config           print the effective configuration, secrets hidden
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // the office's time zone must load on machines without zoneinfo

	"github.com/guanjia/guanjia/bot/console"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/bot/telegram"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "guanjia:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  guanjia                      run every configured channel (the console when none is)
  guanjia console              chat on the local console: "<person>: <text>" or "<person>@<chat>: <text>"
  guanjia tickets [-status S] [-kind K] [-community C] [-limit N]
                               list tickets, newest first; K is R, C, Q, H or repair, complaint, inquiry, hazard
  guanjia tickets show <no>    one ticket with its timeline
  guanjia code <person>        print a one-time binding code for a person (name or id)
  guanjia seed                 load the sample community 示例花园
  guanjia import households|residents|readings|payments <file.csv> [-community C] [-add-buildings 4,5]
                               import a CSV file with a header row; a file with a bad row imports nothing
  guanjia faq import <file.yaml> [-community C]
                               import FAQ entries, replacing those with the same id
  guanjia rates [-community C] [-property 2.50] [-parking 300] [-water 4.20] [-electricity 0.62] [-due-day 15]
                               show a community's rates, or change the ones given
  guanjia community [-community C] [-duty-phone 400-000-0009]
                               show a community, or set its 24-hour duty number (told to anyone raising an alarm)
  guanjia bills generate <YYYY-MM> [-community C]
                               make the month's bills (every community by default); running again changes nothing
  guanjia bills show <household> [<YYYY-MM>] [-community C]
                               a household's bill and arrears
  guanjia bills correct <household> <YYYY-MM> [-rates current] [-community C]
                               work one bill out again from today's readings and area, at the rates it was
                               made with (-rates current: today's rates)
  guanjia fees report <YYYY-MM> [-csv] [-community C]
                               billed, collected, collection rate, arrears by age and by building
  guanjia repair               rebuild each household's list of bills and payments from the records
  guanjia jobs                 the scheduled jobs: schedule, last run and its outcome, next run
  guanjia jobs run <name> [-at <time>]
                               run a job now, or as of a time ("2026-12-01 09:00"); once per slot
  guanjia jobs timers          the one-off timers waiting to fire
  guanjia wechat login         log the WeChat account in (QR code) and keep the login in Redis
  guanjia wecom list|bind <robot> <community>|unbind <robot>|test <robot>
                               WeCom group robots (WECOM_ROBOT_<NAME>) as a community's staff group
  guanjia channels [-json]     which chats and channels reach each community and building now
  guanjia config               print the effective configuration (secrets hidden)
  guanjia intents eval|try     how well the intent examples teach; what a message is taken for
`

// pinnedClock, when set, is the clock of every run: tests of the admin commands on fixed
// months (the sample files are of 2026-10 and 2026-11) pin it there.
var pinnedClock func() time.Time

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	cfg.now = pinnedClock
	consoleMode := cmd == "" || cmd == "console"
	log, err := newLogger(cfg, getenv, stderr, consoleMode)
	if err != nil {
		return err
	}
	switch cmd {
	case "", "console":
		return runChat(ctx, cfg, log, cmd == "console", stdin, stdout)
	case "wechat":
		return runWeChat(ctx, cfg, log, args, stdout, nil)
	case "config":
		fmt.Fprint(stdout, cfg.Redacted())
		return nil
	}
	if admin, ok := adminCommands[cmd]; ok {
		return admin(ctx, cfg, log, args, stdout)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// adminFunc is an admin command: it works on the stored records and exits.
type adminFunc func(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error

// adminCommands are the commands that work on the stored records and exit.
var adminCommands = map[string]adminFunc{
	"code":      politely("code", runCode),
	"tickets":   politely("tickets", runTickets),
	"seed":      politely("seed", runSeed),
	"import":    politely("import", runImport),
	"faq":       politely("faq", runFAQ),
	"rates":     politely("rates", runRates),
	"community": politely("community", runCommunity),
	"bills":     politely("bills", runBills),
	"fees":      politely("fees", runFees),
	"repair":    politely("repair", runRepair),
	"jobs":      politely("jobs", runJobs),
	"wecom":     politely("wecom", runWeCom),
	"channels":  politely("channels", runChannels),
	"intents":   politely("intents", runIntents),
}

// politely runs an admin command and decides what the office sees when it fails: the
// command's own plain message (an *officeError), or, for anything unexpected, a short
// apology while the cause goes to the log in one line.
func politely(name string, cmd adminFunc) adminFunc {
	return func(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
		err := cmd(ctx, cfg, log, args, stdout)
		var told *officeError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return nil
		case errors.As(err, &told):
			if told.cause != nil {
				log.Debug("admin command refused", "command", name, "err", told.cause)
			}
			return told
		case errors.Is(err, context.Canceled):
			return fmt.Errorf("guanjia %s 被中断，没有做完（interrupted）。", name)
		}
		log.Error("admin command failed", "command", name, "err", err)
		return fmt.Errorf("guanjia %s 出了意外的错误，没有做完；原因已记在日志里（unexpected error, see the log）。", name)
	}
}

// newLogger logs to stderr. At the console, where stderr shares the screen with the chat,
// only warnings show unless a level is asked for.
func newLogger(cfg Config, getenv func(string) string, stderr io.Writer, consoleMode bool) (*slog.Logger, error) {
	level, err := cfg.level()
	if err != nil {
		return nil, err
	}
	if consoleMode && getenv("GUANJIA_LOG_LEVEL") == "" {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return slog.New(slog.NewTextHandler(stderr, opts)), nil
}

// runChat runs the configured channels; with none configured, or when asked, the console.
func runChat(ctx context.Context, cfg Config, log *slog.Logger, consoleOnly bool, stdin io.Reader, stdout io.Writer) error {
	app, err := Open(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer app.Close()
	var channels []Channel
	if !consoleOnly && cfg.Telegram.Token != "" {
		limits, _ := cfg.telegramLimits() // validated with the config
		tg, err := telegram.New(ctx, cfg.telegramChannel(), app.State, app.State, log)
		if err != nil {
			return err
		}
		channels = append(channels, Channel{Channel: tg, Limits: limits})
	}
	if !consoleOnly && cfg.WeChat.Enabled {
		wx, err := app.newWeChat(stdout, nil)
		if err != nil {
			return err
		}
		channels = append(channels, Channel{Channel: wx, Limits: cfg.WeChat.limits()})
	}
	if len(channels) == 0 {
		if isTerminal(stdin) {
			fmt.Fprint(stdout, banner)
		}
		channels = append(channels, Channel{Channel: console.New(stdin, stdout, nil), Limits: outbox.ConsoleLimits()})
	}
	robots, err := app.weComChannel()
	if err != nil {
		return err
	}
	channels = append(channels, robots...)
	names := make([]string, len(channels))
	for i, ch := range channels {
		names[i] = ch.Name()
	}
	log.Info("guanjia running", "channels", names)
	err = app.Run(ctx, channels...)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

const banner = `guanjia 控制台 — 以任何人的身份在任何聊天里说话 / talk as anyone, in any chat:
  张三: 报修                         张三的私聊 / 张三's private chat
  王管家@员工群: 接单 R20261126-0001   员工群里的王管家 / 王管家 in the staff group
  选项回复数字或文字，照片写作 [photo kitchen.jpg]，Ctrl-C 退出（进行中的对话下次继续）。
`

// isTerminal reports whether r is an interactive terminal, where a greeting helps.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
