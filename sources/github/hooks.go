package github

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Hook is one GitHub webhook whose deliveries are reconciled: a repository
// hook (Owner and Repo set) or an organization hook (Org set).
type Hook struct {
	Owner string // repository owner, "" for an org hook
	Repo  string // repository name, "" for an org hook
	Org   string // organization, "" for a repository hook
	ID    int64  // the hook id
}

// String returns the hook as GITHUB_HOOKS spells it: "owner/repo:ID" or
// "org:NAME:ID". It is also the Account of listed and fetched events.
func (h Hook) String() string {
	id := strconv.FormatInt(h.ID, 10)
	if h.Org != "" {
		return "org:" + h.Org + ":" + id
	}
	return h.Owner + "/" + h.Repo + ":" + id
}

// ParseHooks parses GITHUB_HOOKS: comma-separated "owner/repo:HOOK_ID" and
// "org:NAME:HOOK_ID" entries, spaces around entries ignored. It returns nil
// for an empty string, and an error naming the first bad or repeated entry.
func ParseHooks(s string) ([]Hook, error) {
	var hooks []Hook
	seen := make(map[Hook]bool)
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		h, err := ParseHook(part)
		if err != nil {
			return nil, err
		}
		if seen[h] {
			return nil, fmt.Errorf("parse hooks: %q listed twice", part)
		}
		seen[h] = true
		hooks = append(hooks, h)
	}
	return hooks, nil
}

// ParseHook parses one "owner/repo:HOOK_ID" or "org:NAME:HOOK_ID" entry.
func ParseHook(s string) (Hook, error) {
	h, err := parseHook(s)
	if err != nil {
		return Hook{}, fmt.Errorf("parse hook %q: %w (want owner/repo:ID or org:NAME:ID)", s, err)
	}
	return h, nil
}

func parseHook(s string) (Hook, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return Hook{}, errors.New("no hook id")
	}
	id, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || id <= 0 {
		return Hook{}, errors.New("hook id is not a positive number")
	}
	target := s[:i]
	if org, ok := strings.CutPrefix(target, "org:"); ok {
		if !validName(org) {
			return Hook{}, errors.New("bad organization name")
		}
		return Hook{Org: org, ID: id}, nil
	}
	owner, repo, ok := strings.Cut(target, "/")
	if !ok || !validName(owner) || !validName(repo) {
		return Hook{}, errors.New("bad owner/repo")
	}
	return Hook{Owner: owner, Repo: repo, ID: id}, nil
}

// validName reports whether s can be a GitHub owner, org or repo name: not
// empty, and no separator, space, or character that would change a URL path.
func validName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	return !strings.ContainsAny(s, "/:, \t\r\n?#%\\")
}
