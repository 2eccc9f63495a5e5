package remediation

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/dirwatch"
	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/store"
)

// Options configure a Manager. Zero values take the defaults noted.
type Options struct {
	RulesPath     string       // default config.RulesPath(DataDir)
	DataDir       string       // runner.lock lives here; required
	Notifier      Notifier     // may be nil
	OnChange      func(Change) // may be nil; called without locks held
	Now           func() time.Time
	MaxConcurrent int           // runs at once; default 2
	Grace         time.Duration // SIGTERM to SIGKILL; default 5s
	OutputCap     int           // bytes of output kept per run; default 1 MiB
	User          func() string // OS user recorded as approver; default os/user
	Logger        *slog.Logger
}

// Manager owns rules, proposals and runs. Its methods are safe for
// concurrent use.
type Manager struct {
	st  Store
	o   Options
	log *slog.Logger

	flushEvery time.Duration // how often running output is written to the DB
	drain      time.Duration // how long output is read after the program exits

	mu        sync.Mutex
	rules     []Rule
	rulesErr  error
	rulesSeen fileStamp
	active    map[int64]*execution
	started   bool
	closed    bool
	fprint    string // last seen database fingerprint, for foreign changes
	blocked   []Blocked

	lockMu sync.Mutex
	lock   *os.File // runner.lock while this manager is the runner

	watch    *dirwatch.Watcher // the rules and kick files, while started
	kick     chan struct{}
	stop     chan struct{}
	loopDone chan struct{}
	execs    sync.WaitGroup

	launched atomic.Int64 // runs this manager has executed, for tests
}

// NewManager loads the rules (writing the commented example file first if
// there is none). An invalid rules file does not stop it: RulesError reports
// it and no rules are in force until it is fixed.
func NewManager(st Store, o Options) (*Manager, error) {
	if st == nil {
		return nil, errors.New("remediation: no store")
	}
	if o.DataDir == "" {
		return nil, errors.New("remediation: no data directory")
	}
	if o.RulesPath == "" {
		o.RulesPath = config.RulesPath(o.DataDir)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.MaxConcurrent = cmp.Or(max(o.MaxConcurrent, 0), 2)
	o.Grace = cmp.Or(max(o.Grace, 0), 5*time.Second)
	o.OutputCap = cmp.Or(max(o.OutputCap, 0), 1<<20)
	if o.User == nil {
		o.User = osUser
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	m := &Manager{
		st: st, o: o, log: o.Logger.With("component", "remediation"),
		flushEvery: time.Second, drain: 2 * time.Second,
		active:   map[int64]*execution{},
		kick:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("remediation: create data directory: %w", err)
	}
	if err := WriteExample(o.RulesPath); err != nil {
		return nil, fmt.Errorf("remediation: %w", err)
	}
	if err := m.ReloadRules(); err != nil {
		m.log.Warn("rules file invalid; no rules in force", "path", o.RulesPath, "err", err)
	}
	return m, nil
}

var (
	userOnce sync.Once
	userName string
)

// osUser is the login name of the user running ipfwatch, recorded as the
// approver.
func osUser() string {
	userOnce.Do(func() {
		if u, err := user.Current(); err == nil && u.Username != "" {
			userName = u.Username
			return
		}
		for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
			if v := os.Getenv(k); v != "" {
				userName = v
				return
			}
		}
		userName = "unknown"
	})
	return userName
}

func (m *Manager) now() time.Time { return m.o.Now() }

func (m *Manager) emit(c Change) {
	if m.o.OnChange != nil {
		m.o.OnChange(c)
	}
}

func (m *Manager) post(n notify.Notification) {
	if m.o.Notifier != nil {
		m.o.Notifier.Post(n)
	}
}

// SetMaxConcurrent changes how many runs may go at once (Settings applies
// it without a restart). Runs already going are not stopped when it
// shrinks; queued ones wait for a free slot. n < 1 means 1.
func (m *Manager) SetMaxConcurrent(n int) {
	if n < 1 {
		n = 1
	}
	m.mu.Lock()
	m.o.MaxConcurrent = n
	m.mu.Unlock()
	m.Wake()
}

// MaxConcurrent is how many runs may go at once.
func (m *Manager) MaxConcurrent() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.o.MaxConcurrent
}

// Wake makes the loop look for work now: queued runs, a free runner lock,
// a changed rules file, changes other processes made.
func (m *Manager) Wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// kickOthers tells other processes sharing the data directory that the
// remediation tables or the runner lock changed: their watch of the kick
// file wakes their loop. Failing to is logged, not fatal: the change is in
// the database, and a restart or the next kick finds it.
func (m *Manager) kickOthers() {
	// A write, not a touch: a file's times changing is not a content event
	// on every OS.
	path := config.KickPath(m.o.DataDir)
	stamp := strconv.FormatInt(time.Now().UnixNano(), 10) + "\n"
	if err := os.WriteFile(path, []byte(stamp), 0o600); err != nil {
		m.log.Warn("cannot tell other ipfwatch processes of a change", "file", path, "err", err)
	}
}

// Close stops the loop and releases runner.lock. A run still executing in
// this process (Quit during a run) has its process tree stopped (SIGTERM,
// SIGKILL after the grace period) and is recorded as interrupted, with the
// output it produced; Close waits for that, so it may take up to Grace. It
// does not close the store.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	started := m.started
	xs := make([]*execution, 0, len(m.active))
	for _, x := range m.active {
		xs = append(xs, x)
	}
	m.mu.Unlock()
	close(m.stop)
	if started {
		<-m.loopDone
		m.watch.Close()
	}
	for _, x := range xs {
		x.stop(store.StateInterrupted)
	}
	m.execs.Wait()
	return m.releaseLock()
}
