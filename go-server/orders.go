package main

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"
)

// The limits of POST /orders (contract/README.md).
const (
	// maxOrderBytes is the largest body parsed; a larger one is 413.
	maxOrderBytes = 64 << 10
	// maxDrainBytes is the largest body read (and discarded) to keep the connection; beyond it
	// the answer closes the connection.
	maxDrainBytes  = 1 << 20
	minItems       = 1
	maxItems       = 100
	maxSKUBytes    = 64
	maxQty         = 1000
	maxPriceCents  = 1_000_000_000
	maxNoteBytes   = 1000
	jsonMediaType  = "application/json"
	textPlainUTF8  = "text/plain; charset=utf-8"
	badMediaType   = "Content-Type must be application/json"
	bodyTooLarge   = "body over 64 KiB"
	malformedJSON  = "malformed JSON"
	invalidOrder   = "invalid order"
	badRequestBody = "Bad Request"
)

// order is the body of POST /orders. Pointers tell a member that is absent (or null) from a
// zero; encoding/json decodes an int64 only from a number without fraction or exponent, so
// 7.0 and 7e0 are type errors like "7".
type order struct {
	CustomerID *int64  `json:"customer_id"`
	Items      []item  `json:"items"`
	Note       *string `json:"note"`
}

type item struct {
	SKU        *string `json:"sku"`
	Qty        *int64  `json:"qty"`
	PriceCents *int64  `json:"price_cents"`
}

// orderAnswer is the 200 answer of POST /orders; CustomerName is null for an unknown customer.
type orderAnswer struct {
	CustomerID   int64   `json:"customer_id"`
	CustomerName *string `json:"customer_name"`
	ItemCount    int     `json:"item_count"`
	TotalCents   int64   `json:"total_cents"`
}

// parseOrder is the typed parse alone, as the JSON microbenchmarks measure it.
func parseOrder(body []byte) (order, error) {
	var o order
	err := json.Unmarshal(body, &o)
	return o, err
}

// valid reports whether a parsed order has the shape and ranges contract/README.md requires.
func (o *order) valid() bool {
	if o.CustomerID == nil || *o.CustomerID < 0 {
		return false
	}
	if len(o.Items) < minItems || len(o.Items) > maxItems {
		return false
	}
	for _, it := range o.Items {
		if it.SKU == nil || len(*it.SKU) < 1 || len(*it.SKU) > maxSKUBytes ||
			it.Qty == nil || *it.Qty < 1 || *it.Qty > maxQty ||
			it.PriceCents == nil || *it.PriceCents < 0 || *it.PriceCents > maxPriceCents {
			return false
		}
	}
	return o.Note == nil || len(*o.Note) <= maxNoteBytes
}

// handleOrders answers POST /orders; the first failing check answers (contract/README.md):
// method (checked by the router), media type, size, syntax, shape.
func (s *service) handleOrders(w http.ResponseWriter, r *http.Request) {
	if !isJSONMediaType(r.Header.Get("Content-Type")) {
		discardBody(w, r)
		writeText(w, http.StatusUnsupportedMediaType, badMediaType)
		return
	}
	body, ok := readOrderBody(w, r)
	if !ok {
		return
	}
	// encoding/json turns invalid UTF-8 inside strings into U+FFFD; the contract calls it
	// malformed, so it is checked first.
	if !utf8.Valid(body) {
		writeText(w, http.StatusBadRequest, malformedJSON)
		return
	}
	o, err := parseOrder(body)
	// Unmarshal checks the whole document's syntax before it decodes anything, so a syntax
	// error wins over a type error met earlier in the text.
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		writeText(w, http.StatusBadRequest, malformedJSON)
		return
	}
	if err != nil || !o.valid() { // err: *json.UnmarshalTypeError, a member of the wrong type
		writeText(w, http.StatusUnprocessableEntity, invalidOrder)
		return
	}
	answer := orderAnswer{CustomerID: *o.CustomerID, ItemCount: len(o.Items)}
	if *o.CustomerID < int64(len(s.store)) {
		answer.CustomerName = &s.store[*o.CustomerID].Name
	}
	for _, it := range o.Items {
		answer.TotalCents += *it.Qty * *it.PriceCents
	}
	writeJSON(w, answer)
}

// readOrderBody reads a body of at most maxOrderBytes. Otherwise it answers itself and returns
// false: 413 after discarding a body of up to maxDrainBytes (the connection stays open), 413
// with Connection: close for a longer one, 400 with a close when the body cannot be read
// (broken chunked framing, say).
func readOrderBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > maxDrainBytes {
		closeAfterAnswer(w)
		writeText(w, http.StatusRequestEntityTooLarge, bodyTooLarge)
		return nil, false
	}
	// MaxBytesReader also covers chunked bodies, whose length nobody declared.
	limited := http.MaxBytesReader(w, r.Body, maxDrainBytes)
	body, err := io.ReadAll(io.LimitReader(limited, maxOrderBytes+1))
	if err == nil && len(body) <= maxOrderBytes {
		return body, true
	}
	if err == nil {
		_, err = io.Copy(io.Discard, limited)
	}
	var tooLarge *http.MaxBytesError
	switch {
	case bodyTimedOut(err):
		dropConnection()
	case errors.As(err, &tooLarge):
		// MaxBytesReader has already told net/http to close after this answer.
		closeAfterAnswer(w)
		writeText(w, http.StatusRequestEntityTooLarge, bodyTooLarge)
	case err != nil:
		closeAfterAnswer(w)
		writeText(w, http.StatusBadRequest, badRequestBody)
	default:
		writeText(w, http.StatusRequestEntityTooLarge, bodyTooLarge)
	}
	return nil, false
}

// discardBody reads and drops a body of up to maxDrainBytes before an early error answer, so
// that the connection stays usable; a longer or unreadable body closes it after the answer.
func discardBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 {
		return
	}
	if r.ContentLength > maxDrainBytes {
		closeAfterAnswer(w)
		return
	}
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxDrainBytes)); err != nil {
		if bodyTimedOut(err) {
			dropConnection()
		}
		closeAfterAnswer(w)
	}
}

// closeAfterAnswer makes net/http send Connection: close and close once the answer is out,
// without reading what is left of the body.
func closeAfterAnswer(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
}

// isJSONMediaType reports whether a Content-Type value's media type (up to the first ';',
// spaces and tabs trimmed) is application/json, ignoring ASCII case only.
func isJSONMediaType(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.Trim(mediaType, " \t")
	if len(mediaType) != len(jsonMediaType) {
		return false
	}
	for i := range len(mediaType) {
		c := mediaType[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != jsonMediaType[i] {
			return false
		}
	}
	return true
}

// bodyTimedOut tells whether a body read failed because the body deadline passed
// (contract/README.md, "Deadlines").
func bodyTimedOut(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// dropConnection ends the handler and closes the connection with no answer, as the contract
// wants for a body that missed its deadline; net/http recovers ErrAbortHandler silently.
func dropConnection() {
	panic(http.ErrAbortHandler)
}
