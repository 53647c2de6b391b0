package main

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// scanOrder reads a POST /orders body in one pass without allocating: it checks the whole text
// against JSON's grammar (RFC 8259, as encoding/json's Valid does, with its nesting limit) and
// picks out the members the answer needs. It decides exactly as the stock tier's
// json.Unmarshal into pointer-field structs followed by its checks does:
//   - any syntax error, wherever it is, is orderMalformed (Unmarshal checks the whole text
//     before it decodes anything);
//   - a member of the wrong JSON type (a string customer_id, 7.0, 7e0, an int64 overflow, an
//     object for items, a non-object item) is orderInvalid, as Unmarshal's UnmarshalTypeError;
//   - member names match exactly or, failing that, ignoring case the way encoding/json folds
//     them (so "CUSTOMER_ID" and "cuſtomer_id" are customer_id); other members are skipped;
//   - null leaves a member absent; a repeated member counts as its last occurrence;
//   - then the checks of contract/README.md's rule 5.
//
// The body must be valid UTF-8 (the caller checks it first, as the stock tier does).
// One difference is left unspecified, as in the contract: a repeated "items" member starts a
// fresh list, where encoding/json decodes the second array into the first one's elements.
func scanOrder(data []byte) (orderSummary, orderVerdict) {
	s := orderScanner{data: data}
	s.skipSpace()
	if !s.topValue() {
		return orderSummary{}, orderMalformed
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return orderSummary{}, orderMalformed
	}
	return s.verdict()
}

// orderSummary is what the answer to a valid order needs.
type orderSummary struct {
	customerID int64
	itemCount  int
	totalCents int64
}

type orderVerdict int

const (
	orderValid     orderVerdict = iota
	orderMalformed              // 400 malformed JSON
	orderInvalid                // 422 invalid order
)

// maxNestingDepth is encoding/json's limit on nested arrays and objects: deeper is a syntax
// error.
const maxNestingDepth = 10000

// The members scanOrder knows, in an order object and in an item object.
type member int

const (
	otherMember member = iota
	customerIDMember
	itemsMember
	noteMember
	skuMember
	qtyMember
	priceCentsMember
)

type orderScanner struct {
	data  []byte
	pos   int
	depth int // arrays and objects open
	// typeError: a member had the wrong JSON type (sticky, as Unmarshal's first saved error).
	typeError bool
	// repeated: a known member occurred twice in one object (the fuzz test skips those).
	repeated bool

	customerSet bool
	customerID  int64
	itemsSet    bool // items is an array (not absent, not null)
	itemCount   int
	itemsValid  bool // every item so far passes rule 5
	totalCents  int64
	noteSet     bool
	noteBytes   int
}

func (s *orderScanner) verdict() (orderSummary, orderVerdict) {
	switch {
	case s.typeError,
		!s.customerSet || s.customerID < 0,
		!s.itemsSet || s.itemCount < minItems || s.itemCount > maxItems || !s.itemsValid,
		s.noteSet && s.noteBytes > maxNoteBytes:
		return orderSummary{}, orderInvalid
	}
	return orderSummary{customerID: s.customerID, itemCount: s.itemCount, totalCents: s.totalCents}, orderValid
}

func (s *orderScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek is the next byte, or 0 at the end.
func (s *orderScanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// topValue reads the document: an order object, or null (an order with nothing set), or
// anything else, which is a type error.
func (s *orderScanner) topValue() bool {
	switch s.peek() {
	case '{':
		return s.orderObject()
	case 'n':
		return s.literal("null")
	default:
		s.typeError = true
		return s.skipValue()
	}
}

// orderObject reads the top-level object, positioned at its '{'.
func (s *orderScanner) orderObject() bool {
	var seen [priceCentsMember + 1]bool
	return s.object(func(m member) bool {
		if m != customerIDMember && m != itemsMember && m != noteMember {
			return s.skipValue()
		}
		s.repeated = s.repeated || seen[m]
		seen[m] = true
		switch m {
		case customerIDMember:
			return s.intMember(&s.customerSet, &s.customerID)
		case itemsMember:
			return s.itemsValue()
		default:
			return s.stringMember(&s.noteSet, &s.noteBytes)
		}
	}, orderMembers)
}

// itemsValue reads the value of "items".
func (s *orderScanner) itemsValue() bool {
	switch s.peek() {
	case 'n':
		s.itemsSet, s.itemCount = false, 0
		return s.literal("null")
	case '[':
	default:
		s.typeError = true
		return s.skipValue()
	}
	s.itemsSet, s.itemCount, s.itemsValid, s.totalCents = true, 0, true, 0
	if !s.open() {
		return false
	}
	s.skipSpace()
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return true
	}
	for {
		s.itemCount++
		if !s.itemValue() {
			return false
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.pos++
			s.skipSpace()
		case ']':
			s.pos++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// itemValue reads one element of items: an object, or null (an item with nothing set).
func (s *orderScanner) itemValue() bool {
	var skuSet, qtySet, priceSet bool
	var skuBytes int
	var qty, price int64
	switch s.peek() {
	case '{':
		var seen [priceCentsMember + 1]bool
		ok := s.object(func(m member) bool {
			if m != skuMember && m != qtyMember && m != priceCentsMember {
				return s.skipValue()
			}
			s.repeated = s.repeated || seen[m]
			seen[m] = true
			switch m {
			case skuMember:
				return s.stringMember(&skuSet, &skuBytes)
			case qtyMember:
				return s.intMember(&qtySet, &qty)
			default:
				return s.intMember(&priceSet, &price)
			}
		}, itemMembers)
		if !ok {
			return false
		}
	case 'n':
		if !s.literal("null") {
			return false
		}
	default:
		s.typeError = true
		return s.skipValue()
	}
	if skuSet && skuBytes >= 1 && skuBytes <= maxSKUBytes && qtySet && qty >= 1 && qty <= maxQty &&
		priceSet && price >= 0 && price <= maxPriceCents {
		if s.itemCount <= maxItems {
			s.totalCents += qty * price // at most 100 * 1000 * 10^9: no overflow
		}
	} else {
		s.itemsValid = false
	}
	return true
}

// object reads an object positioned at its '{', calling value for each member with the
// member's name matched against names; value reads the member's value.
func (s *orderScanner) object(value func(member) bool, names *memberNames) bool {
	if !s.open() {
		return false
	}
	s.skipSpace()
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		m, ok := s.memberName(names)
		if !ok {
			return false
		}
		s.skipSpace()
		if s.peek() != ':' {
			return false
		}
		s.pos++
		s.skipSpace()
		if !value(m) {
			return false
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.pos++
			s.skipSpace()
		case '}':
			s.pos++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// open enters an array or object at its opening bracket.
func (s *orderScanner) open() bool {
	s.pos++
	s.depth++
	return s.depth <= maxNestingDepth
}

// intMember reads the value of an int64 member: null unsets it; a number without fraction or
// exponent in int64's range sets it; anything else is a type error.
func (s *orderScanner) intMember(set *bool, v *int64) bool {
	switch c := s.peek(); {
	case c == 'n':
		*set = false
		return s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		n, integer, ok := s.number()
		if !ok {
			return false
		}
		if integer {
			*set, *v = true, n
		} else {
			s.typeError = true
		}
		return true
	default:
		s.typeError = true
		return s.skipValue()
	}
}

// stringMember reads the value of a string member, keeping the length of its decoded text.
func (s *orderScanner) stringMember(set *bool, decodedBytes *int) bool {
	switch s.peek() {
	case 'n':
		*set = false
		return s.literal("null")
	case '"':
		n, _, ok := s.str(nil)
		*set, *decodedBytes = true, n
		return ok
	default:
		s.typeError = true
		return s.skipValue()
	}
}

// number reads a JSON number. integer is whether it has neither fraction nor exponent and fits
// an int64, the numbers encoding/json decodes into an int64; n is then its value.
func (s *orderScanner) number() (n int64, integer, ok bool) {
	d := s.data
	i := s.pos
	negative := i < len(d) && d[i] == '-'
	if negative {
		i++
	}
	integer = true
	var magnitude uint64
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for ; i < len(d) && '0' <= d[i] && d[i] <= '9'; i++ {
			digit := uint64(d[i] - '0')
			if magnitude > (1<<64-1-digit)/10 {
				integer = false // beyond any int64; keep checking the grammar
			}
			magnitude = magnitude*10 + digit
		}
	default:
		return 0, false, false
	}
	if i < len(d) && d[i] == '.' {
		integer = false
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return 0, false, false
		}
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		integer = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return 0, false, false
		}
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	}
	s.pos = i
	if !integer {
		return 0, false, true
	}
	switch {
	case !negative && magnitude <= 1<<63-1:
		return int64(magnitude), true, true
	case negative && magnitude <= 1<<63:
		return int64(-magnitude), true, true
	}
	return 0, false, true
}

// literal reads true, false or null.
func (s *orderScanner) literal(word string) bool {
	if end := s.pos + len(word); end > len(s.data) || string(s.data[s.pos:end]) != word {
		return false
	}
	s.pos += len(word)
	return true
}

// str reads a string positioned at its opening quote and returns the length of its decoded
// text as encoding/json decodes it (a lone surrogate escape becomes U+FFFD, 3 bytes). When
// decoded is not nil, what fits of the decoded text in its capacity is appended to it.
func (s *orderScanner) str(decoded []byte) (int, []byte, bool) {
	d := s.data
	i := s.pos + 1
	n := 0
	for {
		// The plain run up to the next quote, backslash or control byte.
		start := i
		for i < len(d) && d[i] != '"' && d[i] != '\\' && d[i] >= 0x20 {
			i++
		}
		n += i - start
		if decoded != nil {
			decoded = appendUpToCap(decoded, d[start:i])
		}
		if i >= len(d) || d[i] < 0x20 {
			return 0, nil, false
		}
		if d[i] == '"' {
			s.pos = i + 1
			return n, decoded, true
		}
		// An escape.
		if i+1 >= len(d) {
			return 0, nil, false
		}
		var r rune
		switch d[i+1] {
		case '"', '\\', '/':
			r = rune(d[i+1])
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'u':
			r = hex4(d[i+2:])
			if r < 0 {
				return 0, nil, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A pair is decoded as one rune; anything else is U+FFFD, and what follows
				// is read on its own.
				r2 := rune(-1)
				if i+2 < len(d) && d[i+2] == '\\' && i+3 < len(d) && d[i+3] == 'u' {
					r2 = hex4(d[i+4:])
				}
				if pair := utf16.DecodeRune(r, r2); pair != unicode.ReplacementChar {
					r = pair
					i += 6
				} else {
					r = unicode.ReplacementChar
				}
			}
		default:
			return 0, nil, false
		}
		i += 2
		n += utf8.RuneLen(r)
		if decoded != nil {
			var rb [utf8.UTFMax]byte
			decoded = appendUpToCap(decoded, rb[:utf8.EncodeRune(rb[:], r)])
		}
	}
}

// appendUpToCap appends what fits of p to b without growing it.
func appendUpToCap(b, p []byte) []byte {
	return append(b, p[:min(len(p), cap(b)-len(b))]...)
}

// hex4 is the value of 4 hex digits at the start of b, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// skipValue reads any value, checking its grammar, without recursion: open arrays and objects
// are kept as bits (1 for an object), so a deeply nested value costs no stack.
func (s *orderScanner) skipValue() bool {
	var stack [maxNestingDepth/64 + 1]uint64
	open := 0 // containers opened by this call
	for {
		// A value.
		switch c := s.peek(); {
		case c == '{' || c == '[':
			if !s.open() {
				return false
			}
			isObject := c == '{'
			if isObject {
				stack[open/64] |= 1 << (open % 64)
			} else {
				stack[open/64] &^= 1 << (open % 64)
			}
			open++
			s.skipSpace()
			if s.peek() == '}' && isObject || s.peek() == ']' && !isObject {
				s.pos++
				s.depth--
				open--
				break // an empty container is a whole value
			}
			if isObject {
				if !s.keyAndColon() {
					return false
				}
			}
			continue
		case c == '"':
			if _, _, ok := s.str(nil); !ok {
				return false
			}
		case c == '-' || ('0' <= c && c <= '9'):
			if _, _, ok := s.number(); !ok {
				return false
			}
		case c == 't':
			if !s.literal("true") {
				return false
			}
		case c == 'f':
			if !s.literal("false") {
				return false
			}
		case c == 'n':
			if !s.literal("null") {
				return false
			}
		default:
			return false
		}
		// After a value: the next element or member, or the end of containers.
		for {
			if open == 0 {
				return true
			}
			isObject := stack[(open-1)/64]&(1<<((open-1)%64)) != 0
			s.skipSpace()
			c := s.peek()
			if c == ',' {
				s.pos++
				s.skipSpace()
				if isObject && !s.keyAndColon() {
					return false
				}
				break
			}
			if c == '}' && isObject || c == ']' && !isObject {
				s.pos++
				s.depth--
				open--
				continue
			}
			return false
		}
	}
}

// keyAndColon reads a member name and its colon, and the space after it.
func (s *orderScanner) keyAndColon() bool {
	if s.peek() != '"' {
		return false
	}
	if _, _, ok := s.str(nil); !ok {
		return false
	}
	s.skipSpace()
	if s.peek() != ':' {
		return false
	}
	s.pos++
	s.skipSpace()
	return true
}

// memberNames are the names known in one kind of object, as written and as encoding/json folds
// them for its case-insensitive match.
type memberNames struct {
	names  []string
	folded []string
	ids    []member
}

var (
	orderMembers = newMemberNames(map[string]member{"customer_id": customerIDMember, "items": itemsMember, "note": noteMember})
	itemMembers  = newMemberNames(map[string]member{"sku": skuMember, "qty": qtyMember, "price_cents": priceCentsMember})
)

func newMemberNames(names map[string]member) *memberNames {
	m := &memberNames{}
	for name, id := range names {
		m.names = append(m.names, name)
		m.folded = append(m.folded, string(foldName(nil, []byte(name))))
		m.ids = append(m.ids, id)
	}
	return m
}

// maxMatchedName bounds the decoded member names compared: a folded rune is at most as long as
// the rune, and each rune of a known name is at most 3 bytes, so longer names cannot match.
const maxMatchedName = 64

// memberName reads a member name positioned at its quote and matches it: first exactly, then
// as encoding/json does when no name matches exactly (its foldName: ASCII letters upper-cased,
// other runes to the smallest rune of their case-folding orbit).
func (s *orderScanner) memberName(names *memberNames) (member, bool) {
	start := s.pos + 1
	var buf [maxMatchedName + 1]byte
	n, decoded, ok := s.str(buf[:0])
	if !ok {
		return otherMember, false
	}
	if n > maxMatchedName {
		return otherMember, true
	}
	if raw := s.data[start : s.pos-1]; len(raw) == n {
		decoded = raw // no escapes
	}
	for i, name := range names.names {
		if string(decoded) == name {
			return names.ids[i], true
		}
	}
	var foldBuf [2 * maxMatchedName]byte
	folded := foldName(foldBuf[:0], decoded)
	for i, name := range names.folded {
		if string(folded) == name {
			return names.ids[i], true
		}
	}
	return otherMember, true
}

// foldName appends in folded as encoding/json's foldName does.
func foldName(out, in []byte) []byte {
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	return out
}

// foldRune is the smallest rune of r's case-folding orbit.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
