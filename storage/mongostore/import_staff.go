package mongostore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/guanjia/guanjia"
)

// staffRoles maps what a staff import may say to a role: the role or its Chinese name.
var staffRoles = map[string]guanjia.Role{
	"steward": guanjia.RoleSteward, "管家": guanjia.RoleSteward,
	"worker": guanjia.RoleWorker, "师傅": guanjia.RoleWorker, "维修": guanjia.RoleWorker,
	"supervisor": guanjia.RoleSupervisor, "主管": guanjia.RoleSupervisor,
	"admin": guanjia.RoleAdmin, "管理员": guanjia.RoleAdmin,
}

// StaffID is the id a staff member imported without one gets: stable for a name in a community.
func StaffID(community, name string) string {
	sum := sha256.Sum256([]byte(name))
	return "s-" + community + "-" + hex.EncodeToString(sum[:4])
}

// ImportStaff reads staff (columns name, roles, and optionally phone, buildings, shift_start,
// id) into a community: who they are, what they may do, the buildings a steward looks after
// and when their shift starts. A row updates the staff member of that id, or of that name; a
// resident is never turned into staff by name. A file with any bad row imports nothing.
func (s *Store) ImportStaff(ctx context.Context, community string, r io.Reader) (int, error) {
	c, err := s.Community(ctx, community)
	if err != nil {
		return 0, err
	}
	byName, byID, err := s.peopleIndex(ctx, community, func(p guanjia.Person) (string, bool) { return p.Name, p.IsStaff() })
	if err != nil {
		return 0, err
	}
	var bad problems
	rows := readCSV(r, []string{"name", "roles"}, []string{"phone", "buildings", "shift_start", "id"}, &bad)
	seen := map[string]int{}
	var list []guanjia.Person
	for _, x := range rows {
		p := guanjia.Person{Name: x.get("name"), Community: community, Lang: "zh"}
		if p.Name == "" {
			bad.add(x.line, "没有填姓名 name")
		}
		for _, f := range splitList(x.get("roles"), listSeparators) {
			role, ok := staffRoles[strings.ToLower(f)]
			if !ok {
				bad.add(x.line, "岗位 roles 中的「%s」无法识别，应为 steward（管家）、worker（师傅）、supervisor（主管）或 admin（管理员）", f)
			} else if !slices.Contains(p.Roles, role) {
				p.Roles = append(p.Roles, role)
			}
		}
		if len(p.Roles) == 0 {
			bad.add(x.line, "没有填岗位 roles，如 steward（管家）")
		}
		old, known := byName[p.Name]
		if id := x.get("id"); id != "" {
			old, known = byID[id]
			if !known {
				if err := s.checkIDFree(ctx, x, id, &bad); err != nil {
					return 0, err
				}
			}
			p.ID = id
		}
		if known {
			p.ID, p.Lang, p.Household, p.CareTags, p.CareNote = old.ID, old.Lang, old.Household, old.CareTags, old.CareNote
			if old.Has(guanjia.RoleResident) {
				p.Roles = append(p.Roles, guanjia.RoleResident)
			}
		}
		if p.ID == "" {
			p.ID = StaffID(community, p.Name)
		}
		if first, dup := seen[p.ID]; dup {
			bad.add(x.line, "与第 %d 行重复：是同一位工作人员，请合并为一行", first)
			continue
		}
		seen[p.ID] = x.line
		p.Phone = x.phone(&bad)
		for _, f := range splitList(x.get("buildings"), listSeparators) {
			n, err := strconv.Atoi(f)
			if err != nil || !slices.Contains(c.Buildings, n) {
				bad.add(x.line, "楼号 buildings 中的「%s」不在小区 %s 中（现有 %s 号楼）", f, c.Name, joinInts(c.Buildings))
			} else if !slices.Contains(p.Buildings, n) {
				p.Buildings = append(p.Buildings, n)
			}
		}
		if v := x.get("shift_start"); v != "" {
			if _, err := guanjia.ParseShiftStart(v); err != nil {
				bad.add(x.line, "上班时间 shift_start「%s」不对，应写成 08:30", v)
			}
			p.ShiftStart = v
		}
		list = append(list, p)
	}
	if err := bad.err("staff"); err != nil {
		return 0, err
	}
	return s.putPeople(ctx, list)
}
