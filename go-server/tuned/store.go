package main

import (
	"strconv"
	"strings"
)

// maxLiveMB bounds --live-mb (contract/README.md: 0..4096).
const maxLiveMB = 4096

// recordsPerMB is how many records --live-mb 1 holds; a record is about 1 KiB.
const recordsPerMB = 1024

// bioBytes is the exact length of every record's bio.
const bioBytes = 800

var (
	roles     = [...]string{"admin", "editor", "viewer"}
	countries = [...]string{"GB", "US", "DE", "FR", "JP"}
	cities    = [...]string{"London", "New York", "Berlin", "Paris", "Tokyo"}
)

// record is one user of the --live-mb store: the /user fields, in their order, then bio
// (encoding/json flattens the embedded struct, so GET /users/{id} answers them in that order).
type record struct {
	user
	Bio string `json:"bio"`
}

// buildStore returns the liveMB*1024 records of contract/README.md, ids 0 upwards. Every string
// of every record is its own allocation, as a record read from a database would be; none is a
// slice of a shared buffer or one of the constant tables above.
func buildStore(liveMB int) []record {
	store := make([]record, liveMB*recordsPerMB)
	for i := range store {
		store[i] = newRecord(i)
	}
	return store
}

// newRecord is record i of the store.
func newRecord(i int) record {
	n := strconv.Itoa(i)
	name := "user-" + n
	return record{
		user: user{
			ID:        i,
			Name:      name,
			Email:     name + "@example.com",
			Username:  "u" + n,
			Age:       18 + i%60,
			Active:    i%2 == 0,
			Role:      strings.Clone(roles[i%3]),
			Country:   strings.Clone(countries[i%5]),
			City:      strings.Clone(cities[i%5]),
			CreatedAt: strings.Clone("2026-01-01T00:00:00Z"),
			Followers: i * 37 % 10000,
			Tags:      []string{"tag-" + strconv.Itoa(i%10), "group-" + strconv.Itoa(i%4)},
			Verified:  i%3 == 0,
		},
		Bio: bio(i),
	}
}

// bio is "bio-<i>-" repeated and cut to exactly bioBytes bytes, in one allocation of that size.
func bio(i int) string {
	unit := "bio-" + strconv.Itoa(i) + "-"
	var b strings.Builder
	b.Grow(bioBytes)
	for b.Len() < bioBytes {
		b.WriteString(unit[:min(len(unit), bioBytes-b.Len())])
	}
	return b.String()
}
