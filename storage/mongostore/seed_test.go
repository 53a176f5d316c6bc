package mongostore

import (
	"context"
	"maps"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/guanjia/guanjia"
)

func TestSeed(t *testing.T) { forEachBackend(t, testSeed) }

// testSeed checks the sample data and that loading it twice changes nothing.
func testSeed(t *testing.T, st *Store) {
	ctx := context.Background()
	if ok, err := st.Seeded(ctx); err != nil || ok {
		t.Fatalf("Seeded before Seed = %v, %v; want false", ok, err)
	}
	must(t, st.SeedAt(ctx, november))
	if ok, err := st.Seeded(ctx); err != nil || !ok {
		t.Fatalf("Seeded after Seed = %v, %v; want true", ok, err)
	}
	before := counts(t, st)
	want := map[string]int64{"communities": 1, "households": 3, "people": 7, "identities": 7, "chats": 9,
		"readings": 6, "faqs": 6, "bills": 0}
	for name, n := range want {
		if before[name] != n {
			t.Errorf("%s: %d records, want %d", name, before[name], n)
		}
	}
	must(t, st.SeedAt(ctx, november.Add(72*time.Hour)))
	if after := counts(t, st); !maps.Equal(before, after) {
		t.Errorf("Seed twice in a month: counts %v, then %v", before, after)
	}
	// Loaded again in another month, the sample gains that month's readings and nothing else.
	must(t, st.SeedAt(ctx, november.AddDate(0, 1, 0)))
	before["readings"] += 6
	if after := counts(t, st); !maps.Equal(before, after) {
		t.Errorf("Seed in the next month: counts %v, want %v", after, before)
	}
	// Seed is SeedAt this month in the store's location.
	must(t, st.Seed(ctx))
	month := time.Now().In(st.loc).Format("2006-01")
	if r, err := st.Readings(ctx, SampleCommunity, "1-1-101", month); err != nil || len(r) != 2 {
		t.Errorf("readings of %s after Seed = %+v, %v; want water and electricity", month, r, err)
	}

	com, err := st.Community(ctx, SampleCommunity)
	if err != nil || com.Rates != (guanjia.Rates{PropertyPerM2: 250, ParkingPerSpace: 30000, WaterPerUnit: 420,
		ElectricityPerUnit: 62, DueDay: 15}) {
		t.Errorf("sample rates = %+v, %v", com.Rates, err)
	}
	if h, err := st.Household(ctx, SampleCommunity, "3-1-1201"); err != nil || h.ParkingSpaces != 1 {
		t.Errorf("张三's household = %+v, %v; want one parking space", h, err)
	}
	if faqs, err := st.FAQs(ctx, SampleCommunity); err != nil || len(faqs) != 6 {
		t.Errorf("sample FAQ = %d entries, %v", len(faqs), err)
	}

	p, err := st.PersonByIdentity(ctx, SampleChannel, "李奶奶")
	if err != nil || p.ID != "p-linainai" || p.Household != "1-1-101" || len(p.CareTags) != 1 ||
		p.CareTags[0] != guanjia.CareElderlyAlone || p.CareNote == "" {
		t.Errorf("李奶奶 = %+v, %v", p, err)
	}
	p, err = st.PersonByName(ctx, SampleCommunity, "赵主管")
	if err != nil || !p.Has(guanjia.RoleSupervisor) || !p.Has(guanjia.RoleAdmin) {
		t.Errorf("赵主管 = %+v, %v", p, err)
	}
	h, err := st.Household(ctx, SampleCommunity, "3-1-1201")
	if err != nil || h.Building != 3 || h.Area() != "120.5" {
		t.Errorf("3-1-1201 = %+v, %v", h, err)
	}
	staff, err := st.ChatsByRole(ctx, SampleCommunity, guanjia.ChatStaff)
	if err != nil || len(staff) != 1 || staff[0].PlatformID != SampleStaffChat {
		t.Errorf("staff chats = %+v, %v", staff, err)
	}
	c, err := st.Chat(ctx, SampleChannel, SampleBuildingChat)
	if err != nil || c.Role != guanjia.ChatBuilding || len(c.Buildings) != 1 || c.Buildings[0] != 3 {
		t.Errorf("building chat = %+v, %v", c, err)
	}
	private, err := st.PrivateChats(ctx, "p-liu")
	if err != nil || len(private) != 1 || private[0].PlatformID != "刘师傅" || private[0].Channel != SampleChannel {
		t.Errorf("刘师傅's private chats = %+v, %v", private, err)
	}
}

func counts(t *testing.T, st *Store) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	for _, c := range []*mongo.Collection{st.communities, st.households, st.people, st.identities, st.chats,
		st.readings(), st.faqs(), st.bills()} {
		n, err := c.CountDocuments(context.Background(), bson.D{})
		if err != nil {
			t.Fatalf("count %s: %v", c.Name(), err)
		}
		m[c.Name()] = n
	}
	return m
}
