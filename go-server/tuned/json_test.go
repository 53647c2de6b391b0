package main

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// The generated appenders must write exactly what encoding/json's Marshal writes: the tuned
// tier answers the stock tier's bytes.

func expectMarshalBytes(t *testing.T, v any, got []byte) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("appended\n%s\nMarshal writes\n%s", got, want)
	}
}

func TestAppendersWriteWhatMarshalWrites(t *testing.T) {
	name := "user-7"
	for _, r := range []record{newRecord(0), newRecord(7), newRecord(1 << 40), {}} {
		expectMarshalBytes(t, &r, r.appendJSON(nil))
		expectMarshalBytes(t, &r.user, r.user.appendJSON(nil))
	}
	// nil and empty tags: null and [].
	r := newRecord(3)
	r.Tags = []string{}
	expectMarshalBytes(t, &r, r.appendJSON(nil))
	for _, a := range []orderAnswer{{7, &name, 10, 27205}, {-1 << 63, nil, 0, 1<<63 - 1}} {
		expectMarshalBytes(t, &a, a.appendJSON(nil))
	}
	m := message{Message: helloWorld}
	expectMarshalBytes(t, &m, m.appendJSON([]byte{}))
	// Appending keeps what the buffer held.
	if got := string(m.appendJSON([]byte("x"))); got != `x{"message":"Hello, World!"}` {
		t.Errorf("appended to x: %s", got)
	}
}

// Every exported field of every appended type is written: a field added without `go generate`
// (or one the generator skipped) shows up here as a difference from Marshal.
func TestAppendersCoverEveryField(t *testing.T) {
	r := record{}
	fillEveryField(reflect.ValueOf(&r).Elem())
	expectMarshalBytes(t, &r, r.appendJSON(nil))
	a := orderAnswer{}
	fillEveryField(reflect.ValueOf(&a).Elem())
	expectMarshalBytes(t, &a, a.appendJSON(nil))
}

// fillEveryField sets each field of a struct to a value other than its zero value.
func fillEveryField(v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Struct:
			fillEveryField(f)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(i + 1))
		case reflect.String:
			f.SetString("s<&>\"\u2028")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Pointer:
			s := "p"
			f.Set(reflect.ValueOf(&s))
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"a", "\x00"}))
		}
	}
}

func TestAppendStringEscapesAsMarshal(t *testing.T) {
	for _, s := range []string{
		"", "plain", `"quoted" \back\ /slash/`, "\b\f\n\r\t", "\x00\x01\x1f\x7f", "<script>&amp;</script>",
		"\u2028\u2029", "é日本語🙂", "\xff", "a\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\ufffd",
	} {
		expectMarshalBytes(t, s, appendString(nil, s))
	}
	for b := range 256 {
		s := string([]byte{'a', byte(b), 'z'})
		expectMarshalBytes(t, s, appendString(nil, s))
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "Ada Lovelace", "<&>", "\u2028", "\xff\xfe", "\x00\n", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("%q: appended %s, Marshal writes %s", s, got, want)
		}
		if !utf8.Valid(appendString(nil, s)) {
			t.Errorf("%q: the output is not valid UTF-8", s)
		}
	})
}

// BenchmarkSerialise compares the generated appenders with encoding/json's Marshal (what the
// stock tier calls) on the records the routes answer.
func BenchmarkSerialise(b *testing.B) {
	r := newRecord(512)
	u := r.user
	u.Tags = []string{"math", "computing"}
	for _, tc := range []struct {
		name    string
		marshal func() ([]byte, error)
		append  func([]byte) []byte
	}{
		{"user", func() ([]byte, error) { return json.Marshal(&u) }, u.appendJSON},
		{"record", func() ([]byte, error) { return json.Marshal(&r) }, r.appendJSON},
	} {
		b.Run(tc.name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tc.marshal()
			}
		})
		b.Run(tc.name+"/generated", func(b *testing.B) {
			buf := make([]byte, 0, 2048)
			b.ReportAllocs()
			for b.Loop() {
				buf = tc.append(buf[:0])
			}
		})
	}
}
