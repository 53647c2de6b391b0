//! `POST /orders`: the order structs, their typed parse with serde_json, and the checks of
//! contract/README.md (rules 4 to 6).
//!
//! The happy path is one typed parse (`serde_json::from_str::<Order>`) and the range checks.
//! serde stops at the first error it meets, so a type error may be found before a later syntax
//! error (`{"customer_id":"x","items":[`); only when the typed parse fails is the body parsed a
//! second time, into `IgnoredAny`, to tell malformed JSON (400) from a wrong shape (422).

use serde::de::{IgnoredAny, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::store::Store;

/// Items per order.
pub const MAX_ITEMS: usize = 100;
pub const MAX_SKU_BYTES: usize = 64;
pub const MAX_QTY: u32 = 1000;
pub const MAX_PRICE_CENTS: u64 = 1_000_000_000;
pub const MAX_NOTE_BYTES: usize = 1000;

/// The request body. `Serialize` is for the microbenchmarks (and tests): the server only
/// parses orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// The derived code becomes `Order::deserialize`/`Order::serialize`; the trait impls below call
// it through `ObjectOnly`, so that an order must be a JSON object (see there).
#[serde(remote = "Self")]
pub struct Order {
    /// An integer 0..2^63-1: `i64`, checked for `>= 0`. serde_json gives `7.0`, `7e0` and
    /// `9223372036854775808` to an `i64` as errors, as the contract wants.
    pub customer_id: i64,
    pub items: Vec<Item>,
    /// Absent and `null` are both `None`.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Item {
    pub sku: String,
    pub qty: u32,
    pub price_cents: u64,
}

/// The answer to a valid order.
#[derive(Debug, Serialize)]
pub struct OrderAnswer<'a> {
    pub customer_id: i64,
    /// The store's `name` for `customer_id`, `null` when the id is not in the store.
    pub customer_name: Option<&'a str>,
    pub item_count: usize,
    pub total_cents: u64,
}

/// Why an order body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderError {
    /// Not one well-formed JSON document in valid UTF-8: 400.
    Malformed,
    /// Well-formed JSON of the wrong shape, type or range: 422.
    Invalid,
}

/// The typed parse, exactly as the server does it (and as the microbenchmarks measure it):
/// the bytes must be UTF-8, then serde_json parses them into `T`.
///
/// Why `from_utf8` + `from_str` rather than `from_slice`: with a byte slice serde_json checks
/// UTF-8 only inside the strings it decodes, not in the members it skips, so
/// `{"extra":"\xff",...}` would pass. Validating the whole body first closes that.
pub fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, OrderError> {
    let text = std::str::from_utf8(bytes).map_err(|_| OrderError::Malformed)?;
    serde_json::from_str(text).map_err(|_| {
        // The typed parse stopped at its first error, which may be a type error ahead of a
        // syntax error. Decide which kind of document this is from a pure syntax check.
        if serde_json::from_str::<IgnoredAny>(text).is_ok() {
            OrderError::Invalid
        } else {
            OrderError::Malformed
        }
    })
}

/// Parses and checks an order body (rules 4 and 5).
pub fn parse_order(bytes: &[u8]) -> Result<Order, OrderError> {
    let order: Order = match from_json(bytes) {
        Ok(order) => order,
        // serde_json reads the JSON integer `-0` as the float -0.0, which an integer field
        // refuses; the contract (rule 5) reads it as the integer 0, as Boost.JSON and
        // encoding/json do. Only on this (rare) path is the body read again with each `-0`
        // outside strings as `0`; `-0.0` and `-0e0` keep their fraction or exponent (422).
        Err(OrderError::Invalid) => match negative_zeros_as_zero(bytes) {
            Some(rewritten) => from_json(&rewritten)?,
            None => return Err(OrderError::Invalid),
        },
        Err(e) => return Err(e),
    };
    if order.is_valid() {
        Ok(order)
    } else {
        Err(OrderError::Invalid)
    }
}

/// The body with every number token `-0` outside strings (not followed by a digit, `.`, `e` or
/// `E`) written ` 0`, the same length; None when there is none.
fn negative_zeros_as_zero(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let (mut in_string, mut escaped) = (false, false);
    for i in 0..bytes.len() {
        let b = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if b == b'"' {
            in_string = true;
        } else if b == b'-'
            && bytes.get(i + 1) == Some(&b'0')
            && !matches!(bytes.get(i + 2), Some(b'0'..=b'9' | b'.' | b'e' | b'E'))
        {
            out.get_or_insert_with(|| bytes.to_vec())[i] = b' ';
        }
    }
    out
}

impl Order {
    /// The range checks of rule 5 that the types do not already make.
    pub fn is_valid(&self) -> bool {
        self.customer_id >= 0
            && (1..=MAX_ITEMS).contains(&self.items.len())
            && self.items.iter().all(Item::is_valid)
            && self
                .note
                .as_ref()
                .is_none_or(|note| note.len() <= MAX_NOTE_BYTES)
    }

    /// The answer to this (valid) order.
    pub fn answer<'a>(&self, store: &'a Store) -> OrderAnswer<'a> {
        OrderAnswer {
            customer_id: self.customer_id,
            customer_name: u64::try_from(self.customer_id)
                .ok()
                .and_then(|id| store.get(id))
                .map(|record| record.name.as_str()),
            item_count: self.items.len(),
            // At most 100 * 1000 * 10^9 = 10^14.
            total_cents: self
                .items
                .iter()
                .map(|item| u64::from(item.qty) * item.price_cents)
                .sum(),
        }
    }
}

impl Item {
    fn is_valid(&self) -> bool {
        (1..=MAX_SKU_BYTES).contains(&self.sku.len())
            && (1..=MAX_QTY).contains(&self.qty)
            && self.price_cents <= MAX_PRICE_CENTS
    }
}

// serde's derived `Deserialize` for a struct also accepts a JSON array of the field values
// (`[7,[["A",1,1]],null]`), which the contract counts as the wrong shape (422). `ObjectOnly`
// hands the derived visitor to `deserialize_map`, so only `{...}` is accepted; everything else
// about the derived code (field matching, unknown members ignored, errors) is unchanged, and
// the cost is the same as `deserialize_struct`.

impl<'de> Deserialize<'de> for Order {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Order::deserialize(ObjectOnly(deserializer))
    }
}

impl Serialize for Order {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Order::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Item::deserialize(ObjectOnly(deserializer))
    }
}

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Item::serialize(self, serializer)
    }
}

/// A deserializer that reads a struct from a map (a JSON object) only. Public for the tuned
/// server's borrowing order structs (rust-server/tuned).
pub struct ObjectOnly<D>(pub D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}
