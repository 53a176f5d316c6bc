package mongostore

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/redisstate"
	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

// twoProcesses opens two stores on one database, each keeping copies checked against the same
// Redis stamp, as a running guanjia and an admin command beside it do.
func twoProcesses(t *testing.T) (running, admin *Store) {
	t.Helper()
	running = openTestStore(t, ferretURI)
	admin, err := Open(context.Background(), ferretURI, Options{Database: running.communities.Database().Name(), Now: running.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	rdb, prefix := redistest.Client(t)
	running.SetStamper(redisstate.New(rdb, redisstate.Options{Prefix: prefix}))
	admin.SetStamper(redisstate.New(rdb, redisstate.Options{Prefix: prefix}))
	return running, admin
}

// Every change made through another store is seen at the next read: roles of chats, a chat
// marked unreachable, accounts bound and unbound, people changed — and records that were
// missing when first asked for.
func TestCopiesFollowChangesFromAnotherProcess(t *testing.T) {
	ctx := context.Background()
	running, admin := twoProcesses(t)
	group := guanjia.Chat{Channel: "telegram", PlatformID: "-100", Name: "3号楼业主群", Role: guanjia.ChatBuilding, Community: "c1", Buildings: []int{3}}

	// Missing, then created elsewhere.
	if _, err := running.Chat(ctx, "telegram", "-100"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Fatalf("chat before binding: %v", err)
	}
	if _, err := running.Person(ctx, "p1"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Fatalf("person before import: %v", err)
	}
	if _, err := running.PersonByIdentity(ctx, "telegram", "42"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Fatalf("account before binding: %v", err)
	}
	must(t, admin.PutChat(ctx, group))
	must(t, admin.PutPerson(ctx, guanjia.Person{ID: "p1", Name: "张三", Community: "c1", Roles: []guanjia.Role{guanjia.RoleResident}}))
	must(t, admin.PutIdentity(ctx, guanjia.Identity{Channel: "telegram", PlatformID: "42", Person: "p1"}))
	if c, err := running.Chat(ctx, "telegram", "-100"); err != nil || c.Role != guanjia.ChatBuilding {
		t.Errorf("chat after binding elsewhere: %+v, %v", c, err)
	}
	if p, err := running.PersonByIdentity(ctx, "telegram", "42"); err != nil || p.Name != "张三" {
		t.Errorf("account after binding elsewhere: %+v, %v", p, err)
	}
	if list, err := running.ChatsByRole(ctx, "c1", guanjia.ChatStaff); err != nil || len(list) != 0 {
		t.Fatalf("staff chats before: %+v, %v", list, err)
	}

	// Changed elsewhere.
	group.Role = guanjia.ChatStaff
	must(t, admin.PutChat(ctx, group))
	if list, err := running.ChatsByRole(ctx, "c1", guanjia.ChatStaff); err != nil || len(list) != 1 {
		t.Errorf("staff chats after the role changed elsewhere: %+v, %v", list, err)
	}
	must(t, admin.MarkChatUnreachable(ctx, "telegram", "-100", "bot removed"))
	if c, err := running.Chat(ctx, "telegram", "-100"); err != nil || c.Unreachable != "bot removed" {
		t.Errorf("chat marked unreachable elsewhere: %+v, %v", c, err)
	}
	must(t, admin.PutPerson(ctx, guanjia.Person{ID: "p1", Name: "张三丰", Community: "c1", Roles: []guanjia.Role{guanjia.RoleResident}}))
	if p, err := running.Person(ctx, "p1"); err != nil || p.Name != "张三丰" {
		t.Errorf("person renamed elsewhere: %+v, %v", p, err)
	}
	if list, err := running.PeopleByRole(ctx, "c1", guanjia.RoleSteward); err != nil || len(list) != 0 {
		t.Fatalf("stewards before: %+v, %v", list, err)
	}
	must(t, admin.PutPerson(ctx, guanjia.Person{ID: "p2", Name: "王管家", Community: "c1", Roles: []guanjia.Role{guanjia.RoleSteward}}))
	if list, err := running.PeopleByRole(ctx, "c1", guanjia.RoleSteward); err != nil || len(list) != 1 {
		t.Errorf("stewards after one was added elsewhere: %+v, %v", list, err)
	}
	must(t, admin.DeleteIdentity(ctx, "telegram", "42"))
	if _, err := running.PersonByIdentity(ctx, "telegram", "42"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("account unbound elsewhere: %v, want not found", err)
	}
}

// Reads are answered from the copies while the stamp stands: a record removed behind the
// stores' backs (no write through a store) is still answered until any write changes the stamp.
// A caller changing what it was given does not change the copy.
func TestCopiesAnswerWhileTheStampStands(t *testing.T) {
	ctx := context.Background()
	running, admin := twoProcesses(t)
	must(t, admin.PutChat(ctx, guanjia.Chat{Channel: "telegram", PlatformID: "-100", Name: "3号楼业主群", Role: guanjia.ChatBuilding, Community: "c1", Buildings: []int{3}}))
	c, err := running.Chat(ctx, "telegram", "-100")
	if err != nil {
		t.Fatal(err)
	}
	c.Buildings[0] = 9
	if _, err := running.chats.DeleteOne(ctx, byID(guanjia.ChatID("telegram", "-100"))); err != nil {
		t.Fatal(err)
	}
	c, err = running.Chat(ctx, "telegram", "-100")
	if err != nil || len(c.Buildings) != 1 || c.Buildings[0] != 3 {
		t.Errorf("chat read again: %+v, %v; want the copy, buildings [3]", c, err)
	}
	must(t, admin.PutPerson(ctx, guanjia.Person{ID: "p9", Name: "李四", Community: "c1"}))
	if _, err := running.Chat(ctx, "telegram", "-100"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("chat after a write elsewhere: %v, want not found (read from the database)", err)
	}
}

// One message sees the directory as it was when the message began, plus its own writes.
func TestViewKeepsOneMessageConsistent(t *testing.T) {
	ctx := context.Background()
	running, admin := twoProcesses(t)
	must(t, admin.PutPerson(ctx, guanjia.Person{ID: "p1", Name: "张三", Community: "c1"}))
	msg := running.View(ctx)
	if p, err := running.Person(msg, "p1"); err != nil || p.Name != "张三" {
		t.Fatalf("person: %+v, %v", p, err)
	}
	must(t, admin.PutPerson(ctx, guanjia.Person{ID: "p1", Name: "张三丰", Community: "c1"}))
	if p, _ := running.Person(msg, "p1"); p.Name != "张三" {
		t.Errorf("in the same message: %q, want the name it began with", p.Name)
	}
	if p, _ := running.Person(ctx, "p1"); p.Name != "张三丰" {
		t.Errorf("outside the message: %q, want the new name", p.Name)
	}
	must(t, running.PutPerson(msg, guanjia.Person{ID: "p1", Name: "张小三", Community: "c1"}))
	if p, _ := running.Person(msg, "p1"); p.Name != "张小三" {
		t.Errorf("after its own write: %q, want 张小三", p.Name)
	}
}

// With Redis down the database answers every read.
func TestCopiesWithoutRedis(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t, ferretURI)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	st.SetStamper(redisstate.New(rdb, redisstate.Options{}))
	must(t, st.PutChat(ctx, guanjia.Chat{Channel: "telegram", PlatformID: "-100", Role: guanjia.ChatStaff, Community: "c1"}))
	if _, err := st.Chat(ctx, "telegram", "-100"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.chats.DeleteOne(ctx, byID(guanjia.ChatID("telegram", "-100"))); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Chat(ctx, "telegram", "-100"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("chat removed while Redis is down: %v, want not found", err)
	}
}
