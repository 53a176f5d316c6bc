package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/flows/intent"
)

// intentsUse is how the intents command is typed.
const intentsUse = `guanjia intents eval [-k 5] [-mistakes] ｜ guanjia intents try "<一句话>"`

// runIntents is ` + "`guanjia intents eval|try`" + `: how well the examples teach the intents, and
// what one message is taken for.
func runIntents(_ context.Context, cfg Config, _ *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError("要写 eval 或 try。", intentsUse)
	}
	switch args[0] {
	case "eval":
		fs := flag.NewFlagSet("intents eval", flag.ContinueOnError)
		k := fs.String("k", "5", "number of folds: each example is classified by a model trained on the other folds")
		mistakes := fs.Bool("mistakes", false, "list every example classified wrongly")
		pos, err := parseArgs(fs, intentsUse, args[1:], stdout)
		if err != nil {
			return err
		}
		if len(pos) > 0 {
			return usageError("eval 不带参数（eval takes no arguments）。", intentsUse)
		}
		examples, err := intentExamples(cfg, false)
		if err != nil {
			return err
		}
		folds, err := strconv.Atoi(*k)
		if err != nil || folds < 2 || folds > len(examples) {
			return usageError(fmt.Sprintf("-k 要写 2 到 %d 之间的整数，不是「%s」。", len(examples), *k), intentsUse)
		}
		intent.CrossValidate(examples, folds).Print(stdout, *mistakes)
		return nil
	case "try":
		text := strings.TrimSpace(strings.Join(args[1:], " "))
		if text == "" {
			return usageError("要写一句话，例如 guanjia intents try \"阳台的窗户关不上了\"。", intentsUse)
		}
		examples, err := intentExamples(cfg, true)
		if err != nil {
			return err
		}
		printTry(stdout, intent.Train(examples), text)
		return nil
	}
	return usageError(fmt.Sprintf("不认识「%s」。", args[0]), intentsUse)
}

// printTry shows the best intents for text with their scores, what the chat would do, and
// the examples nearest to it.
func printTry(w io.Writer, m *intent.Model, text string) {
	d, scores := m.Decide(text, nil)
	fmt.Fprintf(w, "%q\n", text)
	for i, s := range scores {
		if i == 5 || s.Score == 0 {
			break
		}
		fmt.Fprintf(w, "  %-16s %.3f\n", s.Intent, s.Score)
	}
	switch d.Confidence {
	case intent.Sure:
		fmt.Fprintf(w, "decision: sure → %s\n", d.Intents[0])
	case intent.Unsure:
		fmt.Fprintf(w, "decision: ask → %s\n", strings.Join(d.Intents, " / "))
	default:
		fmt.Fprintln(w, "decision: no idea → menu and the steward")
	}
	if near := m.Nearest(text, 3); len(near) > 0 {
		fmt.Fprintln(w, "nearest examples:")
		for _, n := range near {
			fmt.Fprintf(w, "  %.3f [%s] %s (%s)\n", n.Similarity, n.Example.Intent, n.Example.Text, n.Example.Source)
		}
	}
}

// intentExamples are the built-in examples and the office's own (GUANJIA_INTENTS); with
// words, also the single words of the flows' word lists, which the chat learns from but
// which are no sentences to evaluate on.
func intentExamples(cfg Config, words bool) ([]intent.Example, error) {
	ex, err := intent.Builtin()
	if words {
		ex, err = flows.IntentExamples()
	}
	if err != nil {
		return nil, err
	}
	if cfg.IntentsDir == "" {
		return ex, nil
	}
	own, err := intent.LoadDir(cfg.IntentsDir)
	if err != nil {
		return nil, tell(err, "读不了本小区的意图例句（GUANJIA_INTENTS=%s）：%v", cfg.IntentsDir, err)
	}
	return append(ex, own...), nil
}

// officeIntents is the model the chat uses, trained at start so that the first message
// waits for nothing: the built-in examples, with the office's own when it keeps some.
func officeIntents(cfg Config) (*intent.Model, error) {
	if cfg.IntentsDir == "" {
		return flows.BuiltinIntents()
	}
	ex, err := intentExamples(cfg, true)
	if err != nil {
		return nil, err
	}
	return intent.Train(ex), nil
}
