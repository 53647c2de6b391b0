//! The order structs and their parse without a server: the microbenchmark payloads, and the
//! 400/422 decision where serde's first error is not the whole story.

use rust_server::{from_json, parse_order, Item, Message, Order, OrderError, Store};

const MESSAGE: &[u8] = include_bytes!("../../contract/payloads/message.json");
const ORDER_10: &[u8] = include_bytes!("../../contract/payloads/order-10.json");
const ORDER_100: &[u8] = include_bytes!("../../contract/payloads/order-100.json");

#[test]
fn the_payloads_parse_and_serialise_back_to_the_same_bytes() {
    let message: Message = from_json(MESSAGE).unwrap();
    assert_eq!(message.message, "Hello, World!");
    assert_eq!(serde_json::to_vec(&message).unwrap(), MESSAGE);
    for (payload, items) in [(ORDER_10, 10), (ORDER_100, 100)] {
        let order: Order = from_json(payload).unwrap();
        assert_eq!(order.items.len(), items);
        assert!(order.is_valid());
        assert_eq!(serde_json::to_vec(&order).unwrap(), payload);
    }
}

#[test]
fn order_10_has_the_expected_content() {
    let order: Order = from_json(ORDER_10).unwrap();
    assert_eq!(order.customer_id, 7);
    assert_eq!(
        order.items[1],
        Item {
            sku: "SKU-00001".into(),
            qty: 2,
            price_cents: 336
        }
    );
    assert_eq!(order.note.as_deref(), Some("leave at the door"));
    let store = Store::build(1);
    let answer = order.answer(&store);
    assert_eq!(answer.customer_name, Some("user-7"));
    assert_eq!(answer.item_count, 10);
    assert_eq!(answer.total_cents, 27205);
}

#[test]
fn syntax_errors_win_over_type_errors_wherever_they_are() {
    for body in [
        &br#"{"customer_id":"x","items":["#[..],
        br#"{"customer_id":-1,"items":[],}"#,
        br#"{"items":[1],"customer_id":7}}"#,
        br#"[1,2"#,
        b"",
        b"   ",
    ] {
        assert_eq!(
            parse_order(body),
            Err(OrderError::Malformed),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn well_formed_json_of_the_wrong_shape_is_invalid() {
    for body in [
        &br#"{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"customer_id":8}"#
            [..],
        br#""order""#,
        br#"true"#,
        br#"{}"#,
        br#"{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"note":[]}"#,
        br#"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#,
    ] {
        assert_eq!(
            parse_order(body),
            Err(OrderError::Invalid),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn deep_nesting_in_an_ignored_member_is_still_well_formed() {
    let deep = format!(
        r#"{{"customer_id":7,"items":[{{"sku":"A","qty":1,"price_cents":1}}],"x":{}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(parse_order(deep.as_bytes()).is_ok());
}
