package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/flows/schedule"
	"github.com/guanjia/guanjia/storage/embedded"
	"github.com/guanjia/guanjia/storage/mongostore"
	"github.com/guanjia/guanjia/storage/redisstate"
	"github.com/guanjia/guanjia/templates"
)

// App is guanjia wired together: stores, templates, flows and the mux. Tests run it end to end.
type App struct {
	cfg Config
	log *slog.Logger

	emb *embeddedStores
	rdb *redis.Client

	Store     *mongostore.Store
	State     *redisstate.Store
	Templates *templates.Set
	Engine    *flows.Engine
	Mux       *bot.Mux
	Outbox    *outbox.Outbox
	Metrics   *bot.Metrics
	Registry  *prometheus.Registry
	Scheduler *schedule.Scheduler

	channels []bot.Channel
	coverage coverageWatch
	// pacing is every attached channel's limits, for the broadcast preview's estimates.
	pacing pacing
}

// role says what a process does with the data folder's embedded stores.
type role int

const (
	// serving runs channels: it holds the data folder, starts the embedded stores and
	// serves them to later processes. Beside another serving process it is refused; beside
	// a short command holding the folder it waits for it.
	serving role = iota
	// sharing uses the stores of the process holding the folder, or else holds the folder,
	// starts the stores and serves them itself.
	sharing
	// adminOnly works on the records and exits: beside a running process it uses that
	// process's stores, otherwise it holds the folder while it runs, serving nothing.
	adminOnly
)

// claimWait is how long a process waits for the data folder held by another one: an admin
// command holding it is soon done; a serving one publishes its stores within seconds.
const claimWait = 60 * time.Second

// embeddedStores are the embedded stores of the data folder this process uses: started
// here while it holds the folder, or served by the process that holds it.
type embeddedStores struct {
	folder *embedded.Folder
	ferret *embedded.Ferret
	redis  *embedded.Redis
	shared *embedded.Stores // the holder's, when another process holds the folder
	// stamps is an admin command's client of the Redis a running guanjia uses (see
	// stampWrites), closed with the rest.
	stamps *redis.Client
}

// Close stops what this process started and lets the folder go; safe on nil and on a
// partly started set. Close the clients of the stores first.
func (e *embeddedStores) Close() error {
	if e == nil {
		return nil
	}
	var errs []error
	if e.stamps != nil {
		errs = append(errs, e.stamps.Close())
	}
	if e.redis != nil {
		errs = append(errs, e.redis.Close())
	}
	if e.ferret != nil {
		errs = append(errs, e.ferret.Close())
	}
	errs = append(errs, e.folder.Close())
	return errors.Join(errs...)
}

// claimFolder holds the data folder when an embedded store is needed; with wantRedis it
// also needs the embedded Redis. A second serving process is refused, naming the first.
func claimFolder(cfg Config, r role, wantRedis bool) (*embeddedStores, error) {
	if cfg.MongoURI != "" && (!wantRedis || cfg.RedisURL != "") {
		return nil, nil
	}
	deadline := time.Now().Add(claimWait)
	folder, shared, err := embedded.ClaimFolder(cfg.DataDir, claimWait)
	// A command holding the folder is soon done; guanjia waits for it rather than share
	// stores that stop with it.
	for r == serving && shared != nil && !shared.Channels && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		folder, shared, err = embedded.ClaimFolder(cfg.DataDir, time.Until(deadline))
	}
	var held *embedded.HeldError
	switch {
	case errors.As(err, &held):
		return nil, heldTooLong(cfg.DataDir, held.PID)
	case err != nil:
		return nil, fmt.Errorf("数据文件夹 %s 无法使用（data folder）：%w", cfg.DataDir, err)
	case folder != nil:
		return &embeddedStores{folder: folder}, nil
	}
	if r == serving && !shared.Channels {
		return nil, heldTooLong(cfg.DataDir, shared.PID)
	}
	if r == serving {
		return nil, fmt.Errorf("数据文件夹 %s 正被另一个 guanjia（进程 %d）使用，同一个文件夹只能运行一个；请先停止它，或用 GUANJIA_DATA 另选一个文件夹（data folder in use by process %d）。",
			cfg.DataDir, shared.PID, shared.PID)
	}
	if (cfg.MongoURI == "" && shared.MongoURI == "") || (wantRedis && cfg.RedisURL == "" && shared.RedisURL == "") {
		return nil, fmt.Errorf("数据文件夹 %s 正被进程 %d 使用，而它没有提供这里需要的内置存储；请先停止它（data folder in use by process %d）。",
			cfg.DataDir, shared.PID, shared.PID)
	}
	return &embeddedStores{shared: shared}, nil
}

// heldTooLong says that process pid still holds the data folder after claimWait.
func heldTooLong(dir string, pid int) error {
	return fmt.Errorf("数据文件夹 %s 正被进程 %d 占用，等了 %d 秒还没有空出来；请等它结束或先停止它（data folder held by process %d）。",
		dir, pid, int(claimWait.Seconds()), pid)
}

// openStore connects to MongoDB, or to the embedded FerretDB of the data folder — started
// here, loading the sample data on its first start, or the one a running guanjia serves.
// It claims the folder as an admin command; closeStore lets it go.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*mongostore.Store, *embeddedStores, error) {
	emb, err := claimFolder(cfg, adminOnly, false)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStoreIn(ctx, cfg, log, emb)
	if err != nil {
		_ = emb.Close()
		return nil, nil, err
	}
	return st, stampWrites(ctx, cfg, log, st, emb), nil
}

// stampWrites lets an admin command's changes to chats, accounts and people reach a running
// guanjia at once: guanjia keeps copies of them, checked against a stamp in Redis that every
// write changes (mongostore.SetStamper). With no Redis configured or served beside the folder
// no guanjia is running on these records, and nothing is needed. A Redis that does not answer
// is warned about: a running guanjia then sees the change within a minute.
func stampWrites(ctx context.Context, cfg Config, log *slog.Logger, st *mongostore.Store, emb *embeddedStores) *embeddedStores {
	url := cfg.RedisURL
	if url == "" && emb != nil && emb.shared != nil {
		url = emb.shared.RedisURL
	}
	if url == "" {
		return emb
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		log.Warn("redis for change stamps", "err", err)
		return emb
	}
	opts.MaxIdleConns = 1
	rdb := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		log.Warn("Redis 无法连接，正在运行的 guanjia 最多一分钟后才会看到这次修改（redis for change stamps unreachable）", "redis", redactURL(url), "err", err)
		return emb
	}
	st.SetStamper(redisstate.New(rdb, redisstate.Options{Prefix: cfg.RedisPrefix}))
	if emb == nil {
		emb = &embeddedStores{}
	}
	emb.stamps = rdb
	return emb
}

// openStoreIn opens the records store for cfg in emb (nil: MongoDB as configured).
func openStoreIn(ctx context.Context, cfg Config, log *slog.Logger, emb *embeddedStores) (*mongostore.Store, error) {
	uri := cfg.MongoURI
	if uri == "" && emb.shared != nil {
		uri = withOptions(emb.shared.MongoURI, embeddedMongoOptions)
	}
	if uri != "" {
		st, err := mongostore.Open(ctx, uri, mongostore.Options{Database: cfg.MongoDatabase, Location: cfg.location(), Now: cfg.clock})
		if err != nil {
			return nil, fmt.Errorf("连接 MongoDB（%s）失败（cannot reach MongoDB）：%w", redactURL(uri), err)
		}
		return st, nil
	}
	st, err := openEmbedded(ctx, cfg, log, emb)
	if err != nil {
		return nil, err
	}
	// Lookups by _id read whole tables until FerretDB starts with the indexes that fix it
	// (see embedded.IndexIDs): once, when the store has just made its collections.
	added, err := emb.ferret.IndexIDs(ctx, cfg.MongoDatabase)
	if err != nil {
		log.Warn("embedded store: _id indexes", "err", err)
	}
	if added > 0 {
		log.Info("embedded store: restarting with its _id indexes", "indexes", added)
		_ = st.Close(ctx)
		_ = emb.ferret.Close()
		emb.ferret = nil
		if st, err = openEmbedded(ctx, cfg, log, emb); err != nil {
			return nil, err
		}
	}
	seeded, err := st.Seeded(ctx)
	if err == nil && !seeded {
		log.Info("loading sample data", "community", mongostore.SampleCommunity)
		err = st.SeedAt(ctx, cfg.clock())
	}
	if err != nil {
		_ = st.Close(ctx)
		return nil, fmt.Errorf("载入示例数据失败（sample data）：%w", err)
	}
	return st, nil
}

// openEmbedded starts the embedded FerretDB in the data folder and opens the store on it.
func openEmbedded(ctx context.Context, cfg Config, log *slog.Logger, emb *embeddedStores) (*mongostore.Store, error) {
	fdb, err := embedded.StartFerret(filepath.Join(cfg.DataDir, "ferretdb"), log)
	if err != nil {
		return nil, fmt.Errorf("内置数据库 FerretDB 没能启动（embedded FerretDB）：%w", err)
	}
	emb.ferret = fdb
	st, err := mongostore.Open(ctx, withOptions(fdb.URI(), embeddedMongoOptions), mongostore.Options{Database: cfg.MongoDatabase, Location: cfg.location(), Now: cfg.clock})
	if err != nil {
		return nil, fmt.Errorf("连接内置数据库 FerretDB 失败（embedded FerretDB）：%w", err)
	}
	return st, nil
}

// redisIdleConns is how many idle Redis connections are kept unless REDIS_URL says
// (max_idle_conns): enough for the messages handled at once (bot.DefaultParallel) and the
// senders, so that a burst does not dial a new connection for most of its messages.
const redisIdleConns = 16

// embeddedMongoOptions close the embedded FerretDB's idle connections after a minute: each
// costs goroutines in this process, and a burst must not keep them for good.
const embeddedMongoOptions = "maxIdleTimeMS=60000"

// withOptions adds the query options opts to a MongoDB URI.
func withOptions(uri, opts string) string {
	if strings.Contains(uri, "?") {
		return uri + "&" + opts
	}
	if strings.HasSuffix(uri, "/") {
		return uri + "?" + opts
	}
	return uri + "/?" + opts
}

// openRedis connects to Redis: REDIS_URL, or the embedded Redis of the data folder, started
// here or served by the process holding the folder.
func openRedis(ctx context.Context, cfg Config, log *slog.Logger, emb *embeddedStores) (*redis.Client, error) {
	url, what := cfg.RedisURL, "Redis（REDIS_URL "+redactURL(cfg.RedisURL)+"）"
	switch {
	case url != "":
	case emb.shared != nil:
		url, what = emb.shared.RedisURL, fmt.Sprintf("进程 %d 的内置 Redis", emb.shared.PID)
	default:
		r, err := embedded.OpenRedis(cfg.DataDir, embedded.RedisOptions{Server: cfg.EmbeddedRedis, Fsync: cfg.RedisFsync, Log: log})
		if err != nil {
			return nil, embeddedRedisError(cfg, err)
		}
		emb.redis = r
		url, what = r.URL(), "内置 Redis"
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL %s 写得不对（bad REDIS_URL）：%w", redactURL(url), err)
	}
	// A burst of updates opens many connections (up to 10 per CPU); keep a few warm and
	// close the rest once returned, instead of holding every one (and, on the in-process
	// Redis, a goroutine serving each) for half an hour.
	if opts.MaxIdleConns == 0 {
		opts.MaxIdleConns = redisIdleConns
	}
	if opts.ConnMaxIdleTime == 0 {
		opts.ConnMaxIdleTime = time.Minute
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("连接 %s 失败（cannot reach Redis）：%w", what, err)
	}
	return rdb, nil
}

// embeddedRedisError says why the embedded Redis did not start.
func embeddedRedisError(cfg Config, err error) error {
	if strings.Contains(err.Error(), "restore redis snapshot") {
		return fmt.Errorf("内置 Redis 的快照文件 %s 读不出来，为免丢掉排队的消息和进行中的对话，没有启动；请修好或移走这个文件再启动（embedded Redis snapshot unreadable）：%w",
			filepath.Join(cfg.DataDir, embedded.SnapshotFile), err)
	}
	return fmt.Errorf("内置 Redis 没能启动；要改用进程内的 Redis，可设 GUANJIA_EMBEDDED_REDIS=in-process（embedded Redis）：%w", err)
}

// redactURL is u with any password hidden, for messages.
func redactURL(u string) string {
	if u == "" {
		return "(embedded)"
	}
	return redactedURL(u)
}

// Open starts the stores and builds the engine. On the embedded default it uses the stores
// of a guanjia already running on the data folder, or starts them and serves them to later
// processes. now is the clock (nil: time.Now). On failure it closes what it had started and
// says what failed. guanjia itself, which runs the channels, is opened with role serving.
func Open(ctx context.Context, cfg Config, log *slog.Logger, now func() time.Time) (*App, error) {
	return openApp(ctx, cfg, log, now, sharing)
}

// openApp is Open for a process of role r.
func openApp(ctx context.Context, cfg Config, log *slog.Logger, now func() time.Time, r role) (_ *App, err error) {
	if now == nil {
		now = time.Now
	}
	a := &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()
	if a.Templates, err = templates.Load(); err != nil {
		return nil, err
	}
	if a.emb, err = claimFolder(cfg, r, true); err != nil {
		return nil, err
	}
	if a.Store, err = openStoreIn(ctx, cfg, log, a.emb); err != nil {
		return nil, err
	}
	if a.rdb, err = openRedis(ctx, cfg, log, a.emb); err != nil {
		return nil, err
	}
	if a.emb != nil && a.emb.folder != nil && r != adminOnly {
		st := embedded.Stores{Channels: r == serving}
		if a.emb.ferret != nil {
			st.MongoURI = a.emb.ferret.URI()
		}
		if a.emb.redis != nil {
			st.RedisURL = a.emb.redis.URL()
		}
		if err = a.emb.folder.Publish(st); err != nil {
			return nil, err
		}
	}
	a.State = redisstate.New(a.rdb, redisstate.Options{Prefix: cfg.RedisPrefix, Now: now})
	// Ticket numbers come from Redis in one step each, checked against the records.
	a.Store.SetSequencer(a.State)
	a.Store.SetStamper(a.State)
	a.Registry = newRegistry()
	a.Metrics = bot.NewMetrics(a.Registry)
	intents, err := officeIntents(cfg)
	if err != nil {
		return nil, err
	}
	a.Engine = flows.New(flows.Deps{
		Intents:   intents,
		Directory: a.Store, Tickets: a.Store, Sessions: a.State, Binder: a.Store, Attempts: a.State,
		Fees: a.Store, FAQs: a.Store, Alarms: a.State, Broadcasts: a.Store, Pacing: &a.pacing, Workday: a.Store, Activities: a.Store, Dunning: a.Store,
		Templates: a.Templates,
		Linkers:   map[string]bot.Linker{}, AccountBinders: map[string]bot.AccountBinder{}, Metrics: a.Metrics, Now: now, Log: log,
		Config: flows.Config{SessionIdle: cfg.SessionIdle, FollowUpWait: cfg.FollowUpWait, Location: cfg.location(),
			ComplaintReply: cfg.ComplaintReply, CodeTTL: cfg.CodeTTL, QuietHours: cfg.Broadcast.QuietHours,
			NoticeNoApproval: !cfg.Broadcast.SupervisorConfirm, StatusEvery: cfg.Broadcast.StatusEvery,
			RollCallEscalate: cfg.Broadcast.RollCallEscalate,
			DueTimes:         cfg.dueTimes(), HazardDepartments: cfg.HazardDepartments,
			Events: cfg.Events.flows(), DunningSteps: cfg.Fees.steps()},
	})
	a.Outbox = outbox.New(a.State, outbox.Options{Log: log, Metrics: a.Metrics, Unreachable: a.unreachable,
		Delivered: a.Engine.BroadcastDelivered, Stale: a.Engine.ReminderStale})
	a.Mux = bot.NewMux(a.Engine, a.State, a.Outbox, log, a.Metrics)
	if a.Scheduler, err = newScheduler(cfg, log, a.Store, a.Engine, a.Outbox, now); err != nil {
		return nil, err
	}
	a.Engine.Timers = a.Scheduler
	return a, nil
}

// unreachable records on the chat that messages to it fail for good, for operators and so
// that later features can stop addressing it.
func (a *App) unreachable(ctx context.Context, channel, chat, reason string) {
	if err := a.Store.MarkChatUnreachable(ctx, channel, chat, reason); err != nil {
		a.log.Error("mark chat unreachable", "channel", channel, "chat_id", chat, "err", err)
	}
	// Only a group changes which buildings can be reached: a resident who blocked the bot
	// (hundreds at once after a WeChat logout) does not need the coverage looked at again.
	if c, err := a.Store.Chat(ctx, channel, chat); err == nil && c.Role == guanjia.ChatPrivate {
		return
	}
	a.coverageChanged(ctx, &a.coverage)
}

// Attach makes a channel part of the app: its messages are handled and its replies queued
// and paced by limits.
func (a *App) Attach(ch bot.Channel, limits outbox.Limits) {
	a.Mux.Add(ch)
	a.Outbox.Register(ch, limits)
	a.pacing.set(ch.Name(), limits)
	if l, ok := ch.(bot.Linker); ok {
		a.Engine.Linkers[ch.Name()] = l
	}
	if b, ok := ch.(bot.AccountBinder); ok {
		a.Engine.AccountBinders[ch.Name()] = b
	}
	a.channels = append(a.channels, ch)
}

// Channel is a channel together with its limits.
type Channel struct {
	bot.Channel
	Limits outbox.Limits
}

// Run runs the channels and the outbound queue until ctx is done or the channels' input
// ends; then it stops the queue, letting the sends under way finish.
func (a *App) Run(ctx context.Context, channels ...Channel) error {
	for _, ch := range channels {
		a.Attach(ch.Channel, ch.Limits)
	}
	outCtx, stopOut := context.WithCancel(context.WithoutCancel(ctx))
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		_ = a.Outbox.Run(outCtx)
	}()
	var httpDone chan error
	if a.cfg.HTTPAddr != "" {
		srv, err := a.serveHTTP(a.cfg.HTTPAddr)
		if err != nil {
			stopOut()
			<-outDone
			return err
		}
		httpDone = make(chan error, 1)
		go func() { httpDone <- srv.wait() }()
		defer func() {
			srv.shutdown()
			<-httpDone
		}()
	}
	stopJobs := a.startJobs(ctx)
	err := a.Mux.Run(ctx)
	stopJobs() // jobs may still queue messages: the queue stops after them
	stopOut()
	<-outDone
	return err
}

// Close stops everything Open started, saving the embedded Redis's data. It is safe on an
// app that opened only in part.
func (a *App) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if a.rdb != nil {
		errs = append(errs, a.rdb.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close(ctx))
	}
	errs = append(errs, a.emb.Close())
	return errors.Join(errs...)
}
