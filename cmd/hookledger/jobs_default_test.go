package main

import (
	"reflect"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/reconcile"
)

// TestDefaultSchedule pins the schedule serve runs when HOOKLEDGER_SCHEDULE
// is empty (README documents it): the scheduler itself knows no job names.
func TestDefaultSchedule(t *testing.T) {
	got, err := reconcile.ParseSchedule(app.DefaultSchedule)
	want := []reconcile.Job{{Name: "reconcile", Spec: "@every 15m"}, {Name: "deep", Spec: "@daily"}, {Name: "alerts", Spec: "@every 1m"}, {Name: "prune", Spec: "@hourly"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseSchedule(defaultSchedule) = %v, %v; want %v", got, err, want)
	}
}
