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

// stopGrace is how long guanjia may take to stop after SIGTERM or Ctrl-C before it exits
// anyway; a second signal stops it at once.
const stopGrace = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go exitIfStuck(ctx, stop, stopGrace, os.Stderr, os.Exit)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "guanjia:", err)
		os.Exit(1)
	}
}

// exitIfStuck waits for the first signal (ctx done), then gives the program grace to stop
// cleanly: work that cannot be interrupted, such as waiting for a reply another process
// took, must never keep guanjia running after it was told to stop. stop restores the
// signals' default action, so that a second one ends the process at once.
func exitIfStuck(ctx context.Context, stop func(), grace time.Duration, stderr io.Writer, exit func(int)) {
	<-ctx.Done()
	stop()
	time.Sleep(grace)
	fmt.Fprintf(stderr, "guanjia: 收到停止信号后 %s 内没有停下，强行退出（did not stop in time）。\n", grace)
	exit(1)
}

const usage = `usage:
  guanjia                      run every configured channel (the console when none is)
  guanjia console              chat on the local console: "<person>: <text>" or "<person>@<chat>: <text>"
  guanjia tickets [-status S] [-kind K] [-community C] [-limit N]
                               list tickets, newest first; K is R, C, Q, H or repair, complaint, inquiry, hazard
  guanjia tickets show <no>    one ticket with its timeline
  guanjia code <person>        print a one-time binding code for a person (name or id)
  guanjia seed                 load the sample community 示例花园
  guanjia import households|residents|readings|payments|staff <file.csv> [-community C] [-add-buildings 4,5]
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
  guanjia incidents [-community C]
                               emergencies (E…) and announcements (N…), newest first
  guanjia incidents show <no> [-md]
                               one's timeline: confirmed, sent per channel, acknowledgements, roll call, all-clear
  guanjia events [-community C]  community events; guanjia events show <A…> [-md] one with its sign-ups and numbers
  guanjia surveys create <file.yaml> [-community C]
                               create a survey and send it to its audience (question, options, multiple, buildings, closes, private)
  guanjia surveys show <S…> [-csv]
                               a survey's counts; -csv one row per answer (home, options, time), no names
  guanjia wechat login         log the WeChat account in (QR code) and keep the login in Redis
  guanjia wecom list|bind <robot> <community>|unbind <robot>|test <robot>
                               WeCom group robots (WECOM_ROBOT_<NAME>) as a community's staff group
  guanjia channels [-json]     which chats and channels reach each community and building now
  guanjia config               print the effective configuration (secrets hidden)
  guanjia intents eval|try     how well the intent examples teach; what a message is taken for
  guanjia staff [姓名 -buildings 1,2,3 -shift 08:30]   stewards, the buildings they look after, shift starts
  guanjia patrols [show P…|routes [f.yaml]]  patrols: points checked and missed, hazards found; routes
  guanjia handovers [show J…]  handovers between stewards, with both confirmations
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
	// At the console stderr shares the screen with the chat, and an admin command's output
	// is its answer: both show only warnings unless a level is asked for.
	quiet := cmd != "wechat"
	log, err := newLogger(cfg, getenv, stderr, quiet)
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
	"incidents": politely("incidents", runIncidents),
	"staff":     politely("staff", runStaff),
	"patrols":   politely("patrols", runPatrols),
	"handovers": politely("handovers", runHandovers),
	"events":    politely("events", runEvents),
	"surveys":   politely("surveys", runSurveys),
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

// newLogger logs to stderr; when quiet, only warnings show unless a level is asked for.
func newLogger(cfg Config, getenv func(string) string, stderr io.Writer, quiet bool) (*slog.Logger, error) {
	level, err := cfg.level()
	if err != nil {
		return nil, err
	}
	if quiet && getenv("GUANJIA_LOG_LEVEL") == "" {
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
	app, err := openApp(ctx, cfg, log, nil, serving)
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
