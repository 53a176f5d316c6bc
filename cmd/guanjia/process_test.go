package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asMainEnv, set to guanjia's arguments, makes the test binary run main (see TestMain).
const asMainEnv = "GUANJIA_TEST_AS_MAIN"

// guanjiaProcess is guanjia running as a separate process with its stdin and stdout piped.
type guanjiaProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	exited chan struct{} // closed once the process has exited
}

// startGuanjia runs guanjia with args and the environment pairs in a new process.
func startGuanjia(t *testing.T, env map[string]string, args ...string) *guanjiaProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), asMainEnv+"="+strings.Join(args, " "))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &guanjiaProcess{cmd: cmd, stdin: stdin, lines: make(chan string, 10000), exited: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// say types a console line and waits until guanjia shows a line containing want.
func (p *guanjiaProcess) say(t *testing.T, line, want string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("guanjia exited before showing %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-timeout:
			t.Fatalf("guanjia did not show %q within a minute", want)
		}
	}
}

// TestKill9OfGuanjiaLosesNothingAcknowledged kills guanjia on the embedded default after
// it answered: the next start goes on from the answered step.
func TestKill9OfGuanjiaLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	p := startGuanjia(t, map[string]string{"GUANJIA_DATA": dir}, "console")
	p.say(t, "张三: 报修", "[张三]")
	p.say(t, "张三: 1", "[张三] 请问是哪一类问题？")
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited

	out := runCmd(t, env(map[string]string{"GUANJIA_DATA": dir}), "张三: 2\n张三: 阳台窗户关不严\n张三: 跳过\n张三: 1\n张三: 1\n", "console")
	if !strings.HasPrefix(out, "[张三] 请简单描述一下问题") {
		t.Fatalf("after kill -9 the conversation did not go on from the answered step:\n%s", out)
	}
	if ticketNoRe.FindStringSubmatch(out) == nil {
		t.Fatalf("no ticket filed after the restart:\n%s", out)
	}
}

// TestSignalsStopTwoConsolesOnOneRedis: two consoles share one Redis and its reply queue;
// whatever one of them waits for, SIGTERM and SIGINT stop each promptly.
func TestSignalsStopTwoConsolesOnOneRedis(t *testing.T) {
	cfg := testConfig(t)
	e := map[string]string{
		"REDIS_URL": cfg.RedisURL, "GUANJIA_REDIS_PREFIX": cfg.RedisPrefix,
		"MONGODB_URI": cfg.MongoURI, "MONGODB_DATABASE": cfg.MongoDatabase,
	}
	runCmd(t, env(e), "", "seed")
	e["GUANJIA_DATA"] = t.TempDir()
	a := startGuanjia(t, e, "console")
	e["GUANJIA_DATA"] = t.TempDir()
	b := startGuanjia(t, e, "console")
	a.say(t, "张三: 你好", "[张三]")
	for range 5 {
		// b's replies may be taken and shown by a, leaving b waiting for them.
		_, _ = io.WriteString(b.stdin, "李四: 你好\n")
		_, _ = io.WriteString(a.stdin, "张三: 你好\n")
	}
	time.Sleep(2 * time.Second)
	for _, s := range []struct {
		p   *guanjiaProcess
		sig os.Signal
	}{{a, syscall.SIGTERM}, {b, os.Interrupt}} {
		start := time.Now()
		if err := s.p.cmd.Process.Signal(s.sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.p.exited:
		case <-time.After(stopGrace + 10*time.Second):
			t.Fatalf("guanjia still runs %v after %v", time.Since(start), s.sig)
		}
	}
}

// TestStuckStopEndsAfterGrace: once told to stop, guanjia exits after the grace period even
// when something it waits for never comes (a console waiting for a reply that another
// process on the same Redis took kept one running for 57 minutes).
func TestStuckStopEndsAfterGrace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	restored := make(chan struct{})
	exited := make(chan int, 1)
	var stderr bytes.Buffer
	go exitIfStuck(ctx, func() { close(restored) }, 200*time.Millisecond, &stderr, func(code int) { exited <- code })
	select {
	case <-exited:
		t.Fatal("exited before any signal")
	case <-time.After(300 * time.Millisecond):
	}
	start := time.Now()
	cancel()
	<-restored // a second signal now ends the process the default way
	select {
	case code := <-exited:
		if code == 0 || time.Since(start) < 200*time.Millisecond {
			t.Errorf("exit(%d) after %v; want a failure code after the grace", code, time.Since(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stuck stop never ended")
	}
	if !strings.Contains(stderr.String(), "强行退出") {
		t.Errorf("nothing said about the forced exit: %q", stderr.String())
	}
}
