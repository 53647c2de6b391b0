package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceOrder is the stock tier's parse: json.Unmarshal into pointer-field structs, then its
// checks (go-server/orders.go). scanOrder must decide as it does.
type referenceOrder struct {
	CustomerID *int64          `json:"customer_id"`
	Items      []referenceItem `json:"items"`
	Note       *string         `json:"note"`
}

type referenceItem struct {
	SKU        *string `json:"sku"`
	Qty        *int64  `json:"qty"`
	PriceCents *int64  `json:"price_cents"`
}

func referenceScan(body []byte) (orderSummary, orderVerdict) {
	if !utf8.Valid(body) {
		return orderSummary{}, orderMalformed
	}
	var o referenceOrder
	err := json.Unmarshal(body, &o)
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return orderSummary{}, orderMalformed
	}
	if err != nil || o.CustomerID == nil || *o.CustomerID < 0 || len(o.Items) < minItems || len(o.Items) > maxItems ||
		o.Note != nil && len(*o.Note) > maxNoteBytes {
		return orderSummary{}, orderInvalid
	}
	sum := orderSummary{customerID: *o.CustomerID, itemCount: len(o.Items)}
	for _, it := range o.Items {
		if it.SKU == nil || len(*it.SKU) < 1 || len(*it.SKU) > maxSKUBytes ||
			it.Qty == nil || *it.Qty < 1 || *it.Qty > maxQty ||
			it.PriceCents == nil || *it.PriceCents < 0 || *it.PriceCents > maxPriceCents {
			return orderSummary{}, orderInvalid
		}
		sum.totalCents += *it.Qty * *it.PriceCents
	}
	return sum, orderValid
}

// scanLikeTheHandler is scanOrder behind the handler's UTF-8 check.
func scanLikeTheHandler(body []byte) (orderSummary, orderVerdict) {
	if !utf8.Valid(body) {
		return orderSummary{}, orderMalformed
	}
	return scanOrder(body)
}

var verdictNames = map[orderVerdict]string{orderValid: "200", orderMalformed: "400", orderInvalid: "422"}

func expectScan(t *testing.T, body string, want orderVerdict, wantSum orderSummary) {
	t.Helper()
	sum, got := scanLikeTheHandler([]byte(body))
	if got != want || sum != wantSum {
		t.Errorf("%.120q: %s %+v, want %s %+v", body, verdictNames[got], sum, verdictNames[want], wantSum)
	}
	if refSum, ref := referenceScan([]byte(body)); ref != want || refSum != wantSum {
		t.Errorf("%.120q: the stock tier's parse says %s %+v: the expectation is wrong", body, verdictNames[ref], refSum)
	}
}

const oneItem = `[{"sku":"A-1","qty":2,"price_cents":1250}]`

func TestScanOrderAnswersValidOrders(t *testing.T) {
	for body, sum := range map[string]orderSummary{
		`{"customer_id":7,"items":` + oneItem + `,"note":"..."}`:                                        {7, 1, 2500},
		` {"customer_id":0,"items":` + oneItem + `} `:                                                   {0, 1, 2500},
		`{"customer_id":-0,"items":` + oneItem + `,"note":null}`:                                        {0, 1, 2500},
		`{"customer_id":9223372036854775807,"items":` + oneItem + `}`:                                   {1<<63 - 1, 1, 2500},
		`{"items":` + oneItem + `,"customer_id":1,"extra":{"deep":[1,{"a":[]}],"n":null}}`:              {1, 1, 2500},
		`{"customer_id":1,"items":[{"sku":"x","qty":1000,"price_cents":1000000000,"other":true}]}`:      {1, 1, 1e12},
		`{"CUSTOMER_ID":1,"Items":` + oneItem + `,"NOTE":"n"}`:                                          {1, 1, 2500}, // case folded
		"{\"cu\u017ftomer_id\":1,\"items\":" + oneItem + "}":                                            {1, 1, 2500}, // ſ folds to S
		`{"customer\u005fid":1,"items":[{"\u0073ku":"\u00e9","qty":1,"price_cents":0}]}`:                {1, 1, 0},
		`{"customer_id":1,"items":[{"sku":"` + strings.Repeat("é", 32) + `","qty":1,"price_cents":1}]}`: {1, 1, 1},
		`{"customer_id":1,"items":` + oneItem + `,"note":"` + strings.Repeat("n", 1000) + `"}`:          {1, 1, 2500},
		"\t\r\n" + `{"customer_id":1,"items":` + oneItem + "}\n":                                        {1, 1, 2500},
	} {
		expectScan(t, body, orderValid, sum)
	}
	payload, err := os.ReadFile(filepath.Join("..", "..", "contract", "payloads", "order-100.json"))
	if err != nil {
		t.Skip(err)
	}
	want, _ := referenceScan(payload)
	expectScan(t, string(payload), orderValid, want)
}

func TestScanOrderRejectsMalformedJSON(t *testing.T) {
	for _, body := range []string{
		"", " ", "{", `{"customer_id":1,"items":` + oneItem, `{"customer_id":1,}`, `{"customer_id" 1}`,
		`{customer_id:1}`, `{"customer_id":01,"items":` + oneItem + `}`, `{"customer_id":1.}`, `{"customer_id":.5}`,
		`{"customer_id":1e}`, `{"customer_id":-}`, `{"customer_id":+1}`, `{"a":"\x}`, `{"a":"\u12G4"}`,
		"{\"a\":\"tab\there\"}", `{"a":tru}`, `{"a":nul}`, `[1,]`, `[1 2]`, `{} {}`, `{}x`, `"\`,
		// A syntax error wins over a type error met earlier in the text.
		`{"customer_id":"7","items":[}`,
		"\ufeff{}", // a byte order mark is not JSON whitespace
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001), // deeper than encoding/json allows
		`{"x":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat("}", 10000) + `}`,
		"{\"customer_id\":1,\"note\":\"\xff\"}", // invalid UTF-8 (the handler's check)
	} {
		expectScan(t, body, orderMalformed, orderSummary{})
	}
}

func TestScanOrderRejectsValidJSONOfTheWrongShape(t *testing.T) {
	for _, body := range []string{
		`null`, `[]`, `7`, `"order"`, `true`, `{}`,
		`{"items":` + oneItem + `}`,
		`{"customer_id":null,"items":` + oneItem + `}`,
		`{"customer_id":"7","items":` + oneItem + `}`,
		`{"customer_id":7.0,"items":` + oneItem + `}`,
		`{"customer_id":7e0,"items":` + oneItem + `}`,
		`{"customer_id":-1,"items":` + oneItem + `}`,
		`{"customer_id":9223372036854775808,"items":` + oneItem + `}`,
		`{"customer_id":99999999999999999999999,"items":` + oneItem + `}`,
		`{"customer_id":1}`, `{"customer_id":1,"items":null}`, `{"customer_id":1,"items":[]}`,
		`{"customer_id":1,"items":{}}`, `{"customer_id":1,"items":[null]}`, `{"customer_id":1,"items":[1]}`,
		`{"customer_id":1,"items":[{}]}`,
		`{"customer_id":1,"items":[{"sku":"","qty":1,"price_cents":1}]}`,
		`{"customer_id":1,"items":[{"sku":"` + strings.Repeat("x", 65) + `","qty":1,"price_cents":1}]}`,
		`{"customer_id":1,"items":[{"sku":"` + strings.Repeat("é", 33) + `","qty":1,"price_cents":1}]}`,
		`{"customer_id":1,"items":[{"sku":1,"qty":1,"price_cents":1}]}`,
		`{"customer_id":1,"items":[{"sku":"a","qty":0,"price_cents":1}]}`,
		`{"customer_id":1,"items":[{"sku":"a","qty":1001,"price_cents":1}]}`,
		`{"customer_id":1,"items":[{"sku":"a","qty":1,"price_cents":-1}]}`,
		`{"customer_id":1,"items":[{"sku":"a","qty":1,"price_cents":1000000001}]}`,
		`{"customer_id":1,"items":[{"sku":"a","qty":1,"price_cents":"1"}]}`,
		`{"customer_id":1,"items":` + oneItem + `,"note":7}`,
		`{"customer_id":1,"items":` + oneItem + `,"note":"` + strings.Repeat("n", 1001) + `"}`,
		// Escapes count as their decoded bytes: 1001 bytes from 1001 escapes.
		`{"customer_id":1,"items":` + oneItem + `,"note":"` + strings.Repeat(`\n`, 1001) + `"}`,
		// A lone surrogate decodes to U+FFFD, 3 bytes: 22 of them are 66 bytes.
		`{"customer_id":1,"items":[{"sku":"` + strings.Repeat(`\ud800`, 22) + `","qty":1,"price_cents":1}]}`,
		`{"customer_id":1,"items":[` + strings.Repeat(`{"sku":"a","qty":1,"price_cents":1},`, 100) + `{"sku":"a","qty":1,"price_cents":1}]}`,
		// A type error anywhere is final, even when the member comes again.
		`{"customer_id":"x","customer_id":1,"items":` + oneItem + `}`,
	} {
		expectScan(t, body, orderInvalid, orderSummary{})
	}
}

func TestScanOrderKeepsTheLastOfARepeatedMember(t *testing.T) {
	expectScan(t, `{"customer_id":1,"customer_id":2,"items":`+oneItem+`}`, orderValid, orderSummary{2, 1, 2500})
	expectScan(t, `{"customer_id":1,"items":`+oneItem+`,"customer_id":null}`, orderInvalid, orderSummary{})
	expectScan(t, `{"customer_id":1,"items":[{"sku":"a","qty":5,"qty":1,"price_cents":3}]}`, orderValid, orderSummary{1, 1, 3})
}

func TestScanOrderAcceptsEncodingJSONsDepthLimitExactly(t *testing.T) {
	// The order object is depth 1, so the other member may nest 9999 more.
	body := `{"customer_id":1,"items":` + oneItem + `,"x":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`
	expectScan(t, body, orderValid, orderSummary{1, 1, 2500})
	body = `{"customer_id":1,"items":` + oneItem + `,"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`
	expectScan(t, body, orderMalformed, orderSummary{})
}

// FuzzScanOrder compares scanOrder with the stock tier's parse on any body. Bodies with a
// repeated member are left out: the contract does not specify them, and a repeated "items"
// differs on purpose (see scanOrder).
func FuzzScanOrder(f *testing.F) {
	for _, seed := range []string{
		`{"customer_id":7,"items":[{"sku":"A-1","qty":2,"price_cents":1250}],"note":"..."}`,
		`{"customer_id":1,"items":[{"sku":"\ud83d\ude00","qty":1,"price_cents":1,"x":[1,{"y":null}]}]}`,
		`{"CUSTOMER_ID":1,"items":[null,{}],"note":"\u2028"}`,
		`[{"a":1.5e-3,"b":[true,false,null]}]`, `{"customer_id":1e2}`, `"\ud800\udc00"`, `{`,
	} {
		f.Add([]byte(seed))
	}
	if payload, err := os.ReadFile(filepath.Join("..", "..", "contract", "payloads", "order-10.json")); err == nil {
		f.Add(payload)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := orderScanner{data: body}
		if utf8.Valid(body) {
			scanOrderWith(&s)
			if s.repeated {
				t.Skip("a repeated member")
			}
		}
		sum, got := scanLikeTheHandler(body)
		refSum, want := referenceScan(body)
		if got != want || sum != refSum {
			t.Errorf("%q: scanOrder says %s %+v, the stock tier's parse %s %+v",
				body, verdictNames[got], sum, verdictNames[want], refSum)
		}
	})
}

// scanOrderWith runs scanOrder's steps on s, to read its flags afterwards.
func scanOrderWith(s *orderScanner) {
	s.skipSpace()
	if s.topValue() {
		s.skipSpace()
	}
}

// BenchmarkParseOrder compares scanOrder with the stock tier's json.Unmarshal and checks on
// the contract's payloads.
func BenchmarkParseOrder(b *testing.B) {
	for _, name := range []string{"order-10", "order-100"} {
		payload, err := os.ReadFile(filepath.Join("..", "..", "contract", "payloads", name+".json"))
		if err != nil {
			b.Skip(err)
		}
		b.Run(name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, v := referenceScan(payload); v != orderValid {
					b.Fatal(verdictNames[v])
				}
			}
		})
		b.Run(name+"/scanner", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, v := scanLikeTheHandler(payload); v != orderValid {
					b.Fatal(verdictNames[v])
				}
			}
		})
	}
}
