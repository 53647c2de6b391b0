//! The `--live-mb` store: its size and the records' contents (contract/README.md, "The store").

use rust_server::{Record, Store, BIO_BYTES, RECORDS_PER_MB};

#[test]
fn the_store_holds_1024_records_per_mb() {
    assert_eq!(RECORDS_PER_MB, 1024);
    assert!(Store::build(0).is_empty());
    assert_eq!(Store::build(0).get(0), None);
    let store = Store::build(2);
    assert_eq!(store.len(), 2048);
    assert_eq!(store.get(2047).unwrap().id, 2047);
    assert_eq!(store.get(2048), None);
    assert_eq!(store.get(u64::MAX), None);
}

#[test]
fn record_0() {
    let store = Store::build(1);
    let record = store.get(0).unwrap();
    assert_eq!(
        *record,
        Record {
            id: 0,
            name: "user-0".into(),
            email: "user-0@example.com".into(),
            username: "u0".into(),
            age: 18,
            active: true,
            role: "admin".into(),
            country: "GB".into(),
            city: "London".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            followers: 0,
            tags: vec!["tag-0".into(), "group-0".into()],
            verified: true,
            bio: "bio-0-".repeat(134)[..800].to_string(),
        }
    );
}

#[test]
fn record_7() {
    let store = Store::build(1);
    let record = store.get(7).unwrap();
    assert_eq!(record.id, 7);
    assert_eq!(record.name, "user-7");
    assert_eq!(record.email, "user-7@example.com");
    assert_eq!(record.username, "u7");
    assert_eq!(record.age, 25);
    assert!(!record.active);
    assert_eq!(record.role, "editor");
    assert_eq!(record.country, "DE");
    assert_eq!(record.city, "Berlin");
    assert_eq!(record.created_at, "2026-01-01T00:00:00Z");
    assert_eq!(record.followers, 259);
    assert_eq!(record.tags, ["tag-7", "group-3"]);
    assert!(!record.verified);
    assert_eq!(record.bio.len(), BIO_BYTES);
    assert!(record.bio.starts_with("bio-7-bio-7-"));
    // 800 = 133 * 6 + 2: the bio ends in the first two bytes of a unit.
    assert!(record.bio.ends_with("bio-7-bi"), "{}", &record.bio[790..]);
}

#[test]
fn the_last_record_of_live_mb_1() {
    let store = Store::build(1);
    let record = store.get(1023).unwrap();
    assert_eq!(record.id, 1023);
    assert_eq!(record.name, "user-1023");
    assert_eq!(record.email, "user-1023@example.com");
    assert_eq!(record.username, "u1023");
    assert_eq!(record.age, 18 + 1023 % 60);
    assert!(!record.active);
    assert_eq!(record.role, "admin");
    assert_eq!(record.country, "FR");
    assert_eq!(record.city, "Paris");
    assert_eq!(record.followers, 1023 * 37 % 10_000);
    assert_eq!(record.tags, ["tag-3", "group-3"]);
    assert!(record.verified);
    // "bio-1023-" is 9 bytes: 88 whole units and 8 bytes of the next.
    assert_eq!(record.bio, "bio-1023-".repeat(89)[..800]);
    assert_eq!(store.get(1024), None);
}

#[test]
fn every_bio_is_800_bytes_of_its_unit() {
    let store = Store::build(1);
    for i in 0..store.len() as u64 {
        let record = store.get(i).unwrap();
        let unit = format!("bio-{i}-");
        assert_eq!(record.bio.len(), 800, "{i}");
        assert!(unit.repeat(200).starts_with(&record.bio), "{i}");
    }
}

#[test]
fn a_record_serialises_with_the_user_fields_first_and_bio_last() {
    let json = serde_json::to_string(&Record::new(7)).unwrap();
    let expected_start = r#"{"id":7,"name":"user-7","email":"user-7@example.com","username":"u7","age":25,"active":false,"role":"editor","country":"DE","city":"Berlin","created_at":"2026-01-01T00:00:00Z","followers":259,"tags":["tag-7","group-3"],"verified":false,"bio":"bio-7-"#;
    assert!(json.starts_with(expected_start), "{json}");
    assert!(json.ends_with("bio-7-bi\"}"), "{json}");
}
