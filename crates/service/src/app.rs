//! What every use case runs against: the database, the one clock, and
//! what is read once per process (the key of persons' web references, the
//! region tree kept in memory).
//! The web holds one [`App`], the command line makes one per command; both
//! pass it with an [`Actor`](crate::actor::Actor) to the use cases.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_store::{Db, StoreError};
use tokio::sync::OnceCell;

use crate::clock::{self, SharedClock};
use crate::person_ref::PersonRefs;
use crate::regions::RegionCache;

/// The context of the use cases.
#[derive(Clone, Debug)]
pub struct App {
    /// The database.
    pub db: Db,
    /// Where "now" comes from.
    pub clock: SharedClock,
    /// Region lookups kept in memory.
    pub regions: Arc<RegionCache>,
    refs: Arc<OnceCell<PersonRefs>>,
}

impl App {
    /// Use cases over `db` with the system clock.
    pub fn new(db: Db) -> Self {
        App::with_clock(db, clock::system())
    }

    /// Use cases over `db` with `clock` (tests set the time).
    pub fn with_clock(db: Db, clock: SharedClock) -> Self {
        App {
            db,
            clock,
            regions: Arc::default(),
            refs: Arc::default(),
        }
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today in China.
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// Persons' web references under the database's key, read once.
    pub async fn person_refs(&self) -> Result<&PersonRefs, StoreError> {
        self.refs
            .get_or_try_init(|| PersonRefs::load(&self.db))
            .await
    }
}
