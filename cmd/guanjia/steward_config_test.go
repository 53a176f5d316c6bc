package main

import (
	"strings"
	"testing"
)

// Due times that make no sense are refused at start, naming what is wrong.
func TestConfigRefusesNonsenseDueTimes(t *testing.T) {
	cases := map[string]struct{ env, want string }{
		"zero":           {"GUANJIA_SLA_ACCEPT=0s", "sla accept must be more than 0"},
		"negative":       {"GUANJIA_SLA_RESOLVE=-4h", "sla resolve must be more than 0"},
		"urgent longer":  {"GUANJIA_SLA_ACCEPT_URGENT=1h", "accept_urgent (1h0m0s) must not be longer than accept"},
		"no handover":    {"GUANJIA_HANDOVER_CONFIRM=0m", "sla handover must be more than 0"},
		"no remind":      {"GUANJIA_SLA_REMIND_BEFORE=-1m", "sla remind_before must be more than 0"},
		"not a duration": {"GUANJIA_SLA_ACCEPT=soon", "GUANJIA_SLA_ACCEPT"},
	}
	for name, c := range cases {
		k, v, _ := strings.Cut(c.env, "=")
		_, err := loadConfig(func(key string) string {
			if key == k {
				return v
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
	cfg, err := loadConfig(func(key string) string {
		if key == "GUANJIA_SLA_ACCEPT" {
			return "20m"
		}
		return ""
	})
	if err != nil || cfg.dueTimes().Accept.Minutes() != 20 || cfg.dueTimes().Reply != cfg.ComplaintReply {
		t.Fatalf("20m accept: %v, %+v", err, cfg.dueTimes())
	}
}
