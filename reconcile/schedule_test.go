package reconcile_test

import (
	"reflect"
	"testing"

	"github.com/hookledger/hookledger/reconcile"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		in      string
		want    []reconcile.Job
		wantErr bool
	}{
		{"", nil, true}, // the default schedule is cmd's
		{"  ", nil, true},
		{"reconcile=@every 15m;deep=@daily;alerts=@every 1m", []reconcile.Job{{"reconcile", "@every 15m"}, {"deep", "@daily"}, {"alerts", "@every 1m"}}, false},
		{"reconcile=@every 2s", []reconcile.Job{{"reconcile", "@every 2s"}}, false},
		{" reconcile = */5 * * * * ; deep=0 3 * * *;", []reconcile.Job{{"reconcile", "*/5 * * * *"}, {"deep", "0 3 * * *"}}, false},
		{"alerts=*/10 * * * * *", []reconcile.Job{{"alerts", "*/10 * * * * *"}}, false}, // seconds field
		{"reconcile=@hourly;;alerts=@every 1m", []reconcile.Job{{"reconcile", "@hourly"}, {"alerts", "@every 1m"}}, false},
		{"reconcile", nil, true},
		{"=@daily", nil, true},
		{"reconcile=@daily;reconcile=@hourly", nil, true},
		{"reconcile=every 5m", nil, true},
		{"reconcile=* * *", nil, true},
		{"reconcile=", nil, true},
		{";", nil, true},
	}
	for _, tt := range tests {
		got, err := reconcile.ParseSchedule(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSchedule(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
