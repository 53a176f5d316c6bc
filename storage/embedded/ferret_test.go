package embedded_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia/storage/embedded"
)

func connect(t *testing.T, f *embedded.Ferret) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(f.URI()))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return c
}

func TestFerretDataSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f, err := embedded.StartFerret(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	c := connect(t, f)
	_, err = c.Database("guanjia").Collection("notes").InsertOne(ctx, bson.D{{Key: "_id", Value: "n1"}, {Key: "text", Value: "水管漏水"}})
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	_ = c.Disconnect(ctx)
	if err := f.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}

	f, err = embedded.StartFerret(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer func() { _ = f.Close() }()
	c = connect(t, f)
	defer func() { _ = c.Disconnect(ctx) }()
	var got struct {
		Text string `bson:"text"`
	}
	if err := c.Database("guanjia").Collection("notes").FindOne(ctx, bson.D{{Key: "_id", Value: "n1"}}).Decode(&got); err != nil {
		t.Fatalf("find after restart: %v", err)
	}
	if got.Text != "水管漏水" {
		t.Errorf("text after restart = %q, want 水管漏水", got.Text)
	}
}

// TestFerretLogsQuietly checks that FerretDB says nothing at info level, and that what it
// says at debug level leaves out the documents it handles.
func TestFerretLogsQuietly(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			ctx := context.Background()
			var buf syncBuffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))
			f, err := embedded.StartFerret(t.TempDir(), log)
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			c := connect(t, f)
			coll := c.Database("guanjia").Collection("people")
			doc := bson.D{{Key: "_id", Value: "p1"}, {Key: "phone", Value: "13800001201"}}
			if _, err := coll.InsertOne(ctx, doc); err != nil {
				t.Fatalf("insert: %v", err)
			}
			_, _ = coll.InsertOne(ctx, doc) // a failed command: FerretDB logs it as a warning
			_ = c.Disconnect(ctx)
			_ = f.Close()
			out := buf.String()
			if level == slog.LevelDebug && out == "" {
				t.Errorf("FerretDB logged nothing at debug level")
			}
			if level == slog.LevelInfo && out != "" {
				t.Errorf("FerretDB logged at info level:\n%s", out)
			}
			if strings.Contains(out, "13800001201") {
				t.Errorf("FerretDB logged a document:\n%s", out)
			}
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if line != "" && !strings.Contains(line, "level=DEBUG") && !strings.Contains(line, "level=ERROR") {
					t.Errorf("record above debug level: %s", line)
				}
			}
		})
	}
}

// syncBuffer is a bytes.Buffer that FerretDB's goroutines can log into together.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
