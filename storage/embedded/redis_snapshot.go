package embedded

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// snapshotVersion changes when the file format does; older files are refused, not misread.
const snapshotVersion = 1

// snapshot is the file format: every key of database 0 with its type, value and expiry.
type snapshot struct {
	Version int           `json:"version"`
	SavedAt time.Time     `json:"saved_at"`
	Keys    []snapshotKey `json:"keys"`
}

// snapshotKey holds one key. Value is flat, as Redis replies: string [value]; hash
// [field, value, ...]; list [items in order]; set [members]; zset [member, score, ...].
type snapshotKey struct {
	Key       blob       `json:"key"`
	Type      string     `json:"type"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Value     []blob     `json:"value"`
}

// blob is a Redis string, which may be any bytes. Text stays readable in the file; other
// bytes are written as {"base64": "..."}, because JSON strings would mangle them.
type blob string

// MarshalJSON writes b as a JSON string when it is valid UTF-8.
func (b blob) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(b)) {
		return json.Marshal(string(b))
	}
	return json.Marshal(map[string]string{"base64": base64.StdEncoding.EncodeToString([]byte(b))})
}

// UnmarshalJSON reads either form MarshalJSON writes.
func (b *blob) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*b = blob(s)
		return nil
	}
	var enc struct {
		Base64 string `json:"base64"`
	}
	if err := json.Unmarshal(data, &enc); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(enc.Base64)
	*b = blob(raw)
	return err
}

// dumpScript reads the whole database in one script. A script runs under miniredis's lock,
// so the snapshot is one consistent moment: an item moved from one queue to another is in
// exactly one of them. (miniredis's direct accessors List and SortedSet hand out its live
// slice and map, which a concurrent LINSERT or ZADD would race with.)
var dumpScript = redis.NewScript(`
local out = {}
for _, k in ipairs(redis.call("KEYS", "*")) do
	local t = redis.call("TYPE", k)["ok"]
	local v = {}
	if t == "string" then v = {redis.call("GET", k)}
	elseif t == "hash" then v = redis.call("HGETALL", k)
	elseif t == "list" then v = redis.call("LRANGE", k, 0, -1)
	elseif t == "set" then v = redis.call("SMEMBERS", k)
	elseif t == "zset" then v = redis.call("ZRANGE", k, 0, -1, "WITHSCORES")
	end
	table.insert(out, {k, t, redis.call("PTTL", k), v})
end
return out`)

// takeSnapshot reads every key through c; now anchors relative TTLs to absolute expiry times.
// It also returns how many keys it left out because their type cannot be saved: guanjia uses
// no streams or HyperLogLogs, and one such key must not stop everything else being saved.
func takeSnapshot(ctx context.Context, c *redis.Client, now time.Time) (snapshot, int, error) {
	rows, err := dumpScript.Run(ctx, c, nil).Slice()
	if err != nil {
		return snapshot{}, 0, fmt.Errorf("read redis data: %w", err)
	}
	unsupported := 0
	snap := snapshot{Version: snapshotVersion, SavedAt: now.UTC(), Keys: make([]snapshotKey, 0, len(rows))}
	for _, row := range rows {
		f, ok := row.([]any)
		if !ok || len(f) != 4 {
			return snapshot{}, 0, fmt.Errorf("read redis data: unexpected row %T", row)
		}
		k := snapshotKey{Key: blob(fmt.Sprint(f[0])), Type: fmt.Sprint(f[1])}
		switch k.Type {
		case "string", "hash", "list", "set", "zset":
		default:
			unsupported++
			continue
		}
		if ms, _ := f[2].(int64); ms > 0 {
			at := now.Add(time.Duration(ms) * time.Millisecond).UTC()
			k.ExpiresAt = &at
		} else if ms == -2 {
			continue // expired between KEYS and PTTL
		}
		vals, _ := f[3].([]any)
		for _, v := range vals {
			s, ok := v.(string)
			if !ok {
				return snapshot{}, 0, fmt.Errorf("read redis data: unexpected value %T", v)
			}
			k.Value = append(k.Value, blob(s))
		}
		snap.Keys = append(snap.Keys, k)
	}
	return snap, unsupported, nil
}

// writeSnapshot replaces the file at path atomically: a crash leaves the old snapshot or
// the new one, never half of one.
func writeSnapshot(path string, snap snapshot) error {
	data, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode redis snapshot: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write redis snapshot: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write redis snapshot: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write redis snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write redis snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write redis snapshot: %w", err)
	}
	return nil
}

// restoreSnapshot loads the file at path, if any, into mr through its direct API, skipping
// keys whose expiry is not after now. It returns how many keys it restored and skipped.
func restoreSnapshot(mr *miniredis.Miniredis, path string, now time.Time) (restored, skipped int, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return 0, 0, fmt.Errorf("decode: %w", err)
	}
	if snap.Version != snapshotVersion {
		return 0, 0, fmt.Errorf("unknown snapshot version %d", snap.Version)
	}
	for _, k := range snap.Keys {
		var ttl time.Duration
		if k.ExpiresAt != nil {
			if ttl = k.ExpiresAt.Sub(now); ttl <= 0 {
				skipped++
				continue
			}
		}
		if err := restoreKey(mr, k); err != nil {
			return restored, skipped, fmt.Errorf("key %q: %w", string(k.Key), err)
		}
		if ttl > 0 {
			mr.SetTTL(string(k.Key), ttl)
		}
		restored++
	}
	return restored, skipped, nil
}

// restoreKey writes one key's value into mr.
func restoreKey(mr *miniredis.Miniredis, k snapshotKey) error {
	key, vals := string(k.Key), make([]string, len(k.Value))
	for i, v := range k.Value {
		vals[i] = string(v)
	}
	if len(vals) == 0 {
		return errors.New("no value") // Redis has no empty collections
	}
	switch k.Type {
	case "string":
		return mr.Set(key, vals[0])
	case "hash":
		if len(vals)%2 != 0 {
			return errors.New("odd hash value")
		}
		mr.HSet(key, vals...)
		return nil
	case "list":
		_, err := mr.RPush(key, vals...)
		return err
	case "set":
		_, err := mr.SAdd(key, vals...)
		return err
	case "zset":
		if len(vals)%2 != 0 {
			return errors.New("odd sorted set value")
		}
		for i := 0; i < len(vals); i += 2 {
			score, err := strconv.ParseFloat(vals[i+1], 64)
			if err != nil {
				return fmt.Errorf("score: %w", err)
			}
			if _, err := mr.ZAdd(key, score, vals[i]); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("unknown type %q", k.Type)
	}
}
