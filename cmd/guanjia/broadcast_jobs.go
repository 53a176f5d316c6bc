package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/flows"
)

// sendBroadcast fires a scheduled announcement's timer: each chat's message is queued once,
// under a key of the broadcast and the chat, so a timer fired again after a crash (or on a
// second instance) sends no chat anything twice and goes on where it stopped.
func (e *jobEnv) sendBroadcast(ctx context.Context, t guanjia.Timer) error {
	replies, err := e.engine.DueBroadcast(ctx, t.Data["community"], t.Key)
	if err != nil {
		return err
	}
	return e.sendEach(ctx, "broadcast/"+t.Data["community"]+"/"+t.Key, replies)
}

// sendEach queues each reply once under prefix, its place and its chat.
func (e *jobEnv) sendEach(ctx context.Context, prefix string, replies []bot.Reply) error {
	for i, r := range replies {
		key := fmt.Sprintf("%s/%d/%s:%s", prefix, i, r.Channel, r.ChatID)
		if _, err := e.send(ctx, key, []bot.Reply{r}); err != nil {
			return err
		}
	}
	return nil
}

// emergencyRound tells the steward an open emergency's status, reminds the roll call, and
// sets the next round while it is open. Key "E…/n".
func (e *jobEnv) emergencyRound(ctx context.Context, t guanjia.Timer) error {
	no, round, _ := strings.Cut(t.Key, "/")
	n, _ := strconv.Atoi(round)
	replies, open, err := e.engine.EmergencyRound(ctx, t.Data["community"], no)
	if err != nil {
		return err
	}
	if err := e.sendEach(ctx, "emergency-round/"+t.Data["community"]+"/"+t.Key, replies); err != nil {
		return err
	}
	if !open {
		return nil
	}
	_, err = e.sched.AddTimer(ctx, flows.TimerEmergencyRound, fmt.Sprintf("%s/%d", no, n+1), t.Due.Add(e.cfg.Broadcast.StatusEvery), t.Data)
	return err
}

// escalateRollCall tells the supervisors of roll-call residents still unchecked.
func (e *jobEnv) escalateRollCall(ctx context.Context, t guanjia.Timer) error {
	replies, err := e.engine.EscalateRollCall(ctx, t.Data["community"], t.Key)
	if err != nil {
		return err
	}
	return e.sendEach(ctx, "rollcall-escalate/"+t.Data["community"]+"/"+t.Key, replies)
}
