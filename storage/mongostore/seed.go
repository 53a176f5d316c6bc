package mongostore

import (
	"bytes"
	"context"
	_ "embed" // the sample FAQ
	"errors"
	"time"

	"github.com/guanjia/guanjia"
)

// Sample data: one community to try guanjia on, with residents, staff and chats on the local
// console channel, where a chat's and a person's platform id is their display name.
const (
	// SampleCommunity is the id of the sample community, 示例花园.
	SampleCommunity = "sample"
	// SampleChannel is the channel the sample chats and identities live on: the console.
	SampleChannel = "console"
	// SampleStaffChat is the platform id (and name) of the sample staff group.
	SampleStaffChat = "员工群"
	// SampleBuildingChat is the platform id (and name) of the owners' group of building 3.
	SampleBuildingChat = "3号楼业主群"
)

func sampleCommunity() guanjia.Community {
	return guanjia.Community{ID: SampleCommunity, Name: "示例花园", Buildings: []int{1, 2, 3}, DutyPhone: "400-000-0009",
		Rates: guanjia.Rates{PropertyPerM2: 250, ParkingPerSpace: 30000, WaterPerUnit: 420, ElectricityPerUnit: 62, DueDay: 15}}
}

func sampleHouseholds() []guanjia.Household {
	return []guanjia.Household{
		{Community: SampleCommunity, Code: "3-1-1201", Building: 3, AreaCenti: 12050, ParkingSpaces: 1},
		{Community: SampleCommunity, Code: "2-2-502", Building: 2, AreaCenti: 8930},
		{Community: SampleCommunity, Code: "1-1-101", Building: 1, AreaCenti: 7600},
	}
}

func samplePeople() []guanjia.Person {
	resident := []guanjia.Role{guanjia.RoleResident}
	people := []guanjia.Person{
		{ID: "p-zhangsan", Name: "张三", Roles: resident, Household: "3-1-1201", Phone: "13800001201"},
		{ID: "p-lisi", Name: "李四", Roles: resident, Household: "2-2-502", Phone: "13900000502"},
		{ID: "p-linainai", Name: "李奶奶", Roles: resident, Household: "1-1-101", Phone: "13700000101",
			CareTags: []guanjia.CareTag{guanjia.CareElderlyAlone}, CareNote: "耳背，女儿电话 138****1234"},
		{ID: "p-wang", Name: "王管家", Roles: []guanjia.Role{guanjia.RoleSteward}, Buildings: []int{1, 2, 3},
			Phone: "13600000001"},
		{ID: "p-liu", Name: "刘师傅", Roles: []guanjia.Role{guanjia.RoleWorker}, Phone: "13600000002"},
		{ID: "p-zhao", Name: "赵主管", Roles: []guanjia.Role{guanjia.RoleSupervisor, guanjia.RoleAdmin},
			Phone: "13600000003"},
	}
	for i := range people {
		people[i].Community, people[i].Lang = SampleCommunity, "zh"
	}
	return people
}

func sampleChats(people []guanjia.Person) []guanjia.Chat {
	chats := []guanjia.Chat{
		{Channel: SampleChannel, PlatformID: SampleStaffChat, Name: SampleStaffChat,
			Role: guanjia.ChatStaff, Community: SampleCommunity},
		{Channel: SampleChannel, PlatformID: SampleBuildingChat, Name: SampleBuildingChat,
			Role: guanjia.ChatBuilding, Community: SampleCommunity, Buildings: []int{3}},
	}
	for _, p := range people {
		chats = append(chats, guanjia.Chat{Channel: SampleChannel, PlatformID: p.Name, Name: p.Name,
			Role: guanjia.ChatPrivate, Community: SampleCommunity, Person: p.ID})
	}
	return chats
}

// sampleMeters are the sample households' meters: where each stood in January 2020 and how
// much it turns a month, in hundredths of a unit.
var sampleMeters = []struct {
	household, kind string
	base, monthly   int64
}{
	{"3-1-1201", guanjia.FeeWater, 53900, 1200}, // 12 吨 a month: 1523.00 → 1535.00 in 2026-11
	{"3-1-1201", guanjia.FeeElectricity, 200000, 18800},
	{"2-2-502", guanjia.FeeWater, 30000, 825},
	{"2-2-502", guanjia.FeeElectricity, 100000, 9625},
	{"1-1-101", guanjia.FeeWater, 20000, 450},
	{"1-1-101", guanjia.FeeElectricity, 80000, 6040},
}

// sampleReadings are the sample meters' readings of the month of t. They follow on from month
// to month, so that sample data loaded in different months agrees with itself.
func sampleReadings(t time.Time) []Reading {
	months := max(0, int64(t.Year()-2020)*12+int64(t.Month())-1)
	period := t.Format("2006-01")
	list := make([]Reading, len(sampleMeters))
	for i, m := range sampleMeters {
		prev := m.base + months*m.monthly
		list[i] = Reading{Community: SampleCommunity, Household: m.household, Period: period, Kind: m.kind,
			PreviousCenti: prev, CurrentCenti: prev + m.monthly}
	}
	return list
}

//go:embed sample_faq.yaml
var sampleFAQ []byte

// Seed loads the sample community, with this month's meter readings (the month of
// time.Now in the store's location), so that this month's bills can be generated at once.
func (s *Store) Seed(ctx context.Context) error { return s.SeedAt(ctx, time.Now()) }

// SeedAt is Seed with the readings of the month of now. It replaces the sample records by id,
// so running it again restores them and adds nothing; bills and payments are left alone.
func (s *Store) SeedAt(ctx context.Context, now time.Time) error {
	if err := s.PutCommunity(ctx, sampleCommunity()); err != nil {
		return err
	}
	for _, h := range sampleHouseholds() {
		if err := s.PutHousehold(ctx, h); err != nil {
			return err
		}
	}
	people := samplePeople()
	for _, p := range people {
		if err := s.PutPerson(ctx, p); err != nil {
			return err
		}
		id := guanjia.Identity{Channel: SampleChannel, PlatformID: p.Name, Person: p.ID}
		if err := s.PutIdentity(ctx, id); err != nil {
			return err
		}
	}
	for _, c := range sampleChats(people) {
		if err := s.PutChat(ctx, c); err != nil {
			return err
		}
	}
	for _, r := range sampleReadings(now.In(s.loc)) {
		if err := s.PutReading(ctx, r); err != nil {
			return err
		}
	}
	if _, err := s.ImportFAQ(ctx, SampleCommunity, bytes.NewReader(sampleFAQ)); err != nil {
		return err
	}
	return nil
}

// Seeded reports whether the sample community exists.
func (s *Store) Seeded(ctx context.Context) (bool, error) {
	_, err := s.Community(ctx, SampleCommunity)
	switch {
	case errors.Is(err, guanjia.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}
