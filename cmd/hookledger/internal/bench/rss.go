package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// rssInfo is the bench process's memory during the receiver phase. The
// server runs in the bench process, so this is the whole process: load
// generator, HTTP server, receiver, ledger and the pre-signed pool.
type rssInfo struct {
	PeakMB    float64 `json:"peak_mb"`    // VmHWM at the end of the receiver phase
	CurrentMB float64 `json:"current_mb"` // VmRSS at the end of the receiver phase
	PoolMB    float64 `json:"pool_mb"`    // of which the pre-signed pool's signatures and ack marks
	// PeakSince says what the peak covers: "receiver phase" when the
	// kernel let the bench reset it, else "process start".
	PeakSince string `json:"peak_since"`
	Scope     string `json:"scope"`
}

// resetPeakRSS asks the kernel to reset this process's VmHWM (writing 5 to
// /proc/self/clear_refs, Linux 4.0+) and reports whether it did.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// readRSS reads VmHWM and VmRSS from /proc/self/status; nil when they
// cannot be read (not Linux).
func readRSS(reset bool, pool *eventPool) *rssInfo {
	hwm, ok1 := procKB("/proc/self/status", "VmHWM")
	rss, ok2 := procKB("/proc/self/status", "VmRSS")
	if !ok1 || !ok2 {
		return nil
	}
	info := &rssInfo{
		PeakMB:    float64(hwm) / 1024,
		CurrentMB: float64(rss) / 1024,
		PoolMB:    float64(pool.Len()*(32+1)) / (1 << 20),
		PeakSince: "process start",
		Scope:     "whole bench process: load generator, HTTP server, receiver, ledger, pre-signed pool",
	}
	if reset {
		info.PeakSince = "receiver phase"
	}
	return info
}

// procKB returns the value in kB of a "Key:   123 kB" line of a procfs file.
func procKB(path, key string) (int64, bool) {
	v, ok := procField(path, key)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	return n, err == nil
}

// procField returns the trimmed value of the first "key: value" line of a
// procfs file.
func procField(path, key string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
