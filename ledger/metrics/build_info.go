package metrics

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// SetBuild registers the constant hookledger_build_info gauge, 1, with
// the version and VCS commit the binary was built from (the caller reads
// them, once, from its build information) and the running Go version.
// Empty values show as "unknown". It panics when called twice on one
// registry, like prometheus.MustRegister.
func (m *Metrics) SetBuild(version, commit string) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "hookledger_build_info",
		Help:        "Always 1; labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": orUnknown(version), "commit": orUnknown(commit), "goversion": runtime.Version()},
	})
	g.Set(1)
	m.reg.MustRegister(g)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
