package embedded

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Files in a data folder that say who holds it.
const (
	// LockFile is locked (flock) by the process that holds the folder and names its pid.
	// The lock goes with the process, also on kill -9.
	LockFile = "guanjia.lock"
	// StoresFile names the embedded stores the holder serves on loopback, so that other
	// processes on the folder use them rather than start their own.
	StoresFile = "stores.json"
)

// Stores are the embedded stores a process serves from its data folder; an empty URL is a
// store it does not serve.
type Stores struct {
	PID      int    `json:"pid"`
	RedisURL string `json:"redis_url,omitempty"`
	MongoURI string `json:"mongodb_uri,omitempty"`
	// Channels is set by a process that runs channels (guanjia itself) rather than a
	// command that is soon done.
	Channels bool `json:"channels,omitempty"`
}

// HeldError is a data folder held by another process that serves no stores to share.
type HeldError struct {
	Dir string
	PID int
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("data folder %s is held by process %d", e.Dir, e.PID)
}

// Folder is this process's hold on a data folder: while it is open, no other process starts
// embedded stores there.
type Folder struct {
	dir string
	f   *os.File
}

// ClaimFolder takes dir (created if needed) for this process. When another process holds
// it, ClaimFolder waits up to wait for that process either to let go (then it takes the
// folder) or to publish its stores (then it returns them, and no Folder); after wait it
// returns a *HeldError naming the holder.
func ClaimFolder(dir string, wait time.Duration) (*Folder, *Stores, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("embedded: data folder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded: data folder lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, nil, fmt.Errorf("embedded: data folder lock: %w", err)
		}
		holder := holderPID(f)
		if st, ok := readStores(dir); ok && st.PID == holder && holder != 0 {
			f.Close()
			return nil, &st, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, nil, &HeldError{Dir: dir, PID: holder}
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A stores file left by a killed holder names servers that are gone.
	_ = os.Remove(filepath.Join(dir, StoresFile))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Folder{dir: dir, f: f}, nil, nil
}

// holderPID reads the pid the holder wrote in the lock file; 0 if there is none yet.
func holderPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	return pid
}

// readStores reads the stores the holder published; false when there are none to read.
func readStores(dir string) (Stores, bool) {
	b, err := os.ReadFile(filepath.Join(dir, StoresFile))
	if err != nil {
		return Stores{}, false
	}
	var st Stores
	if json.Unmarshal(b, &st) != nil {
		return Stores{}, false
	}
	return st, true
}

// Publish writes st, as this process's, for other processes on the folder to use. The
// file is readable by the owner only: the Redis URL carries its password.
func (f *Folder) Publish(st Stores) error {
	st.PID = os.Getpid()
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(f.dir, StoresFile), b)
}

// Close withdraws the published stores and lets the folder go. It is safe on nil.
func (f *Folder) Close() error {
	if f == nil || f.f == nil {
		return nil
	}
	_ = os.Remove(filepath.Join(f.dir, StoresFile))
	err := f.f.Close() // closing the file releases the lock
	f.f = nil
	return err
}
