// The types every module shares. Customer is the record the one-field edit changes: every
// module embeds it, as a shared model type is used across a real service. Its fields are one
// X-list, so a field added to the list is declared, serialised and parsed everywhere.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>

namespace hellosvc {

// clang-format off
#define HELLOSVC_CUSTOMER_FIELDS(FIELD)   \
  FIELD(std::string, id)                  \
  FIELD(std::string, name)                \
  FIELD(std::string, email)               \
  FIELD(std::string, phone)               \
  FIELD(std::string, street)              \
  FIELD(std::string, city)                \
  FIELD(std::string, postcode)            \
  FIELD(std::string, country)             \
  FIELD(std::string, company)             \
  FIELD(bool, vip)                        \
  FIELD(std::int64_t, credit_cents)       \
  FIELD(std::string, created_at)          \
  FIELD(std::string, note)                \
  /* hellobench:add-field */              \

// clang-format on

// The shared record: thirteen fields, serialised inside every module's record.
struct Customer {
#define HELLOSVC_DECLARE(type, name) type name{};
  HELLOSVC_CUSTOMER_FIELDS(HELLOSVC_DECLARE)
#undef HELLOSVC_DECLARE
  bool operator==(const Customer&) const = default;
};

// A deterministic customer for samples and tests.
Customer sample_customer(int seed);

void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const Customer& customer);
Customer tag_invoke(boost::json::value_to_tag<Customer>, const boost::json::value& in);

}  // namespace hellosvc
