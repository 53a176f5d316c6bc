package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/guanjia/guanjia/flows/intent"
)

// runIntents is `guanjia intents eval|try`: how well the examples teach the intents, and
// what one message is taken for.
func runIntents(_ context.Context, cfg Config, _ *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return tell(nil, "用法：guanjia intents eval [-k 5] [-mistakes] ｜ guanjia intents try \"<一句话>\"")
	}
	examples, err := intentExamples(cfg)
	if err != nil {
		return err
	}
	switch args[0] {
	case "eval":
		fs := flag.NewFlagSet("intents eval", flag.ContinueOnError)
		fs.SetOutput(stdout)
		k := fs.Int("k", 5, "number of folds: each example is classified by a model trained on the other folds")
		mistakes := fs.Bool("mistakes", false, "list every example classified wrongly")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *k < 2 || *k > len(examples) {
			return tell(nil, "-k 须在 2 到 %d 之间。", len(examples))
		}
		intent.CrossValidate(examples, *k).Print(stdout, *mistakes)
		return nil
	case "try":
		text := strings.TrimSpace(strings.Join(args[1:], " "))
		if text == "" {
			return tell(nil, "请给出要试的一句话，例如：guanjia intents try \"阳台的窗户关不上了\"")
		}
		m := intent.Train(examples)
		d, scores := m.Decide(text, nil)
		fmt.Fprintf(stdout, "%q\n", text)
		for i, s := range scores {
			if i == 5 || s.Score == 0 {
				break
			}
			fmt.Fprintf(stdout, "  %-16s %.3f\n", s.Intent, s.Score)
		}
		switch d.Confidence {
		case intent.Sure:
			fmt.Fprintf(stdout, "decision: sure → %s\n", d.Intents[0])
		case intent.Unsure:
			fmt.Fprintf(stdout, "decision: ask → %s\n", strings.Join(d.Intents, " / "))
		default:
			fmt.Fprintln(stdout, "decision: no idea → menu and the steward")
		}
		fmt.Fprintln(stdout, "nearest examples:")
		for _, n := range m.Nearest(text, 3) {
			fmt.Fprintf(stdout, "  %.3f [%s] %s (%s)\n", n.Similarity, n.Example.Intent, n.Example.Text, n.Example.Source)
		}
		return nil
	}
	return tell(nil, "不认识的子命令「%s」。用法：guanjia intents eval ｜ guanjia intents try \"<一句话>\"", args[0])
}

// intentExamples are the built-in examples and the office's own (GUANJIA_INTENTS).
func intentExamples(cfg Config) ([]intent.Example, error) {
	ex, err := intent.Builtin()
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

// officeIntents is the model the chat uses: nil (the built-in examples) unless the office
// keeps examples of its own, which are then learned with the built-in ones.
func officeIntents(cfg Config) (*intent.Model, error) {
	if cfg.IntentsDir == "" {
		return nil, nil
	}
	ex, err := intentExamples(cfg)
	if err != nil {
		return nil, err
	}
	return intent.Train(ex), nil
}
