//! Property tests of the id and ms parsing (`/users/{id}`, `/db/users/{id}`, `/io?ms=`,
//! `/db/sleep?ms=`), through a real server on a real socket: the parsers are private to the
//! handlers, and what counts is what a client gets. Each generated target's status is worked out
//! from contract/README.md's rules (1 to 18 ASCII digits; ms decimal digits only, 0..10000, the
//! first `ms=` wins; nothing percent-decoded). The server runs with `--live-mb 1` (1024 records)
//! and no database, so a good /db target is 503 and a bad one 400, without a query.
//!
//! Cases: 1,000 (`make test`), or `HELLOBENCH_PROPTEST_CASES` (`make fuzz`).

mod common;

use common::{Client, TestServer};
use proptest::prelude::*;
use std::sync::{Mutex, OnceLock};
use tokio::runtime::Runtime;

fn config() -> ProptestConfig {
    let cases = std::env::var("HELLOBENCH_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        // `make test` replays the same cases every time (seed 1); `make fuzz` searches.
        rng_seed: if std::env::var_os("HELLOBENCH_PROPTEST_CASES").is_some() {
            proptest::test_runner::RngSeed::Random
        } else {
            proptest::test_runner::RngSeed::Fixed(1)
        },
        ..ProptestConfig::default()
    }
}

/// One server and one keep-alive connection for every case (a case that closes it reconnects).
struct Fixture {
    runtime: Runtime,
    server: TestServer,
    client: Mutex<Option<Client>>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(TestServer::start_with_live_mb(1));
        Fixture {
            runtime,
            server,
            client: Mutex::new(None),
        }
    })
}

/// Sends `GET target` and returns the status and body.
fn get(target: &str) -> (u16, String) {
    let fixture = fixture();
    let mut slot = fixture.client.lock().unwrap();
    fixture.runtime.block_on(async {
        if slot.is_none() {
            *slot = Some(Client::connect(fixture.server.addr).await);
        }
        let client = slot.as_mut().unwrap();
        let response = client.get(target).await;
        let close = response
            .header_values("Connection")
            .iter()
            .any(|v| v.eq_ignore_ascii_case("close"));
        if close {
            *slot = None;
        }
        (response.status, response.body_text().to_string())
    })
}

/// Characters a client may put in a path or query (no space, no '#', no '?' in the path).
fn id_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{0,21}",
        "[0-9]{1,18}",
        "0{0,20}[0-9]{1,4}",
        "[0-9+\\-.a-zA-Z_~%]{0,6}[0-9]{0,19}[0-9a-z.%]{0,3}",
        Just("%31".to_string()),
        Just("1%30".to_string()),
        Just("\u{663}".to_string()), // Arabic-Indic digit three, percent-encoded below
    ]
    .prop_map(|s| {
        s.bytes()
            .map(|b| {
                if b.is_ascii() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    })
}

fn decimal_id(id: &str) -> Option<u64> {
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// A query with zero or more pairs, `ms=` among them or not.
fn query() -> impl Strategy<Value = String> {
    let ms_value = prop_oneof![
        "[0-9]{0,6}",
        "0{0,25}[0-9]{1,5}",
        Just("10000".to_string()),
        Just("10001".to_string()),
        Just("18446744073709551616".to_string()),
        "[0-9+\\-. a-z%]{0,4}[0-9]{0,3}",
        Just("%35".to_string()),
    ];
    let pair = prop_oneof![
        ms_value.prop_map(|v| format!("ms={v}")),
        "[a-z]{0,3}=[0-9a-z]{0,3}",
        Just("ms".to_string()),
        Just("MS=5".to_string()),
        Just("xms=5".to_string()),
    ];
    prop::collection::vec(pair, 0..4).prop_map(|pairs| pairs.join("&").replace(' ', "+"))
}

/// The ms a query asks for, by the contract: the first `ms=`, decimal digits, 0..10000.
fn wait_ms(query: &str) -> Option<u64> {
    let ms = query.split('&').find_map(|p| p.strip_prefix("ms="))?;
    if ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ms.parse().ok().filter(|&ms| ms <= 10_000)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn user_ids_follow_the_contract(id in id_text()) {
        let (status, body) = get(&format!("/users/{id}"));
        match decimal_id(&id) {
            None => prop_assert_eq!((status, body.as_str()), (400, "id must be a decimal integer"), "/users/{}", id),
            Some(n) if n < 1024 => {
                prop_assert_eq!(status, 200, "/users/{}", id);
                let record: serde_json::Value = serde_json::from_str(&body).unwrap();
                prop_assert_eq!(&record["id"], &serde_json::json!(n));
            }
            Some(_) => prop_assert_eq!((status, body.as_str()), (404, "Not Found"), "/users/{}", id),
        }
    }

    #[test]
    fn db_user_ids_are_checked_before_any_query(id in id_text()) {
        let (status, _) = get(&format!("/db/users/{id}"));
        let want = if decimal_id(&id).is_some() { 503 } else { 400 };
        prop_assert_eq!(status, want, "/db/users/{}", id);
    }

    #[test]
    fn waits_follow_the_contract(query in query()) {
        // /db/sleep parses ms as /io does and, without a database, answers at once.
        let (status, body) = get(&format!("/db/sleep?{query}"));
        match wait_ms(&query) {
            Some(_) => prop_assert_eq!(status, 503, "/db/sleep?{}", query),
            None => prop_assert_eq!((status, body.as_str()), (400, "ms must be an integer 0..10000"), "/db/sleep?{}", query),
        }
        // /io itself, where the wait is short enough to take.
        if matches!(wait_ms(&query), None | Some(0..=2)) {
            let (status, body) = get(&format!("/io?{query}"));
            let want = if wait_ms(&query).is_some() { (200, "Hello, World!") } else { (400, "ms must be an integer 0..10000") };
            prop_assert_eq!((status, body.as_str()), want, "/io?{}", query);
        }
    }
}
