package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/templates"
)

func TestParseEventWhen(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	for _, c := range []struct {
		in   string
		want string // "" when not a time
	}{
		{"2026-11-28 19:00", "2026-11-28 19:00"},
		{"11-28 19:00", "2026-11-28 19:00"},
		{"11月28日下午3点", "2026-11-28 15:00"},
		{"明天下午3点半", "2026-11-27 15:30"},
		{"后天 9:05", "2026-11-28 09:05"},
		{"明天 12：00", "2026-11-27 12:00"},
		{"1-05 10:00", "2027-01-05 10:00"}, // a date without a year is the next such day
		{"晚上8点", "2026-11-26 20:00"},
		{"昨天", ""},
		{"昨天下午3点", "2026-11-25 15:00"},
		{"前天 9:00", "2026-11-24 09:00"},
		{"25:00", ""},
		{"下周", ""},
	} {
		at, ok := parseEventWhen(c.in, now, loc)
		got := ""
		if ok {
			got = at.Format("2006-01-02 15:04")
		}
		if got != c.want {
			t.Errorf("parseEventWhen(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestHeadsAndPicks(t *testing.T) {
	for in, want := range map[string]int{"": 1, "2人": 2, "两人": 2, "A20261126-0001 3人": 3, "50": 50, "中秋晚会": 1, "我们一家 4 位": 4} {
		if n, ok := heads(in); !ok || n != want {
			t.Errorf("heads(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
	if p, ok := parsePicks("1 3，3", 3); !ok || !slices.Equal(p, []int{1, 3}) {
		t.Errorf("picks = %v, %v", p, ok)
	}
	for _, bad := range []string{"", "4", "0", "一个"} {
		if _, ok := parsePicks(bad, 3); ok {
			t.Errorf("parsePicks(%q) taken", bad)
		}
	}
	if got := splitOptions("1. 烧烤\n2. 电影/电影、徒步"); !slices.Equal(got, []string{"烧烤", "电影", "徒步"}) {
		t.Errorf("splitOptions = %q", got)
	}
}

func TestActivityValidate(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	good := guanjia.Activity{Title: "电影", Place: "花园", Capacity: 50, Start: now.Add(48 * time.Hour), Deadline: now.Add(24 * time.Hour)}
	if err := good.Validate(now); err != nil {
		t.Fatalf("good event: %v", err)
	}
	for name, change := range map[string]func(*guanjia.Activity){
		"capacity 0":           func(a *guanjia.Activity) { a.Capacity = 0 },
		"capacity 10000":       func(a *guanjia.Activity) { a.Capacity = 10000 },
		"deadline after start": func(a *guanjia.Activity) { a.Deadline = a.Start.Add(time.Hour) },
		"start in the past":    func(a *guanjia.Activity) { a.Start = now.Add(-time.Hour) },
		"no place":             func(a *guanjia.Activity) { a.Place = " " },
	} {
		a := good
		change(&a)
		if err := a.Validate(now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The reminder due is the latest whose time has come; one whose time passed before the event
// was created is not sent, and none is sent once the event has started.
func TestReminderDue(t *testing.T) {
	e := &Engine{Deps: Deps{Config: Config{Events: EventsConfig{}.withDefaults()}}}
	start := time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC)
	ev := guanjia.Activity{Start: start, CreatedAt: start.Add(-72 * time.Hour)}
	for _, c := range []struct {
		before  time.Duration
		created time.Duration
		want    time.Duration
		ok      bool
	}{
		{before: 30 * time.Hour, created: 72 * time.Hour},
		{before: 23 * time.Hour, created: 72 * time.Hour, want: 24 * time.Hour, ok: true},
		{before: 30 * time.Minute, created: 72 * time.Hour, want: time.Hour, ok: true},
		{before: 30 * time.Minute, created: 2 * time.Hour, want: time.Hour, ok: true},
		{before: 90 * time.Minute, created: 2 * time.Hour},
		{before: -time.Minute, created: 72 * time.Hour},
	} {
		ev.CreatedAt = start.Add(-c.created)
		got, ok := e.reminderDue(ev, start.Add(-c.before))
		if got != c.want || ok != c.ok {
			t.Errorf("%s before, created %s before: %s, %v; want %s, %v", c.before, c.created, got, ok, c.want, c.ok)
		}
	}
}

// An answer too long is asked again with the limit of that very question.
func TestTooLongNamesItsLimit(t *testing.T) {
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := New(Deps{Templates: set, Directory: emptyDirectory{}, Workday: emptyWorkday{}})
	for _, c := range []struct {
		f     *form
		field string
		max   int
	}{{e.eventForm(), "title", 40}, {e.eventForm(), "place", 60}, {e.surveyForm(), "question", 100}} {
		i := slices.IndexFunc(c.f.fields, func(fd field) bool { return fd.name == c.field })
		if i < 0 {
			t.Fatalf("%s: no field %s", c.f.name, c.field)
		}
		tr := &turn{e: e, lang: set.Lang("zh")}
		_, reason, err := c.f.fields[i].parse(context.Background(), tr, &guanjia.Session{Data: map[string]string{}},
			strings.Repeat("字", c.max+1))
		if err != nil || reason == "" {
			t.Fatalf("%s %s: %d characters taken (err %v)", c.f.name, c.field, c.max+1, err)
		}
		if got, want := tr.render(reason, nil), fmt.Sprintf("不超过 %d 个字", c.max); !strings.Contains(got, want) {
			t.Errorf("%s %s: %q, want it to say %q", c.f.name, c.field, got, want)
		}
	}
}
