package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"

	"github.com/guanjia/guanjia/storage/mongostore"
)

// dutyPhone is a telephone number as people write one: digits, with dashes or spaces between.
var dutyPhone = regexp.MustCompile(`^\+?\d[\d -]{2,18}\d$`)

// runCommunity shows a community, or sets its 24-hour duty number (-duty-phone), which anyone
// who raises an alarm in chat is told.
func runCommunity(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "guanjia community [-community C] [-duty-phone 400-000-0009]"
	fs := flag.NewFlagSet("community", flag.ContinueOnError)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	phone := fs.String("duty-phone", "", "the office's 24-hour duty number")
	pos, err := parseArgs(fs, use, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(fmt.Sprintf("不认识「%s」：值班电话写成选项，如 -duty-phone 400-000-0009。", strings.Join(pos, " ")), use)
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "duty-phone" })
	p := strings.TrimSpace(*phone)
	if given && !dutyPhone.MatchString(p) {
		return tell(nil, "-duty-phone「%s」不像电话号码：请写数字，可以用短横线或空格分隔，如 400-000-0009 或 010 1234 5678。值班电话没有改动。", *phone)
	}
	st, c, done, err := openCommunity(ctx, cfg, log, *community)
	if err != nil {
		return err
	}
	defer done()
	if given {
		if err := st.SetDutyPhone(ctx, c.ID, p); err != nil {
			return err
		}
		log.Info("duty phone set", "community", c.ID)
		c.DutyPhone = p
	}
	duty := c.DutyPhone
	if duty == "" {
		duty = "未设置（报警的人只会听到 110/119/120；请用 -duty-phone 设置）"
	}
	buildings := make([]string, len(c.Buildings))
	for i, b := range c.Buildings {
		buildings[i] = fmt.Sprintf("%d号楼", b)
	}
	fmt.Fprintf(stdout, "%s（%s）\n  楼栋：%s\n  24小时值班电话：%s\n", c.Name, c.ID, strings.Join(buildings, "、"), duty)
	return nil
}
