//! The types every module shares. `Customer` is the record the one-field edit changes: every
//! module embeds it, as a shared model type is used across a real service.
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The shared record: thirteen fields, serialised inside every module's record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub street: String,
    pub city: String,
    pub postcode: String,
    pub country: String,
    pub company: String,
    pub vip: bool,
    pub credit_cents: i64,
    pub created_at: DateTime<Utc>,
    pub note: String,
    // hellobench:add-field
}

impl Customer {
    /// A deterministic customer for samples and tests.
    pub fn sample(seed: u32) -> Self {
        Customer {
            id: Uuid::new_v5(&Uuid::NAMESPACE_OID, &seed.to_le_bytes()),
            name: "customer".into(),
            email: "customer@example.com".into(),
            phone: "+44 20 7946 0000".into(),
            street: "1 High Street".into(),
            city: "London".into(),
            postcode: "N1 9GU".into(),
            country: "GB".into(),
            company: "Example Ltd".into(),
            vip: seed % 2 == 0,
            credit_cents: i64::from(seed) * 100,
            created_at: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
            note: "generated".into(),
            ..Default::default()
        }
    }
}
