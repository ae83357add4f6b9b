//! An import under way: its transaction, its change batch, what it has
//! written so far, and the search indexes a large first load builds at
//! the end instead of row by row where the dialect defers them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::ImportStats;
use super::heads::HeadGuard;
use crate::audit::{self, AuditEntry};
use crate::batches::{AtWork, NewBatch, Owner};
use crate::jobs::{self, Lease};
use crate::monitoring::Touched;
use crate::sql::Tx;
use crate::{Db, Result, batches};

/// An import under way: a transaction plus its change batch. The writes
/// of its chunks ([`RegistryImport::write_persons`] and the others) run
/// in the transaction, which the caller may use too ([`RegistryImport::tx`])
/// to commit something of its own with the import.
pub struct RegistryImport {
    pub(super) tx: Tx,
    pub(super) db: Db,
    pub(super) batch_id: i64,
    /// The job attempt running this import, if any: it must still hold
    /// its job when the import commits.
    job: Option<Lease>,
    /// Change-log entries numbered so far.
    pub(super) seq: i64,
    pub(super) now: DateTime<Utc>,
    /// Households already created or compared in this import.
    pub(super) handled_households: HashSet<(String, String)>,
    /// Head rows held back while their household has another active head.
    pub(super) heads: HeadGuard,
    /// What has been written so far.
    pub stats: ImportStats,
    /// The households whose monitoring inputs were changed so far.
    pub(crate) monitored: Touched,
    /// Indexes dropped by [`RegistryImport::defer_search_indexes`] and not
    /// built again yet.
    deferred_indexes: Vec<(&'static str, &'static str)>,
    /// Tells this process the import is at work until it has ended.
    at_work: AtWork,
}

/// Secondary indexes of `persons` that a persons import does not read,
/// with their definitions as the latest migration leaves them (a test
/// compares the two). A large load builds them once at the end instead of
/// row by row where the dialect defers indexes. (The import reads `persons_household` only to
/// move the members of a stored household to its new village; it builds
/// that index first when it needs it.)
pub const DEFERRABLE_INDEXES: [(&str, &str); 3] = [
    (
        "persons_household",
        "CREATE INDEX persons_household ON persons (household_no, county_code)",
    ),
    (
        "persons_name",
        "CREATE INDEX persons_name ON persons (name, id_number, village_code)",
    ),
    (
        "persons_village",
        "CREATE INDEX persons_village ON persons (village_code, household_no, id_number)",
    ),
];

/// Loads of fewer rows keep their indexes up to date row by row.
pub const DEFER_FROM_ROWS: u64 = 100_000;

impl RegistryImport {
    /// Starts an import of `kind` (`persons`, `diagnoses`, `claims`,
    /// `policy`, `upgrade`) from `source_file` by `user`: records the
    /// change batch on a connection of its own (so a rejected import keeps
    /// its record; run as a job, it names the job attempt:
    /// [`jobs::within`]) with this process as its owner, and opens the
    /// import's transaction, which holds the owner's lock where the engine
    /// has them (taken before the batch is visible, so no one takes the
    /// batch for a dead owner's meanwhile).
    pub async fn begin(db: &Db, kind: &str, source_file: &str, user: &str) -> Result<Self> {
        let now = Utc::now();
        let job = jobs::current_lease();
        let (owner, at_work) = Owner::new_import();
        let stored = owner.stored();
        let new = NewBatch {
            kind,
            source_file,
            user,
            job: job.as_ref(),
            owner: &stored,
        };
        let record = async || batches::start(&mut db.read().await?, &new, now).await;
        let (mut tx, batch_id) = if db.owner_locks() {
            let mut tx = db.begin().await?;
            tx.hold_owner(owner.key).await?;
            let id = record().await?;
            (tx, id)
        } else {
            // The other way round the record would wait for the writer
            // that the import's own transaction holds.
            let id = record().await?;
            (db.begin().await?, id)
        };
        // Where a rejected import rolls back to, keeping its transaction to
        // record the rejection in.
        tx.exec("SAVEPOINT import_start", &[]).await?;
        Ok(RegistryImport {
            tx,
            db: db.clone(),
            batch_id,
            job,
            seq: 0,
            now,
            handled_households: HashSet::new(),
            heads: HeadGuard::default(),
            stats: ImportStats::default(),
            monitored: Touched::default(),
            deferred_indexes: Vec::new(),
            at_work,
        })
    }

    /// The change batch of this import.
    pub fn batch_id(&self) -> i64 {
        self.batch_id
    }

    /// The import's transaction, for writes the caller commits with it.
    pub fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// The households whose monitoring inputs this import has changed so
    /// far (handed over once: the set is left empty), for the
    /// evaluation that commits with it.
    pub fn take_touched(&mut self) -> Touched {
        std::mem::take(&mut self.monitored)
    }

    /// Prepares a load of `incoming` persons rows where the dialect
    /// defers indexes (`Tx::defers_indexes`): when it is large (100,000 rows or more,
    /// and at least twice as many as are stored, so mostly new persons),
    /// drops the [`DEFERRABLE_INDEXES`] inside this import's transaction;
    /// [`RegistryImport::commit`] builds them again before committing,
    /// and a rollback restores them with everything else. Sorting once is
    /// several times faster than keeping more B-trees in step row by row.
    /// The primary keys, which the import reads, stay. True when deferred.
    pub async fn defer_search_indexes(&mut self, incoming: u64) -> Result<bool> {
        let tx = &mut self.tx;
        if !tx.defers_indexes() || incoming < DEFER_FROM_ROWS {
            return Ok(false);
        }
        let stored: i64 = tx.scalar("SELECT COUNT(*) FROM persons", &[]).await?;
        if (incoming as i64) < 2 * stored {
            return Ok(false);
        }
        for (name, _) in DEFERRABLE_INDEXES {
            // An identifier of this crate.
            tx.exec(AssertSqlSafe(format!("DROP INDEX {name}")), &[])
                .await?;
        }
        self.deferred_indexes = DEFERRABLE_INDEXES.to_vec();
        Ok(true)
    }

    /// Builds the deferred index `name` now if it was dropped.
    pub(super) async fn ensure_index(&mut self, name: &str) -> Result<()> {
        let Some(at) = self.deferred_indexes.iter().position(|(n, _)| *n == name) else {
            return Ok(());
        };
        let (_, create) = self.deferred_indexes.remove(at);
        self.build_indexes(&[create]).await
    }

    /// Builds indexes inside the import's transaction.
    async fn build_indexes(&mut self, creates: &[&'static str]) -> Result<()> {
        let started = std::time::Instant::now();
        self.tx.build_indexes(creates).await?;
        tracing::info!(
            indexes = creates.len(),
            ms = started.elapsed().as_millis() as u64,
            "deferred indexes built"
        );
        Ok(())
    }

    /// Records the outcome in the batch and commits it with everything
    /// written. Run as a job attempt that no longer holds its job, it
    /// rolls back instead ([`crate::StoreError::Superseded`]).
    pub async fn commit(mut self, rows_total: u64, errors: u64) -> Result<ImportStats> {
        let deferred: Vec<&'static str> = std::mem::take(&mut self.deferred_indexes)
            .into_iter()
            .map(|(_, create)| create)
            .collect();
        if !deferred.is_empty() {
            self.build_indexes(&deferred).await?;
        }
        let s = &self.stats;
        let written = s.persons_created
            + s.persons_updated
            + s.persons_unchanged
            + s.diagnoses_created
            + s.diagnoses_updated
            + s.diagnoses_unchanged
            + s.claims_created
            + s.reversals_created
            + s.claims_unchanged
            + s.pushes_created
            + s.pushes_unchanged;
        let RegistryImport {
            mut tx,
            batch_id,
            job,
            stats,
            at_work,
            ..
        } = self;
        let counts = (rows_total, written, errors);
        batches::commit_in(
            &mut tx,
            batch_id,
            job.as_ref(),
            counts,
            &stats.counties,
            Utc::now(),
        )
        .await?;
        tx.commit().await?;
        drop(at_work);
        Ok(stats)
    }

    /// Discards everything written and records why, in the import's own
    /// transaction (rolled back to its start), so that its owner lock is
    /// held until the batch reads `rejected`. If the engine has already
    /// rolled the whole transaction back (SQLite does after some errors),
    /// the rejection is recorded in a transaction of its own.
    pub async fn rollback(self, rows_total: u64, errors: u64) -> Result<()> {
        self.end_rejected((rows_total, 0, errors), None).await
    }

    /// As [`RegistryImport::rollback`], appending `entry` (stamped `at`)
    /// in the transaction that records the rejection: the attempt is on
    /// record exactly when its rejection is.
    pub async fn reject_audited(
        self,
        rows_total: u64,
        errors: u64,
        entry: &AuditEntry,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.end_rejected((rows_total, 0, errors), Some((entry, at)))
            .await
    }

    async fn end_rejected(
        self,
        counts: batches::Counts,
        entry: Option<(&AuditEntry, DateTime<Utc>)>,
    ) -> Result<()> {
        let RegistryImport {
            mut tx,
            db,
            batch_id,
            at_work,
            ..
        } = self;
        let back = tx.exec("ROLLBACK TO SAVEPOINT import_start", &[]).await;
        if back.is_err() {
            // The engine ended the transaction itself: nothing to roll back.
            let _ = tx.rollback().await;
            tx = db.begin().await?;
        }
        batches::finish(&mut tx, batch_id, "rejected", counts, Utc::now()).await?;
        if let Some((entry, at)) = entry {
            audit::append_at(&mut tx, entry, at).await?;
        }
        tx.commit().await?;
        drop(at_work);
        Ok(())
    }
}
