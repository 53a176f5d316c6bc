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
	"strings"
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

// takeSnapshot reads every key of database 0 of mr; now anchors relative TTLs to absolute
// expiry times. Strings, hashes and sets are read key by key through miniredis's own API, so
// clients wait for one key at a time, never for the whole database (a script would hold the
// server for seconds at 100,000 keys). Lists and sorted sets — guanjia's queues, where an
// item moves from one key to another — are read together in one MULTI/EXEC through c, so an
// item in flight is in exactly one of them (miniredis's List and SortedSet hand out live
// values that a concurrent write would race with). It also returns how many keys it left out
// because their type cannot be saved: guanjia uses no streams or HyperLogLogs, and one such
// key must not stop everything else being saved.
func takeSnapshot(ctx context.Context, mr *miniredis.Miniredis, c *redis.Client, now time.Time) (snapshot, int, error) {
	db := mr.DB(0)
	keys := db.Keys()
	snap := snapshot{Version: snapshotVersion, SavedAt: now.UTC(), Keys: make([]snapshotKey, 0, len(keys))}
	expiry := func(ttl time.Duration) *time.Time {
		if ttl <= 0 {
			return nil
		}
		at := now.Add(ttl).UTC()
		return &at
	}
	unsupported := 0
	var queues []string
	for _, key := range keys {
		k := snapshotKey{Key: blob(key), Type: db.Type(key)}
		ttl := db.TTL(key)
		switch k.Type {
		case "": // gone since Keys
			continue
		case "string":
			v, err := db.Get(key)
			if err != nil {
				continue
			}
			k.Value = []blob{blob(v)}
		case "hash":
			fields, err := db.HKeys(key)
			if err != nil {
				continue
			}
			for _, f := range fields {
				k.Value = append(k.Value, blob(f), blob(db.HGet(key, f)))
			}
		case "set":
			members, err := db.Members(key)
			if err != nil {
				continue
			}
			for _, m := range members {
				k.Value = append(k.Value, blob(m))
			}
		case "list", "zset":
			queues = append(queues, key)
			continue
		default:
			unsupported++
			continue
		}
		if len(k.Value) == 0 {
			continue
		}
		k.ExpiresAt = expiry(ttl)
		snap.Keys = append(snap.Keys, k)
	}
	if len(queues) == 0 {
		return snap, unsupported, nil
	}
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, key := range queues {
			p.Type(ctx, key)
			p.PTTL(ctx, key)
			p.LRange(ctx, key, 0, -1)
			p.ZRangeWithScores(ctx, key, 0, -1)
		}
		return nil
	})
	if err != nil && !isWrongType(err) {
		return snapshot{}, 0, fmt.Errorf("read redis queues: %w", err)
	}
	for i, key := range queues {
		typ := cmds[4*i].(*redis.StatusCmd).Val()
		ttl := cmds[4*i+1].(*redis.DurationCmd).Val()
		k := snapshotKey{Key: blob(key), Type: typ, ExpiresAt: expiry(ttl)}
		switch typ {
		case "list":
			for _, v := range cmds[4*i+2].(*redis.StringSliceCmd).Val() {
				k.Value = append(k.Value, blob(v))
			}
		case "zset":
			for _, z := range cmds[4*i+3].(*redis.ZSliceCmd).Val() {
				k.Value = append(k.Value, blob(fmt.Sprint(z.Member)), blob(strconv.FormatFloat(z.Score, 'g', -1, 64)))
			}
		}
		if len(k.Value) > 0 {
			snap.Keys = append(snap.Keys, k)
		}
	}
	return snap, unsupported, nil
}

// isWrongType reports whether err is only Redis refusing LRANGE on a sorted set or ZRANGE
// on a list, which takeSnapshot asks for on purpose.
func isWrongType(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE")
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
