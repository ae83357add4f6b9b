//! Who runs an import, so that a batch whose process died can be told
//! from one still at work.
//!
//! An import marks its batch `committed` or `rejected` inside its own
//! transaction, so a batch still `running` whose owner is gone died
//! uncommitted: [`interrupt_orphans`] marks it `interrupted`. "Gone" must
//! be sure, for several processes share a database:
//!
//! - **PostgreSQL**: the import's transaction holds a shared advisory lock
//!   on the owner's key from before its batch is visible until it ends;
//!   the lock is free exactly when that transaction is over (the server
//!   drops a dead client's transaction and its locks), whichever host ran
//!   it.
//! - **SQLite**: its processes share one host (the database is a local
//!   file), so the owner's process is looked up by id (`/proc`, Linux); the
//!   random part of the owner tells a process that reused the id, and
//!   inside this process the imports still at work are known. Where the
//!   process cannot be looked up (another host, no `/proc`) the owner
//!   counts as alive: such a batch stays `running` rather than be taken
//!   for dead wrongly.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::{LazyLock, Mutex};

use chrono::{DateTime, Utc};

use crate::sql::Value;
use crate::{Db, Result};

/// This process: host, process id and a random part.
static PROCESS: LazyLock<(String, u32, String)> = LazyLock::new(|| {
    let nonce = format!("{:08x}", random() as u32);
    (host_name(), std::process::id(), nonce)
});

/// Owner keys of this process's imports still at work.
static LIVE: LazyLock<Mutex<HashSet<i32>>> = LazyLock::new(Mutex::default);

/// The machine's name as the kernel has it (the same for every process
/// on it), else as configured.
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|f| std::fs::read_to_string(f).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().replace(':', "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

/// A random number: std's hasher keys are seeded randomly per process
/// and differ per call. Uniqueness matters here, not secrecy.
fn random() -> u64 {
    std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now())
}

/// `host:pid:nonce`, naming this process (job workers name their leases
/// with it too).
pub fn process_name() -> String {
    let (host, pid, nonce) = &*PROCESS;
    format!("{host}:{pid}:{nonce}")
}

/// The owner of one import: this process and a key of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    host: String,
    pid: u32,
    nonce: String,
    /// The key of the import's owner lock (PostgreSQL).
    pub key: i32,
}

impl Owner {
    /// A new owner in this process, counted as at work until the guard
    /// is dropped.
    pub fn new_import() -> (Owner, AtWork) {
        let (host, pid, nonce) = PROCESS.clone();
        let mut live = LIVE.lock().expect("owners lock");
        let key = loop {
            let key = random() as i32;
            if live.insert(key) {
                break key;
            }
        };
        let owner = Owner {
            host,
            pid,
            nonce,
            key,
        };
        (owner, AtWork(key))
    }

    /// The owner as stored (`host:pid:nonce:key`).
    pub fn stored(&self) -> String {
        format!("{}:{}:{}:{}", self.host, self.pid, self.nonce, self.key)
    }

    /// The owner stored as `text`; `None` if it is not one.
    pub fn parse(text: &str) -> Option<Owner> {
        let mut parts = text.rsplitn(4, ':');
        let key = parts.next()?.parse().ok()?;
        let nonce = parts.next()?.to_string();
        let pid = parts.next()?.parse().ok()?;
        let host = parts.next()?.to_string();
        Some(Owner {
            host,
            pid,
            nonce,
            key,
        })
    }

    /// True when the owner's process is surely gone, or it is this
    /// process and the import no longer at work. False when it may live.
    pub fn process_gone(&self) -> bool {
        let (host, pid, nonce) = &*PROCESS;
        if self.host != *host {
            return false;
        }
        if self.pid == *pid && self.nonce == *nonce {
            return !LIVE.lock().expect("owners lock").contains(&self.key);
        }
        if self.pid == *pid {
            // This process id, another process: that one has ended.
            return true;
        }
        let proc = std::path::Path::new("/proc");
        proc.join("self").exists() && !proc.join(self.pid.to_string()).exists()
    }
}

/// An import of this process at work; dropped when it has ended.
#[derive(Debug)]
pub struct AtWork(i32);

impl Drop for AtWork {
    fn drop(&mut self) {
        LIVE.lock().expect("owners lock").remove(&self.0);
    }
}

/// Marks `interrupted`, at `now`, the batches still `running` whose owner
/// is gone (see the module documentation); returns their ids. Batches
/// without an owner (from before owners were recorded) are left alone.
pub async fn interrupt_orphans(db: &Db, now: DateTime<Utc>) -> Result<Vec<i64>> {
    let sql = "SELECT id, owner FROM change_batches \
               WHERE status = 'running' AND owner IS NOT NULL ORDER BY id";
    let running: Vec<(i64, String)> = db.read().await?.all(sql, &[]).await?;
    let mut marked = Vec::new();
    for (id, stored) in running {
        let Some(owner) = Owner::parse(&stored) else {
            continue;
        };
        // Judged by its process first where the engine has no owner locks,
        // so a live owner costs no wait for SQLite's writer.
        if !db.owner_locks() && !owner.process_gone() {
            continue;
        }
        let mut tx = db.begin().await?;
        if db.owner_locks() && !tx.owner_released(owner.key).await? {
            continue;
        }
        let sql = "UPDATE change_batches SET status = 'interrupted', finished_at = $1 \
                   WHERE id = $2 AND status = 'running'";
        let n = tx
            .exec(sql, &[Value::Timestamp(now), Value::Int(id)])
            .await?;
        tx.commit().await?;
        if n == 1 {
            marked.push(id);
        }
    }
    Ok(marked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_read_back_as_stored() {
        let (owner, _at_work) = Owner::new_import();
        assert_eq!(Owner::parse(&owner.stored()), Some(owner.clone()));
        assert!(!owner.process_gone(), "at work");
        assert_eq!(Owner::parse("no owner"), None);
    }

    #[test]
    fn an_owner_is_gone_when_its_import_or_process_ended() {
        let (owner, at_work) = Owner::new_import();
        drop(at_work);
        assert!(owner.process_gone(), "this process, the import ended");
        let mut reused = owner.clone();
        reused.nonce = "another".into();
        assert!(reused.process_gone(), "an earlier process with this id");
        let mut elsewhere = owner.clone();
        elsewhere.host = "elsewhere".into();
        assert!(!elsewhere.process_gone(), "another host cannot be judged");
        let mut other = owner;
        other.pid = u32::MAX;
        other.nonce = "other".into();
        assert_eq!(
            other.process_gone(),
            std::path::Path::new("/proc/self").exists(),
            "no such process"
        );
    }
}
