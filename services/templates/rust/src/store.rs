//! The modules' persistence: JSON documents by table and id, kept in memory or in PostgreSQL
//! (sqlx, one JSONB table per module).
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use serde_json::Value;
use sqlx::postgres::{PgPool, PgPoolOptions};
use uuid::Uuid;

/// Keeps JSON documents by table and id.
pub trait Store {
    fn put(
        &self,
        table: &'static str,
        id: Uuid,
        body: Value,
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send;
    fn get(
        &self,
        table: &'static str,
        id: Uuid,
    ) -> impl std::future::Future<Output = anyhow::Result<Option<Value>>> + Send;
}

/// A store in a map, shared between handlers.
#[derive(Clone, Default)]
pub struct Memory {
    rows: Arc<RwLock<HashMap<(&'static str, Uuid), Value>>>,
}

impl Store for Memory {
    async fn put(&self, table: &'static str, id: Uuid, body: Value) -> anyhow::Result<()> {
        self.rows.write().expect("store lock").insert((table, id), body);
        Ok(())
    }
    async fn get(&self, table: &'static str, id: Uuid) -> anyhow::Result<Option<Value>> {
        Ok(self.rows.read().expect("store lock").get(&(table, id)).cloned())
    }
}

/// A store in PostgreSQL: table <name> (id uuid primary key, body jsonb).
#[derive(Clone)]
pub struct Postgres {
    pool: PgPool,
}

impl Postgres {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        Ok(Postgres { pool })
    }
}

impl Store for Postgres {
    async fn put(&self, table: &'static str, id: Uuid, body: Value) -> anyhow::Result<()> {
        let sql = format!(
            "INSERT INTO {table} (id, body) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body"
        );
        sqlx::query(&sql)
            .bind(id)
            .bind(sqlx::types::Json(body))
            .execute(&self.pool)
            .await
            .with_context(|| format!("insert into {table}"))?;
        Ok(())
    }
    async fn get(&self, table: &'static str, id: Uuid) -> anyhow::Result<Option<Value>> {
        let sql = format!("SELECT body FROM {table} WHERE id = $1");
        let row: Option<(sqlx::types::Json<Value>,)> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .with_context(|| format!("select from {table}"))?;
        Ok(row.map(|(body,)| body.0))
    }
}

/// The store the service was started with.
#[derive(Clone)]
pub enum AnyStore {
    Memory(Memory),
    Postgres(Postgres),
}

impl AnyStore {
    pub fn memory() -> Self {
        AnyStore::Memory(Memory::default())
    }
    pub async fn postgres(url: &str) -> anyhow::Result<Self> {
        Ok(AnyStore::Postgres(Postgres::connect(url).await?))
    }
}

impl Store for AnyStore {
    async fn put(&self, table: &'static str, id: Uuid, body: Value) -> anyhow::Result<()> {
        match self {
            AnyStore::Memory(m) => m.put(table, id, body).await,
            AnyStore::Postgres(p) => p.put(table, id, body).await,
        }
    }
    async fn get(&self, table: &'static str, id: Uuid) -> anyhow::Result<Option<Value>> {
        match self {
            AnyStore::Memory(m) => m.get(table, id).await,
            AnyStore::Postgres(p) => p.get(table, id).await,
        }
    }
}
