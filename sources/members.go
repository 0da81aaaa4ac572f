package sources

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/tidwall/gjson"
)

// Members returns the top-level members of the JSON object doc whose names
// are among names, matched exactly once the member name is unescaped, as
// JSON.parse, Python's json and encoding/json/v2 match them. doc must have
// passed CheckPayload.
//
// Readers disagree about the rest, so Members refuses it with ErrAmbiguous
// (400) rather than pick one reading: a member given twice (JSON.parse and
// Python take the last, others the first), and a member whose name differs
// from one of names only in case ("ID" beside or instead of "id"), which
// encoding/json and the Go clients built on it, stripe-go among them, read
// as that member. doc that is not an object is ErrNotObject.
func Members(doc []byte, names ...string) (map[string]gjson.Result, error) {
	root := gjson.ParseBytes(doc)
	if !root.IsObject() {
		return nil, ErrNotObject
	}
	out := make(map[string]gjson.Result, len(names))
	var err error
	root.ForEach(func(k, v gjson.Result) bool {
		name, ok := unquote(k.Raw)
		if !ok {
			return true // an unpaired surrogate: no name of ours, in any case
		}
		for _, want := range names {
			switch {
			case name == want:
				if _, dup := out[want]; dup {
					err = fmt.Errorf("member %q appears twice: %w", want, ErrAmbiguous)
					return false
				}
				out[want] = v
				return true
			case strings.EqualFold(name, want):
				err = fmt.Errorf("a member name differs from %q only in case: %w", want, ErrAmbiguous)
				return false
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// String returns the value of a string member, "" for an absent or null
// one. It returns ErrMemberType for another type and ErrBadString for a
// string with an unpaired surrogate escape ("\ud800"), which no UTF-8
// string can hold: decoders replace it with U+FFFD, so two different raw
// ids would read the same.
func String(v gjson.Result) (string, error) {
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		return "", nil
	case v.Type != gjson.String:
		return "", ErrMemberType
	}
	s, ok := unquote(v.Raw)
	if !ok {
		return "", ErrBadString
	}
	return s, nil
}

// Int returns the value of an integer member, 0 for an absent or null one,
// and ErrMemberType for anything else (a fraction, an exponent, a string,
// a number past int64).
func Int(v gjson.Result) (int64, error) {
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		return 0, nil
	case v.Type != gjson.Number:
		return 0, ErrMemberType
	}
	n, err := strconv.ParseInt(v.Raw, 10, 64)
	if err != nil {
		return 0, ErrMemberType
	}
	return n, nil
}

// unquote decodes the JSON string literal raw (quotes included, valid
// JSON and UTF-8) and reports false when it has an unpaired surrogate
// escape. The result never shares memory with raw.
func unquote(raw string) (string, bool) {
	body := raw[1 : len(raw)-1]
	if strings.IndexByte(body, '\\') < 0 {
		return strings.Clone(body), true
	}
	if !pairedSurrogates(body) {
		return "", false
	}
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return "", false
	}
	return s, true
}

// pairedSurrogates reports whether every \u escape of a surrogate in the
// JSON string body is a high one followed at once by a low one.
func pairedSurrogates(body string) bool {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if body[i] != 'u' {
			continue
		}
		r := hex4(body[i+1 : i+5])
		i += 4
		switch {
		case !utf16.IsSurrogate(r):
		case r >= 0xdc00: // a low surrogate first
			return false
		case i+6 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' &&
			utf16.DecodeRune(r, hex4(body[i+3:i+7])) != 0xfffd:
			i += 6
		default:
			return false
		}
	}
	return true
}

// hex4 decodes the four hex digits of a \u escape.
func hex4(s string) rune {
	n, _ := strconv.ParseUint(s, 16, 16)
	return rune(n)
}
