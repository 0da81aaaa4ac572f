package stripe

import (
	"strings"
	"testing"
)

func TestRawPageUnmarshal(t *testing.T) {
	ev1 := "{ \"id\" : \"evt_1\",\n\t\"object\":\"event\", \"x\":\"a\\\"]b\\u00e9\", \"n\":[1, {}] }"
	ev2 := `{"id":"evt_2","object":"event"}`
	tests := []struct {
		name    string
		body    string
		more    bool
		data    []string
		wantErr bool
	}{
		{"events byte for byte", `{"object":"list","data":[ ` + ev1 + ` ,` + ev2 + `],"has_more":true,"url":"/v1/events"}`,
			true, []string{ev1, ev2}, false},
		{"empty page", `{"object":"list","data":[],"has_more":false}`, false, nil, false},
		{"last data wins", `{"object":"list","data":[` + ev1 + `],"data":[` + ev2 + `]}`, false, []string{ev2}, false},
		{"not json", `{"object":"list","data":[}`, false, nil, true},
		{"not an object", `[]`, false, nil, true},
		{"data not an array", `{"object":"list","data":"x"}`, false, nil, true},
		{"data null", `{"object":"list","data":null}`, false, nil, true},
		{"has_more not a bool", `{"object":"list","data":[],"has_more":1}`, false, nil, true},
		{"object not a string", `{"object":5,"data":[]}`, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p rawPage
			err := p.UnmarshalJSON([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("UnmarshalJSON() error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			got := make([]string, len(p.Data))
			for i, d := range p.Data {
				got[i] = string(d)
			}
			if p.Object != "list" || p.HasMore != tt.more || strings.Join(got, "|") != strings.Join(tt.data, "|") || len(got) != len(tt.data) {
				t.Errorf("UnmarshalJSON() = %q more %v data %q, want list more %v data %q", p.Object, p.HasMore, got, tt.more, tt.data)
			}
		})
	}
}

// TestRawPageCopiesEvents checks that each event owns its bytes: editing
// the response body afterwards changes nothing.
func TestRawPageCopiesEvents(t *testing.T) {
	body := []byte(`{"object":"list","data":[{"id":"evt_1"}]}`)
	var p rawPage
	if err := p.UnmarshalJSON(body); err != nil {
		t.Fatal(err)
	}
	clear(body)
	if len(p.Data) != 1 || string(p.Data[0]) != `{"id":"evt_1"}` {
		t.Errorf("Data = %q after the body was cleared, want the event's own copy", p.Data)
	}
}
