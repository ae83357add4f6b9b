//! Change batches whose process died. An import marks its batch
//! `committed` or `rejected` in its own transaction, so a batch still
//! `running` after its owner is gone (a killed `jianfu import`, a server
//! that crashed) holds no data: it is marked `interrupted` by the next
//! process to start (the command line checks whenever it opens the
//! database) and, while a server runs, by its job worker every minute.
//! How an owner is known to be gone differs by engine
//! (`jianfu_store::batches::owner`). It is housekeeping, not an actor's
//! use case: the batch itself is the record.

use jianfu_store::{StoreError, batches};

use crate::app::App;

/// Marks the batches of dead owners `interrupted`, at the clock's now;
/// returns their ids.
pub async fn interrupt_orphans(app: &App) -> Result<Vec<i64>, StoreError> {
    let ids = batches::interrupt_orphans(&app.db, app.now()).await?;
    if !ids.is_empty() {
        tracing::warn!(batches = ?ids, "batches of dead processes marked interrupted");
    }
    Ok(ids)
}
