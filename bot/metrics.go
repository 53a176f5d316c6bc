package bot

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the chat core's Prometheus counters. A nil *Metrics records nothing, so tests
// and tools need not set one up.
type Metrics struct {
	in         *prometheus.CounterVec
	out        *prometheus.CounterVec
	sendErrors *prometheus.CounterVec
	queueDepth *prometheus.GaugeVec
	flows      *prometheus.CounterVec
}

// NewMetrics registers the counters with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		in: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "guanjia_messages_in_total",
			Help: "Inbound messages handled, by channel."}, []string{"channel"}),
		out: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "guanjia_messages_out_total",
			Help: "Outbound messages the platform accepted, by channel."}, []string{"channel"}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "guanjia_send_errors_total",
			Help: "Failed sends, by channel and kind (rate_limited, transient, permanent)."}, []string{"channel", "kind"}),
		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "guanjia_outbound_queue_depth",
			Help: "Messages waiting or being sent, by channel."}, []string{"channel"}),
		flows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "guanjia_flow_completions_total",
			Help: "Conversations completed, by flow."}, []string{"flow"}),
	}
	reg.MustRegister(m.in, m.out, m.sendErrors, m.queueDepth, m.flows)
	return m
}

func (m *Metrics) received(channel string) {
	if m != nil {
		m.in.WithLabelValues(channel).Inc()
	}
}

// Sent counts a message the platform accepted.
func (m *Metrics) Sent(channel string) {
	if m != nil {
		m.out.WithLabelValues(channel).Inc()
	}
}

// SendFailed counts a failed send of the given kind.
func (m *Metrics) SendFailed(channel string, kind SendErrorKind) {
	if m != nil {
		m.sendErrors.WithLabelValues(channel, kind.String()).Inc()
	}
}

// QueueDepth records how many messages wait for a channel.
func (m *Metrics) QueueDepth(channel string, n int64) {
	if m != nil {
		m.queueDepth.WithLabelValues(channel).Set(float64(n))
	}
}

// FlowCompleted counts a conversation that reached its end (a record saved).
func (m *Metrics) FlowCompleted(flow string) {
	if m != nil {
		m.flows.WithLabelValues(flow).Inc()
	}
}
