//! `POST /orders`, tuned: the order parsed by serde_json into structs that borrow their strings
//! from the request body (no `String` per `sku` or for the note unless it holds an escape), and
//! the items gathered into a vector reserved once. The checks and answers are the stock
//! server's (contract/README.md, rules 4 to 6), and so is the 400/422 decision: the typed parse
//! first, and only when it fails a syntax-only parse into `IgnoredAny`.

use std::borrow::Cow;
use std::marker::PhantomData;

use rust_server::{ObjectOnly, OrderAnswer, OrderError, Store};
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

const MAX_ITEMS: usize = 100;
const MAX_SKU_BYTES: usize = 64;
const MAX_QTY: u32 = 1000;
const MAX_PRICE_CENTS: u64 = 1_000_000_000;
const MAX_NOTE_BYTES: usize = 1000;
/// The items vector's first allocation: enough for the usual order (the benchmark's has 10).
const ITEMS_RESERVED: usize = 16;

/// The request body, borrowing from it.
#[derive(Debug, Deserialize)]
#[serde(remote = "Self")]
pub struct Order<'a> {
    /// An integer 0..2^63-1, as in the stock server.
    pub customer_id: i64,
    #[serde(borrow, deserialize_with = "items")]
    pub items: Vec<Item<'a>>,
    /// Absent and `null` are both `None`.
    #[serde(borrow, default)]
    pub note: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(remote = "Self")]
pub struct Item<'a> {
    #[serde(borrow)]
    pub sku: Text<'a>,
    pub qty: u32,
    pub price_cents: u64,
}

/// A JSON string, borrowed from the body when it holds no escape (serde's derive borrows only
/// a bare `Cow<str>` field, not one inside an `Option`, hence this type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

/// The typed parse and the checks of rules 4 and 5, as the stock `parse_order`.
pub fn parse_order(bytes: &[u8]) -> Result<Order<'_>, OrderError> {
    let text = std::str::from_utf8(bytes).map_err(|_| OrderError::Malformed)?;
    let order: Order = serde_json::from_str(text).map_err(|_| {
        if serde_json::from_str::<IgnoredAny>(text).is_ok() {
            OrderError::Invalid
        } else {
            OrderError::Malformed
        }
    })?;
    if order.is_valid() {
        Ok(order)
    } else {
        Err(OrderError::Invalid)
    }
}

impl<'a> Order<'a> {
    fn is_valid(&self) -> bool {
        self.customer_id >= 0
            && (1..=MAX_ITEMS).contains(&self.items.len())
            && self.items.iter().all(Item::is_valid)
            && self
                .note
                .as_ref()
                .is_none_or(|note| note.0.len() <= MAX_NOTE_BYTES)
    }

    /// The answer to this (valid) order: the stock server's `OrderAnswer`.
    pub fn answer<'s>(&self, store: &'s Store) -> OrderAnswer<'s> {
        OrderAnswer {
            customer_id: self.customer_id,
            customer_name: u64::try_from(self.customer_id)
                .ok()
                .and_then(|id| store.get(id))
                .map(|record| record.name.as_str()),
            item_count: self.items.len(),
            total_cents: self
                .items
                .iter()
                .map(|item| u64::from(item.qty) * item.price_cents)
                .sum(),
        }
    }
}

impl Item<'_> {
    fn is_valid(&self) -> bool {
        (1..=MAX_SKU_BYTES).contains(&self.sku.0.len())
            && (1..=MAX_QTY).contains(&self.qty)
            && self.price_cents <= MAX_PRICE_CENTS
    }
}

// As in the stock server: an order or an item must be a JSON object, not an array of values.
impl<'de: 'a, 'a> Deserialize<'de> for Order<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Order::deserialize(ObjectOnly(deserializer))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Item<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Item::deserialize(ObjectOnly(deserializer))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(text))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(text.to_owned()))
            }
            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(text))
            }
        }
        deserializer.deserialize_str(TextVisitor).map(Text)
    }
}

/// `items`: a JSON array of items into a vector that starts with room for `ITEMS_RESERVED`
/// (serde's own `Vec` starts empty and doubles: three allocations for ten items).
fn items<'de: 'a, 'a, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Item<'a>>, D::Error> {
    struct ItemsVisitor<'a>(PhantomData<Item<'a>>);
    impl<'de: 'a, 'a> Visitor<'de> for ItemsVisitor<'a> {
        type Value = Vec<Item<'a>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of items")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::with_capacity(ITEMS_RESERVED);
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(items)
        }
    }
    deserializer.deserialize_seq(ItemsVisitor(PhantomData))
}
