//! Application keys shared by every server on one database (`app_keys`).

use crate::Result;
use crate::sql::{Tx, Value};

/// The application key `name`: the one stored, or `fresh` stored now
/// when there is none. Every server sharing the database gets the same
/// key, whichever of them asked first.
pub async fn app_key(tx: &mut Tx, name: &str, fresh: &str) -> Result<String> {
    let insert = "INSERT INTO app_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
    tx.exec(insert, &[Value::Text(name), Value::Text(fresh)])
        .await?;
    let sql = "SELECT value FROM app_keys WHERE name = $1";
    tx.scalar(sql, &[Value::Text(name)]).await
}
