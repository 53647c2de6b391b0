package main

import (
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

// orderAnswer is the 200 answer of POST /orders; CustomerName is null for an unknown customer.
type orderAnswer struct {
	CustomerID   int64   `json:"customer_id"`
	CustomerName *string `json:"customer_name"`
	ItemCount    int     `json:"item_count"`
	TotalCents   int64   `json:"total_cents"`
}

// handleOrders answers POST /orders; the first failing check answers (contract/README.md):
// method (checked by the router), media type, size, syntax, shape. The body is read into a
// pooled buffer, scanned without allocating (scanOrder), and the answer is written into the
// same buffer.
func (s *service) handleOrders(w http.ResponseWriter, r *http.Request) {
	if !isJSONMediaType(r.Header.Get("Content-Type")) {
		discardBody(w, r)
		writeText(w, http.StatusUnsupportedMediaType, badMediaType)
		return
	}
	buf := getBuffer()
	defer putBuffer(buf)
	body, ok := readOrderBody(w, r, buf)
	if !ok {
		return
	}
	// Checked first, as the stock tier does before encoding/json (which would turn invalid
	// UTF-8 inside strings into U+FFFD): the contract calls it malformed.
	if !utf8.Valid(body) {
		writeText(w, http.StatusBadRequest, malformedJSON)
		return
	}
	o, verdict := scanOrder(body)
	switch verdict {
	case orderMalformed:
		writeText(w, http.StatusBadRequest, malformedJSON)
		return
	case orderInvalid:
		writeText(w, http.StatusUnprocessableEntity, invalidOrder)
		return
	}
	answer := orderAnswer{CustomerID: o.customerID, ItemCount: o.itemCount, TotalCents: o.totalCents}
	if o.customerID < int64(len(s.store)) {
		answer.CustomerName = &s.store[o.customerID].Name
	}
	*buf = answer.appendJSON((*buf)[:0])
	writeJSONBytes(w, *buf)
}

// readOrderBody reads a body of at most maxOrderBytes into buf. A body whose Content-Length
// says it fits is read straight into the buffer; a longer or chunked one takes the stock
// tier's path. Otherwise it answers itself and returns false: 413 after discarding a body of up
// to maxDrainBytes (the connection stays open), 413 with Connection: close for a longer one,
// 400 with a close when the body cannot be read (broken chunked framing, say).
func readOrderBody(w http.ResponseWriter, r *http.Request, buf *[]byte) ([]byte, bool) {
	if r.ContentLength > maxDrainBytes {
		closeAfterAnswer(w)
		writeText(w, http.StatusRequestEntityTooLarge, bodyTooLarge)
		return nil, false
	}
	if r.ContentLength >= 0 && r.ContentLength <= maxOrderBytes {
		n := int(r.ContentLength)
		if cap(*buf) < n {
			*buf = make([]byte, 0, n)
		}
		body := (*buf)[:n]
		if _, err := io.ReadFull(r.Body, body); err != nil {
			if bodyTimedOut(err) {
				dropConnection()
			}
			// The client closed before its declared length.
			closeAfterAnswer(w)
			writeText(w, http.StatusBadRequest, badRequestBody)
			return nil, false
		}
		return body, true
	}
	// MaxBytesReader also covers chunked bodies, whose length nobody declared.
	limited := http.MaxBytesReader(w, r.Body, maxDrainBytes)
	var err error
	*buf, err = readUpTo((*buf)[:0], limited, maxOrderBytes+1)
	if err == nil && len(*buf) <= maxOrderBytes {
		return *buf, true
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

// readUpTo appends what r gives until EOF or until b holds limit bytes (as io.ReadAll of an
// io.LimitReader, into a buffer of the caller's).
func readUpTo(b []byte, r io.Reader, limit int) ([]byte, error) {
	for len(b) < limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(cap(b), limit)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
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
	w.Header()["Connection"] = connectionCloseValue
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
