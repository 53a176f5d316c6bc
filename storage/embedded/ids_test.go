package embedded_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/guanjia/guanjia/storage/embedded"
)

// TestIndexIDs checks the query plan of a lookup by _id: after IndexIDs and a restart,
// SQLite searches an index instead of reading the whole table.
func TestIndexIDs(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	f, err := embedded.StartFerret(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.IndexIDs(ctx, "guanjia"); err != nil || n != 0 {
		t.Fatalf("before any collection: %d indexes added, %v", n, err)
	}
	var docs []any
	for i := range 200 {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprint("thing-", i)}, {Key: "n", Value: i}})
	}
	if _, err := connect(t, f).Database("guanjia").Collection("things").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if n, err := f.IndexIDs(ctx, "guanjia"); err != nil || n != 1 {
		t.Fatalf("first run: %d indexes added, %v; want 1", n, err)
	}
	if n, err := f.IndexIDs(ctx, "guanjia"); err != nil || n != 0 {
		t.Fatalf("second run: %d indexes added, %v; want none", n, err)
	}
	_ = f.Close()
	f, err = embedded.StartFerret(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	db := connect(t, f).Database("guanjia")
	var ex bson.M
	cmd := bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: "things"},
		{Key: "filter", Value: bson.D{{Key: "_id", Value: "thing-42"}}}}}}
	if err := db.RunCommand(ctx, cmd).Decode(&ex); err != nil {
		t.Fatal(err)
	}
	if p := fmt.Sprint(ex["queryPlanner"]); !strings.Contains(p, "USING INDEX") {
		t.Errorf("lookup by _id after IndexIDs and a restart: %s; want a search using an index", p)
	}
	var got bson.M
	if err := db.Collection("things").FindOne(ctx, bson.D{{Key: "_id", Value: "thing-42"}}).Decode(&got); err != nil || got["n"] != int32(42) {
		t.Errorf("found %v, %v", got, err)
	}
}
