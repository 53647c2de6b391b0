//! The in-memory store of `--live-mb N`: `N * 1024` user records, built before the server is
//! ready and shared, read-only, with every request through an `Arc`.
//!
//! Each record owns its heap data (a `String` per text field, a `Vec<String>` of tags), as a
//! newcomer would write it: what that costs in memory is part of what hellobench measures.

use serde::Serialize;

/// Records per `--live-mb`.
pub const RECORDS_PER_MB: usize = 1024;
/// The largest `--live-mb`.
pub const MAX_LIVE_MB: u32 = 4096;
/// The length of every record's `bio`, in bytes.
pub const BIO_BYTES: usize = 800;

const ROLES: [&str; 3] = ["admin", "editor", "viewer"];
const COUNTRIES: [&str; 5] = ["GB", "US", "DE", "FR", "JP"];
const CITIES: [&str; 5] = ["London", "New York", "Berlin", "Paris", "Tokyo"];

/// One user: the thirteen fields of `/user` in the same order, then `bio`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub username: String,
    pub age: u32,
    pub active: bool,
    pub role: String,
    pub country: String,
    pub city: String,
    pub created_at: String,
    pub followers: u64,
    pub tags: Vec<String>,
    pub verified: bool,
    pub bio: String,
}

impl Record {
    /// Record `i`, a deterministic function of `i` (contract/README.md, "The store").
    pub fn new(i: u64) -> Record {
        let unit = format!("bio-{i}-");
        let mut bio = unit.repeat(BIO_BYTES.div_ceil(unit.len()));
        bio.truncate(BIO_BYTES);
        Record {
            id: i,
            name: format!("user-{i}"),
            email: format!("user-{i}@example.com"),
            username: format!("u{i}"),
            age: 18 + (i % 60) as u32,
            active: i.is_multiple_of(2),
            role: ROLES[(i % 3) as usize].to_string(),
            country: COUNTRIES[(i % 5) as usize].to_string(),
            city: CITIES[(i % 5) as usize].to_string(),
            created_at: "2026-01-01T00:00:00Z".to_string(),
            followers: (i * 37) % 10_000,
            tags: vec![format!("tag-{}", i % 10), format!("group-{}", i % 4)],
            verified: i.is_multiple_of(3),
            bio,
        }
    }
}

/// The records, ids `0 .. len()`.
#[derive(Debug, Default)]
pub struct Store {
    records: Vec<Record>,
}

impl Store {
    /// Builds the `live_mb * 1024` records of `--live-mb live_mb` (0 gives an empty store).
    pub fn build(live_mb: u32) -> Store {
        let count = live_mb as usize * RECORDS_PER_MB;
        let mut records = Vec::with_capacity(count);
        records.extend((0..count as u64).map(Record::new));
        Store { records }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The record with this id, if it is below the store's size.
    pub fn get(&self, id: u64) -> Option<&Record> {
        usize::try_from(id).ok().and_then(|i| self.records.get(i))
    }
}
