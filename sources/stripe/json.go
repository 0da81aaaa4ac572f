package stripe

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// errSyntax reports a payload that is not valid JSON; callers wrap it.
var errSyntax = errors.New("invalid JSON")

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// validJSON reports whether b is valid JSON, exactly as json.Valid does.
// gjson's validator is several times faster but recursive and unbounded:
// deep enough nesting overflows the stack and kills the process. Input
// that cannot nest past encoding/json's limit (no more than maxDepth
// brackets and braces in all) goes to gjson, the rest to json.Valid, which
// also applies that limit.
func validJSON(b []byte) bool {
	if bytes.Count(b, []byte{'{'})+bytes.Count(b, []byte{'['}) <= maxDepth {
		return gjson.ValidBytes(b)
	}
	return json.Valid(b)
}

// setString stores a string value in *dst (null leaves it as is, as in
// encoding/json) and reports false for anything it cannot decode exactly
// as encoding/json would: other types, escapes, invalid UTF-8.
func setString(dst *string, v gjson.Result) bool {
	switch {
	case v.Type == gjson.Null:
		return true
	case v.Type != gjson.String || strings.IndexByte(v.Raw, '\\') >= 0 || !utf8.ValidString(v.Str):
		return false
	}
	*dst = strings.Clone(v.Str) // v.Str points into the whole payload
	return true
}

// setBool stores true or false in *dst (null leaves it as is) and reports
// false for other types.
func setBool(dst *bool, v gjson.Result) bool {
	switch v.Type {
	case gjson.Null:
		return true
	case gjson.True, gjson.False:
		*dst = v.Type == gjson.True
		return true
	}
	return false
}
