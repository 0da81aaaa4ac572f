package admin

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"time"
)

// pages are the page templates; each is parsed with layout.html.
var pages = []string{"overview", "events", "event", "alerts", "signin", "notfound"}

// parseTemplates parses every page with the layout and the helpers below.
func parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"when":     when,
		"rfc3339":  rfc3339,
		"eventURL": eventURL,
		"query":    url.QueryEscape,
		"ms":       func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) },
		"ago":      func(now, t time.Time) string { return age(now.Sub(t).Seconds()) },
		"age":      age,
		"isFalse":  func(b *bool) bool { return b != nil && !*b },
		"num":      func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		t, err := template.New(p).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", p, err)
		}
		out[p] = t
	}
	return out, nil
}

// when renders t for people, "never" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// rfc3339 renders t as RFC 3339, "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
