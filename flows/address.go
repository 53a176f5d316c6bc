package flows

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// place is an address as a resident types it: "3-1-1201", "3号楼1单元1201室", "3栋1单元1201",
// "3号楼电梯". Zero numbers were not said.
type place struct {
	building, entrance, room int
	// rest is what follows the numbers ("电梯" of "3号楼电梯").
	rest string
}

var (
	// dashedPlace is "3-1-1201" and its variants ("3/1/1201", "3-1-1201室").
	dashedPlace = regexp.MustCompile(`(?:^|[^\d-])(\d{1,3})\s*[-/]\s*(\d{1,2})\s*[-/]\s*(\d{1,5})\s*(?:室|号|房)?`)
	// wordedPlace is "3号楼1单元1201室", "3栋1201", "3幢2单元", "3号楼电梯", "building 3".
	wordedPlace = regexp.MustCompile(`(?i)(?:^|\D)(\d{1,3})\s*(?:号楼|栋|幢|座|号|#)(?:\s*(\d{1,2})\s*(?:单元|号门|门))?(?:\s*(\d{2,5})\s*(?:室|号|房)?)?|(?i)(?:building|bldg\.?)\s*(\d{1,3})`)
)

// parsePlace finds the building, entrance and room an address names; ok is false when it
// names no building.
func parsePlace(text string) (place, bool) {
	s := chineseNumbered.ReplaceAllStringFunc(asciiText(text), func(m string) string {
		sub := chineseNumbered.FindStringSubmatch(m)
		if n, ok := chineseNumber(sub[1]); ok {
			return strconv.Itoa(n) + sub[2]
		}
		return m
	})
	if m := dashedPlace.FindStringSubmatchIndex(s); m != nil {
		p := place{building: atoi(s[m[2]:m[3]]), entrance: atoi(s[m[4]:m[5]]), room: atoi(s[m[6]:m[7]])}
		p.rest = strings.TrimSpace(s[m[1]:])
		return p, true
	}
	m := wordedPlace.FindStringSubmatchIndex(s)
	if m == nil {
		return place{}, false
	}
	var p place
	if m[2] >= 0 {
		p.building = atoi(s[m[2]:m[3]])
	} else {
		p.building = atoi(s[m[8]:m[9]])
	}
	if m[4] >= 0 {
		p.entrance = atoi(s[m[4]:m[5]])
	}
	if m[6] >= 0 {
		p.room = atoi(s[m[6]:m[7]])
	}
	p.rest = strings.TrimSpace(s[m[1]:])
	return p, true
}

// chineseNumbered is a building or entrance written in Chinese numerals: "三号楼", "二单元".
var chineseNumbered = regexp.MustCompile(`([一二两三四五六七八九十]{1,3})(号楼|栋|幢|座|单元)`)

// chineseNumber reads 一 to 九十九 ("十二", "二十", "二十三").
func chineseNumber(s string) (int, bool) {
	digit := func(r rune) int { return slices.Index([]rune("零一二三四五六七八九"), r) }
	rs := []rune(strings.ReplaceAll(s, "两", "二"))
	switch {
	case len(rs) == 1 && rs[0] == '十':
		return 10, true
	case len(rs) == 1:
		return digit(rs[0]), digit(rs[0]) > 0
	case len(rs) == 2 && rs[0] == '十':
		return 10 + digit(rs[1]), digit(rs[1]) > 0
	case len(rs) == 2 && rs[1] == '十':
		return digit(rs[0]) * 10, digit(rs[0]) > 0
	case len(rs) == 3 && rs[1] == '十':
		return digit(rs[0])*10 + digit(rs[2]), digit(rs[0]) > 0 && digit(rs[2]) > 0
	}
	return 0, false
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

// asciiText turns full-width digits, letters and dashes (from a Chinese keyboard) into ASCII.
func asciiText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '！' && r <= '～':
			return r - '！' + '!'
		case r == '\u3000':
			return ' '
		case r == '—' || r == '–' || r == '－':
			return '-'
		}
		return r
	}, s)
}

// publicPlaces are places of a community that are not in a building: a report there names no
// building and is still an address.
var publicPlaces = []string{"车库", "地库", "地下室", "停车场", "大门", "东门", "南门", "西门", "北门", "正门", "侧门",
	"花园", "广场", "会所", "泳池", "健身", "门岗", "岗亭", "垃圾站", "垃圾房", "小区", "道路", "路灯", "绿化",
	"草坪", "充电棚", "充电桩", "儿童", "球场", "快递柜", "围墙", "消防通道", "服务中心", "物业", "大堂", "楼道", "电梯",
	"garage", "parking", "gate", "garden", "playground", "gym", "lobby"}

// addressProblem is why an address was not taken: a template key and its data.
type addressProblem struct {
	key  string
	data map[string]any
}

// checkAddress checks a typed address against the community's buildings and households. It
// returns the place, the household code when it is a household on file, and the problem when
// the address cannot be right.
func (e *Engine) checkAddress(ctx context.Context, community, text string) (place, string, *addressProblem, error) {
	c, err := e.Directory.Community(ctx, community)
	if err != nil {
		return place{}, "", nil, fmt.Errorf("flows: address: %w", err)
	}
	buildings := joinInts(c.Buildings)
	p, ok := parsePlace(strings.ReplaceAll(text, c.Name, ""))
	if !ok {
		lower := strings.ToLower(text)
		for _, w := range publicPlaces {
			if strings.Contains(lower, w) {
				return place{}, "", nil, nil
			}
		}
		// Danger words never get here: they raise an alarm before any flow hears them.
		data := map[string]any{"Text": text, "Buildings": buildings}
		return place{}, "", &addressProblem{"repair.address_unknown", data}, nil
	}
	if len(c.Buildings) > 0 && !containsInt(c.Buildings, p.building) {
		return p, "", &addressProblem{"repair.address_no_building", map[string]any{
			"Community": c.Name, "Building": p.building, "Buildings": buildings}}, nil
	}
	homes, err := e.Directory.HouseholdsInBuilding(ctx, community, p.building)
	if err != nil {
		return p, "", nil, fmt.Errorf("flows: address: %w", err)
	}
	if len(homes) == 0 {
		// Nothing of this building is on file: the building is all that can be checked.
		return p, "", nil, nil
	}
	if p.entrance > 0 && !hasEntrance(homes, p.entrance) {
		return p, "", &addressProblem{"repair.address_no_entrance", map[string]any{
			"Building": p.building, "Entrance": p.entrance, "Entrances": joinInts(entrances(homes))}}, nil
	}
	if p.room == 0 {
		return p, "", nil, nil
	}
	var found []string
	for _, h := range homes {
		_, en, r := splitCode(h.Code)
		if r == p.room && (p.entrance == 0 || en == p.entrance) {
			found = append(found, h.Code)
		}
	}
	switch {
	case len(found) == 1:
		return p, found[0], nil, nil
	case len(found) > 1:
		return p, "", &addressProblem{"repair.address_which_entrance", map[string]any{
			"Building": p.building, "Room": p.room}}, nil
	}
	return p, "", &addressProblem{"repair.address_no_room", map[string]any{
		"Building": p.building, "Entrance": p.entrance, "Room": p.room, "Buildings": buildings}}, nil
}

// splitCode reads "3-1-1201" as 3, 1, 1201.
func splitCode(code string) (building, entrance, room int) {
	parts := strings.Split(code, "-")
	if len(parts) != 3 {
		return 0, 0, 0
	}
	return atoi(parts[0]), atoi(parts[1]), atoi(parts[2])
}

func hasEntrance(homes []guanjia.Household, entrance int) bool {
	for _, h := range homes {
		if _, en, _ := splitCode(h.Code); en == entrance {
			return true
		}
	}
	return false
}

// entrances lists the entrances of a building's households on file, in order.
func entrances(homes []guanjia.Household) []int {
	var list []int
	for _, h := range homes {
		if _, en, _ := splitCode(h.Code); !containsInt(list, en) {
			list = append(list, en)
		}
	}
	slices.Sort(list)
	return list
}

// stepCommunity asks a person the records do not place which community they live in.
const stepCommunity = "community"

// communityOf is the community a flow works in for the turn's person: theirs, the chat's, or,
// for someone not bound yet in a private chat, the only community there is. With several, it
// asks which (the session s then waits at stepCommunity) and returns ""; without s it only
// returns "".
func (e *Engine) communityOf(ctx context.Context, t *turn, s *guanjia.Session) (string, error) {
	if c := t.person.Community; c != "" {
		return c, nil
	}
	if c := t.chat.Community; c != "" || t.chat.IsGroup() {
		return c, nil
	}
	list, err := e.Directory.Communities(ctx)
	if err != nil {
		return "", fmt.Errorf("flows: communities: %w", err)
	}
	switch len(list) {
	case 0:
		return "", nil
	case 1:
		return list[0].ID, nil
	}
	if s == nil {
		return "", nil
	}
	s.Step = stepCommunity
	t.out = append(t.out, communityQuestion(t, list))
	return "", e.save(ctx, s)
}

// communityQuestion asks which community, with the communities as choices.
func communityQuestion(t *turn, list []guanjia.Community) bot.Reply {
	r := t.here(t.label("common.ask_community"), nil)
	for _, c := range list {
		r.Choices = append(r.Choices, bot.Choice{Label: c.Name, Value: "community:" + c.ID})
	}
	r.For = t.msg.SenderID
	return r
}

// takeCommunity reads which community was picked: a choice, its number or its name. It
// reports false after asking again.
func (e *Engine) takeCommunity(ctx context.Context, t *turn, s *guanjia.Session) (bool, error) {
	list, err := e.Directory.Communities(ctx)
	if err != nil {
		return false, fmt.Errorf("flows: communities: %w", err)
	}
	text := choiceText(t.text())
	for i, c := range list {
		if t.msg.Choice == "community:"+c.ID || text == strconv.Itoa(i+1) || text == c.Name {
			s.Data["community"] = c.ID
			return true, nil
		}
	}
	r := communityQuestion(t, list)
	r.Text = t.here(t.label("common.pick_one")+"\n"+t.label("common.ask_community"), nil).Text
	t.out = append(t.out, r)
	return false, e.save(ctx, s)
}
