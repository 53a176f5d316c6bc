package mongostore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// ImportHouseholds reads households (columns code, building, area_m2 up to 10,000 m²,
// parking_spaces) into a community, replacing those with the same code. Their buildings must
// be the community's (a community with none yet takes those of the file). It returns the rows
// imported; a file with any bad row is an *ImportError and imports nothing.
func (s *Store) ImportHouseholds(ctx context.Context, community string, r io.Reader) (int, error) {
	return s.ImportHouseholdsAdding(ctx, community, r, nil)
}

// ImportHouseholdsAdding is ImportHouseholds for a community that gains the buildings
// newBuildings with the file; they are added only when the file is imported.
func (s *Store) ImportHouseholdsAdding(ctx context.Context, community string, r io.Reader, newBuildings []int) (int, error) {
	c, err := s.Community(ctx, community)
	if err != nil {
		return 0, err
	}
	known := c.Buildings
	if len(known) > 0 {
		known = append(slices.Clone(known), newBuildings...)
	}
	var bad problems
	rows := readCSV(r, []string{"code", "building", "area_m2"}, []string{"parking_spaces"}, &bad)
	seen := map[string]int{}
	var list []guanjia.Household
	for _, x := range rows {
		code := x.get("code")
		building, err := guanjia.ParseHouseholdCode(code)
		if err != nil {
			bad.add(x.line, "房号 code「%s」格式不对，应为楼号-单元-室号，如 3-1-1201", code)
			continue
		}
		if first, dup := seen[code]; dup {
			bad.add(x.line, "与第 %d 行重复：房号 %s 出现了两次", first, code)
			continue
		}
		seen[code] = x.line
		h := guanjia.Household{Community: community, Code: code, Building: building}
		if b, err := strconv.Atoi(x.get("building")); err != nil || b != building {
			bad.add(x.line, "楼号 building「%s」与房号 %s 不符，应为 %d", x.get("building"), code, building)
		}
		if len(known) > 0 && !slices.Contains(known, building) {
			bad.add(x.line, "楼号 %d 不在小区 %s 中（现有 %s 号楼）；新建的楼请导入时加上 -add-buildings %d", building, c.Name, joinInts(c.Buildings), building)
		}
		if a, ok := parseCenti(x.get("area_m2"), maxAreaCenti); !ok || a == 0 {
			bad.add(x.line, "面积 area_m2「%s」不对，应为大于 0、不超过 %s 的数字（单位：平方米，最多两位小数），如 120.5",
				x.get("area_m2"), centi(maxAreaCenti))
		} else {
			h.AreaCenti = a
		}
		if p := x.get("parking_spaces"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n > 99 {
				bad.add(x.line, "车位数 parking_spaces「%s」不对，应为 0 到 99 的整数", p)
			}
			h.ParkingSpaces = n
		}
		list = append(list, h)
	}
	if err := bad.err("households"); err != nil {
		return 0, err
	}
	buildings := slices.Clone(c.Buildings)
	for _, h := range list {
		if err := s.PutHousehold(ctx, h); err != nil {
			return 0, err
		}
		if !slices.Contains(buildings, h.Building) {
			buildings = append(buildings, h.Building)
		}
	}
	if len(buildings) > len(c.Buildings) {
		slices.Sort(buildings)
		set := bson.D{{Key: "$set", Value: bson.D{{Key: "buildings", Value: buildings}}}}
		if _, err := s.communities.UpdateOne(ctx, byID(community), set); err != nil {
			return 0, fmt.Errorf("mongostore: buildings of %s: %w", community, err)
		}
	}
	return len(list), nil
}

// ResidentID is the id an imported resident gets when the file gives none and no resident of
// that name lives in the household yet: stable, so that importing again updates the same
// person, and free of the name itself.
func ResidentID(community, household, name string) string {
	sum := sha256.Sum256([]byte(name))
	return "r-" + community + "-" + household + "-" + hex.EncodeToString(sum[:4])
}

// careTags maps what an import may say to a care tag: the tag or its Chinese name.
var careTags = map[string]guanjia.CareTag{
	"elderly_alone": guanjia.CareElderlyAlone, "独居老人": guanjia.CareElderlyAlone,
	"pregnant": guanjia.CarePregnant, "孕妇": guanjia.CarePregnant,
	"disabled": guanjia.CareDisabled, "残障": guanjia.CareDisabled, "残疾": guanjia.CareDisabled,
	"infant": guanjia.CareInfant, "婴儿": guanjia.CareInfant, "婴幼儿": guanjia.CareInfant,
}

// ImportResidents reads residents (columns name, household, phone, care_tags, care_note and
// optionally id) into a community. A row without an id updates the resident of that name in
// that household, or adds one under ResidentID. Roles and language of existing people stay.
// It returns the rows imported; a file with any bad row is an *ImportError and imports nothing.
func (s *Store) ImportResidents(ctx context.Context, community string, r io.Reader) (int, error) {
	homes, err := s.householdCodes(ctx, community)
	if err != nil {
		return 0, err
	}
	byHome, byID, err := s.peopleIndex(ctx, community, func(p guanjia.Person) (string, bool) { return p.Household + "\x00" + p.Name, true })
	if err != nil {
		return 0, err
	}
	var bad problems
	rows := readCSV(r, []string{"name", "household"}, []string{"phone", "care_tags", "care_note", "id"}, &bad)
	seen := map[string]int{}
	var list []guanjia.Person
	for _, x := range rows {
		name, home := x.get("name"), x.get("household")
		if name == "" {
			bad.add(x.line, "没有填姓名 name")
		}
		if !homes[home] {
			bad.add(x.line, "房号「%s」不在小区 %s 中，请先导入房屋", home, community)
		}
		p := guanjia.Person{Name: name, Community: community, Household: home, Roles: []guanjia.Role{guanjia.RoleResident},
			Lang: "zh", CareNote: x.get("care_note")}
		old, known := byHome[home+"\x00"+name]
		if id := x.get("id"); id != "" {
			if strings.ContainsAny(id, " \t") {
				bad.add(x.line, "编号 id「%s」里不能有空格", id)
			}
			old, known = byID[id]
			if !known {
				if err := s.checkIDFree(ctx, x, id, &bad); err != nil {
					return 0, err
				}
			}
			p.ID = id
		}
		if known && old.IsStaff() {
			// A residents file must never change who has staff rights, nor their name,
			// phone or home: that is what binding as a person relies on.
			bad.add(x.line, "「%s」（编号 %s）是工作人员，住户导入不能修改工作人员的记录，本行没有导入：请删去 id，或换一个编号", old.Name, old.ID)
			continue
		}
		if known {
			p.ID, p.Roles, p.Lang, p.Buildings = old.ID, old.Roles, old.Lang, old.Buildings
			if !p.Has(guanjia.RoleResident) {
				p.Roles = append(slices.Clone(p.Roles), guanjia.RoleResident)
			}
		}
		if p.ID == "" {
			p.ID = ResidentID(community, home, name)
		}
		if first, dup := seen[p.ID]; dup {
			bad.add(x.line, "与第 %d 行重复：是同一位住户，请合并为一行", first)
			continue
		}
		seen[p.ID] = x.line
		p.Phone = x.phone(&bad)
		for _, t := range splitList(x.get("care_tags"), ";；,，、") {
			tag, ok := careTags[strings.TrimSpace(t)]
			if !ok {
				bad.add(x.line, "关怀标签 care_tags 中的「%s」无法识别，应为 elderly_alone（独居老人）、pregnant（孕妇）、disabled（残障）或 infant（婴幼儿）", strings.TrimSpace(t))
			} else if !slices.Contains(p.CareTags, tag) {
				p.CareTags = append(p.CareTags, tag)
			}
		}
		list = append(list, p)
	}
	if err := bad.err("residents"); err != nil {
		return 0, err
	}
	return s.putPeople(ctx, list)
}

// peopleIndex reads the people of a community once, for an import, and indexes them by id
// and by key(p) for those key accepts; of two with one key the smallest id wins, as in
// PersonByName.
func (s *Store) peopleIndex(ctx context.Context, community string, key func(guanjia.Person) (string, bool)) (byKey, byID map[string]guanjia.Person, err error) {
	people, err := findAll[guanjia.Person](ctx, s.people, bson.D{{Key: "community", Value: community}},
		"people of "+community, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, nil, err
	}
	byKey, byID = map[string]guanjia.Person{}, map[string]guanjia.Person{}
	for _, p := range slices.Backward(people) {
		if k, ok := key(p); ok {
			byKey[k] = p
		}
		byID[p.ID] = p
	}
	return byKey, byID, nil
}

// checkIDFree reports on the row when id, not known in the community being imported, is
// a person's of another community: an import must never take over someone else's record.
func (s *Store) checkIDFree(ctx context.Context, r row, id string, bad *problems) error {
	_, err := s.Person(ctx, id)
	switch {
	case err == nil:
		bad.add(r.line, "编号 id「%s」已用于其他小区的人员，请换一个编号，或留空由系统生成", id)
	case !errors.Is(err, guanjia.ErrNotFound):
		return err
	}
	return nil
}

// putPeople saves the people of an import that has been checked whole; it returns how many.
func (s *Store) putPeople(ctx context.Context, list []guanjia.Person) (int, error) {
	for _, p := range list {
		if err := s.PutPerson(ctx, p); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}

// listSeparators are what people put between the items of a list in one cell.
const listSeparators = ";；,，、 "

// splitList splits a cell into its items at any of seps.
func splitList(cell, seps string) []string {
	return strings.FieldsFunc(cell, func(r rune) bool { return strings.ContainsRune(seps, r) })
}

// phone is the row's phone number without spaces or dashes; a malformed one is reported.
func (r row) phone(bad *problems) string {
	phone, ok := cleanPhone(r.get("phone"))
	if !ok {
		bad.add(r.line, "电话 phone「%s」不对，应为 5 到 15 位数字（可带空格或短横线），如 13800001201", r.get("phone"))
	}
	return phone
}

func joinInts(list []int) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, "、")
}

// cleanPhone drops the spaces and dashes people write in phone numbers; empty is allowed.
func cleanPhone(s string) (string, bool) {
	s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	digits := strings.TrimPrefix(s, "+")
	if s == "" {
		return "", true
	}
	if len(digits) < 5 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	return s, true
}

// householdCodes is the set of a community's household codes; a community that does not
// exist is an error wrapping guanjia.ErrNotFound.
func (s *Store) householdCodes(ctx context.Context, community string) (map[string]bool, error) {
	if _, err := s.Community(ctx, community); err != nil {
		return nil, err
	}
	list, err := s.Households(ctx, community)
	if err != nil {
		return nil, err
	}
	codes := make(map[string]bool, len(list))
	for _, h := range list {
		codes[h.Code] = true
	}
	return codes, nil
}
