//! The disease lists shipped with the binary, stored once per version so
//! the database records which lists were in force.

use crate::sql::{Tx, Value};
use crate::{Result, StoreError};

/// Stores each shipped disease list version (id, version, validity and
/// its TOML source) unless that version is already there. Returns how
/// many were added.
pub async fn seed_disease_lists(tx: &mut Tx) -> Result<u64> {
    let sql = "INSERT INTO disease_lists (list_id, version, name, valid_from, valid_to, source) \
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (list_id, version) DO NOTHING";
    let mut added = 0;
    for (file, text) in jianfu_domain::disease::BUILT_IN_LISTS {
        let list = jianfu_domain::DiseaseList::from_toml(file, text)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let args = [
            Value::Text(&list.id),
            Value::Text(&list.version),
            Value::Text(&list.name),
            Value::Date(list.valid_from),
            list.valid_to.into(),
            Value::Text(text),
        ];
        added += tx.exec(sql, &args).await?;
    }
    Ok(added)
}

/// The disease lists stored: (id, version, name).
pub async fn disease_lists(tx: &mut Tx) -> Result<Vec<(String, String, String)>> {
    let sql = "SELECT list_id, version, name FROM disease_lists ORDER BY list_id, version";
    tx.all(sql, &[]).await
}
