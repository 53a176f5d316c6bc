package wechat

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/eatmoreapple/openwechat"
)

// renameSimilarity is how alike the members of a group under a new name must be to those of
// a group no longer seen under its old name for the two to count as one group renamed.
const renameSimilarity = 0.6

// groupRecord is what Memory keeps of a group, to find it again after a re-login: keys of its
// name and of its members' nicknames, never a name or a UserName.
type groupRecord struct {
	Name    string    `json:"name"`
	Members []string  `json:"members"`
	Seen    time.Time `json:"seen"`
}

// groupPrint is a group as seen in a login, for matching with the records.
type groupPrint struct {
	name    string
	members []string
}

// knownGroups reads the group records.
func (c *Channel) knownGroups(ctx context.Context) (map[string]groupRecord, error) {
	raw, err := c.cfg.Memory.WeChatGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("wechat: group records: %w", err)
	}
	known := make(map[string]groupRecord, len(raw))
	for id, body := range raw {
		var r groupRecord
		if err := json.Unmarshal(body, &r); err != nil {
			c.log.Warn("wechat group record undecodable", "chat_id", id, "err", err)
			continue
		}
		known[id] = r
	}
	return known, nil
}

// placeGroups gives groups (with their member lists) their stable ids, adds them to the
// directory and keeps their records. Ids the directory holds already are not handed out again.
func (c *Channel) placeGroups(ctx context.Context, self string, dir *directory, known map[string]groupRecord, groups openwechat.Members) error {
	free := make(map[string]groupRecord, len(known))
	for id, r := range known {
		if dir.byID[id] == nil {
			free[id] = r
		}
	}
	prints := make([]groupPrint, len(groups))
	for i, g := range groups {
		prints[i] = fingerprint(g, self)
	}
	taken := make(map[string]bool, len(dir.byID))
	for id := range dir.byID {
		taken[id] = true
	}
	ids := assign(free, prints, taken)
	for i, g := range groups {
		dir.addGroup(&groupInfo{id: ids[i], userName: g.UserName, name: g.NickName, members: g.MemberList, loaded: time.Now()})
		rec := groupRecord{Name: prints[i].name, Members: prints[i].members, Seen: time.Now().UTC()}
		if len(rec.Members) == 0 {
			rec.Members = known[ids[i]].Members // a list not loaded says nothing of the members
		}
		body, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("wechat: group record: %w", err)
		}
		if err := c.cfg.Memory.SaveWeChatGroup(ctx, ids[i], body); err != nil {
			return fmt.Errorf("wechat: save group record: %w", err)
		}
	}
	return nil
}

// fingerprint keys a group's name and its members' nicknames, the bot left out.
func fingerprint(g *openwechat.User, self string) groupPrint {
	p := groupPrint{name: nameKey(g.NickName)}
	for _, m := range g.MemberList {
		if m.UserName != self {
			p.members = append(p.members, nameKey(m.NickName))
		}
	}
	slices.Sort(p.members)
	p.members = slices.Compact(p.members)
	return p
}

// assign gives each group seen in a login the id of the record it most likely is: same name
// and most alike members first; then a group renamed (a record whose name no group has now,
// with mostly the same members); else a new id from the name ("g:<key>", "g:<key>.2", …).
// Ids in taken, or held by a record, are never handed out new.
func assign(known map[string]groupRecord, groups []groupPrint, taken map[string]bool) []string {
	ids := make([]string, len(groups))
	used := map[string]bool{}
	type pair struct {
		i   int
		id  string
		sim float64
	}
	pairUp := func(match func(i int, r groupRecord) (float64, bool)) {
		var pairs []pair
		for i := range groups {
			for id, r := range known {
				if sim, ok := match(i, r); ok {
					pairs = append(pairs, pair{i, id, sim})
				}
			}
		}
		slices.SortFunc(pairs, func(a, b pair) int {
			return cmp.Or(cmp.Compare(b.sim, a.sim), cmp.Compare(a.id, b.id), cmp.Compare(a.i, b.i))
		})
		for _, p := range pairs {
			if ids[p.i] == "" && !used[p.id] {
				ids[p.i], used[p.id] = p.id, true
			}
		}
	}
	pairUp(func(i int, r groupRecord) (float64, bool) {
		return similarity(groups[i].members, r.Members), r.Name == groups[i].name
	})
	names := map[string]bool{}
	for _, g := range groups {
		names[g.name] = true
	}
	pairUp(func(i int, r groupRecord) (float64, bool) {
		sim := similarity(groups[i].members, r.Members)
		return sim, ids[i] == "" && !names[r.Name] && sim >= renameSimilarity
	})
	for i, g := range groups {
		if ids[i] != "" {
			continue
		}
		base := "g:" + g.name
		id := base
		for n := 2; used[id] || taken[id] || hasKey(known, id); n++ {
			id = base + "." + strconv.Itoa(n)
		}
		ids[i], used[id] = id, true
	}
	return ids
}

func hasKey(m map[string]groupRecord, k string) bool {
	_, ok := m[k]
	return ok
}

// similarity is the Jaccard index of two sorted sets of keys.
func similarity(a, b []string) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	common, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch cmp.Compare(a[i], b[j]) {
		case 0:
			common++
			i++
			j++
		case -1:
			i++
		default:
			j++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}
