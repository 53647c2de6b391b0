// Package model holds the types every module shares. Customer is the record the one-field
// edit changes: every module embeds it, as a shared model type is used across a real service.
package model

import (
	"time"

	"github.com/google/uuid"
)

// Customer is the shared record: thirteen fields, serialised inside every module's record.
type Customer struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	Phone       string    `json:"phone"`
	Street      string    `json:"street"`
	City        string    `json:"city"`
	Postcode    string    `json:"postcode"`
	Country     string    `json:"country"`
	Company     string    `json:"company"`
	VIP         bool      `json:"vip"`
	CreditCents int64     `json:"credit_cents"`
	CreatedAt   time.Time `json:"created_at"`
	Note        string    `json:"note"`
	// hellobench:add-field
}

// SampleCustomer is a deterministic customer for samples and tests.
func SampleCustomer(seed int) Customer {
	return Customer{
		ID:          uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(seed), byte(seed >> 8)}),
		Name:        "customer",
		Email:       "customer@example.com",
		Phone:       "+44 20 7946 0000",
		Street:      "1 High Street",
		City:        "London",
		Postcode:    "N1 9GU",
		Country:     "GB",
		Company:     "Example Ltd",
		VIP:         seed%2 == 0,
		CreditCents: int64(seed) * 100,
		CreatedAt:   time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		Note:        "generated",
	}
}
