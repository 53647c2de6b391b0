#include "hellosvc/model.hpp"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace hellosvc {

namespace json = boost::json;

Customer sample_customer(int seed) {
  Customer c;
  boost::uuids::name_generator_sha1 ids(boost::uuids::ns::oid());
  c.id = boost::uuids::to_string(ids("customer/" + std::to_string(seed)));
  c.name = "customer";
  c.email = "customer@example.com";
  c.phone = "+44 20 7946 0000";
  c.street = "1 High Street";
  c.city = "London";
  c.postcode = "N1 9GU";
  c.country = "GB";
  c.company = "Example Ltd";
  c.vip = seed % 2 == 0;
  c.credit_cents = std::int64_t{seed} * 100;
  c.created_at = "2024-01-02T03:04:05Z";
  c.note = "generated";
  return c;
}

void tag_invoke(json::value_from_tag, json::value& out, const Customer& customer) {
  json::object object;
#define HELLOSVC_TO(type, name) object[#name] = json::value_from(customer.name);
  HELLOSVC_CUSTOMER_FIELDS(HELLOSVC_TO)
#undef HELLOSVC_TO
  out = std::move(object);
}

Customer tag_invoke(json::value_to_tag<Customer>, const json::value& in) {
  const json::object& object = in.as_object();
  Customer customer;
#define HELLOSVC_FROM(type, name) \
  if (const json::value* v = object.if_contains(#name)) customer.name = json::value_to<type>(*v);
  HELLOSVC_CUSTOMER_FIELDS(HELLOSVC_FROM)
#undef HELLOSVC_FROM
  return customer;
}

}  // namespace hellosvc
