package reconcile

import (
	"fmt"
	"strings"

	"github.com/robfig/cron/v3"
)

// Job is one scheduled job: a name and its cron spec.
type Job struct {
	Name string
	Spec string
}

// specParser accepts 5-field cron specs, 6-field ones with leading
// seconds, and descriptors (@daily, @every 2s).
var specParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour |
	cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a schedule such as HOOKLEDGER_SCHEDULE: "name=spec"
// pairs split by ";", blanks ignored, in the order given. The names are
// the caller's (cmd knows which jobs exist and what they do). A schedule
// with no pair, a pair without "=", an empty name, a repeated name or a
// spec that does not parse is an error naming the job.
func ParseSchedule(s string) ([]Job, error) {
	var jobs []Job
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(s, ";") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		name, spec, ok := strings.Cut(pair, "=")
		name, spec = strings.TrimSpace(name), strings.TrimSpace(spec)
		switch {
		case !ok || name == "":
			return nil, fmt.Errorf("parse schedule: %q is not name=spec", strings.TrimSpace(pair))
		case seen[name]:
			return nil, fmt.Errorf("parse schedule: job %q given twice", name)
		}
		if _, err := specParser.Parse(spec); err != nil {
			return nil, fmt.Errorf("parse schedule: job %q: %w", name, err)
		}
		seen[name] = true
		jobs = append(jobs, Job{Name: name, Spec: spec})
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("parse schedule: no jobs in %q", s)
	}
	return jobs, nil
}
