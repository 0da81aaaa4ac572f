package stripe

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// errSyntax is the scanner's only error; callers wrap it.
var errSyntax = errors.New("invalid JSON")

// maxDepth bounds nesting as encoding/json does.
const maxDepth = 10000

// scanner is a small validating JSON reader. It accepts exactly what
// encoding/json's Valid accepts, but lets the caller look at the top-level
// members it wants and skip the rest in one pass, without building values:
// the envelope of a 2.6 KB event is a handful of fields.
type scanner struct {
	b     []byte
	i     int
	depth int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return errSyntax
	}
	s.i++
	return nil
}

// end checks that only whitespace is left.
func (s *scanner) end() error {
	if s.peek() != 0 || s.i != len(s.b) {
		return errSyntax
	}
	return nil
}

// value skips one JSON value, validating it.
func (s *scanner) value() error {
	switch c := s.peek(); {
	case c == '{':
		return s.object(func([]byte) error { return s.value() })
	case c == '[':
		return s.array(s.value)
	case c == '"':
		_, _, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, err := s.number()
		return err
	}
	return errSyntax
}

// object reads {…}, calling member for each key with the scanner on the
// member's value, which member must consume.
func (s *scanner) object(member func(key []byte) error) error {
	if err := s.enter('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		if s.peek() != '"' {
			return errSyntax
		}
		key, _, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return nil
		default:
			return errSyntax
		}
	}
}

// array reads […], calling elem with the scanner on each element.
func (s *scanner) array(elem func() error) error {
	if err := s.enter('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		s.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return nil
		default:
			return errSyntax
		}
	}
}

func (s *scanner) enter(open byte) error {
	if err := s.expect(open); err != nil {
		return err
	}
	if s.depth++; s.depth > maxDepth {
		return errSyntax
	}
	return nil
}

// str reads a string and returns its raw contents (escapes undecoded) and
// whether it holds any escape.
func (s *scanner) str() (raw []byte, escaped bool, err error) {
	if err := s.expect('"'); err != nil {
		return nil, false, err
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], escaped, nil
		case c < 0x20:
			return nil, false, errSyntax
		case c == '\\':
			escaped = true
			if err := s.escape(); err != nil {
				return nil, false, err
			}
		default:
			s.i++
		}
	}
	return nil, false, errSyntax
}

func (s *scanner) escape() error {
	s.i++ // the backslash
	if s.i >= len(s.b) {
		return errSyntax
	}
	switch s.b[s.i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.i++
		return nil
	case 'u':
		if s.i+4 >= len(s.b) {
			return errSyntax
		}
		for _, h := range s.b[s.i+1 : s.i+5] {
			if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
				return errSyntax
			}
		}
		s.i += 5
		return nil
	}
	return errSyntax
}

// number reads a number per the JSON grammar and returns its text.
func (s *scanner) number() ([]byte, error) {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.digits() == 0:
		return nil, errSyntax
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return nil, errSyntax
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return nil, errSyntax
		}
	}
	return s.b[start:s.i], nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return errSyntax
	}
	s.i += len(lit)
	return nil
}

// stringField reads a string member into *dst, decoding escapes; null
// leaves *dst as is, as encoding/json does. Other types are errors.
func (s *scanner) stringField(dst *string) error {
	if s.peek() == 'n' {
		return s.literal("null")
	}
	start := s.i
	raw, escaped, err := s.str()
	if err != nil {
		return err
	}
	if !escaped && utf8.Valid(raw) {
		*dst = string(raw)
		return nil
	}
	// Rare: let encoding/json apply its exact rules (surrogates, U+FFFD).
	if err := json.Unmarshal(s.b[start:s.i], dst); err != nil {
		return errSyntax
	}
	return nil
}

// int64Field reads an integer member into *dst; null leaves it as is.
func (s *scanner) int64Field(dst *int64) error {
	if s.peek() == 'n' {
		return s.literal("null")
	}
	text, err := s.number()
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(string(text), 10, 64)
	if err != nil {
		return errSyntax
	}
	*dst = n
	return nil
}

// boolField reads true or false into *dst; null leaves it as is.
func (s *scanner) boolField(dst *bool) error {
	switch s.peek() {
	case 't':
		*dst = true
		return s.literal("true")
	case 'f':
		*dst = false
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return errSyntax
}

// peekIndex skips whitespace and returns the offset of the next value.
func (s *scanner) peekIndex() int {
	s.ws()
	return s.i
}
