//! Fresh databases for tests on both engines.
//!
//! SQLite always runs (a file in a temp directory). PostgreSQL runs when
//! `JIANFU_TEST_PG` names a server (`scripts/test.sh` starts one); each
//! call creates a new database on it so tests can run in parallel. With
//! `JIANFU_REQUIRE_PG=1` a missing server is a failure, not a skip.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Db, Engine, regions};

/// A migrated, empty database and what keeps it alive.
pub struct TestDb {
    /// The pool.
    pub db: Db,
    /// The URL it was opened with.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// The engine of this database.
    pub fn engine(&self) -> Engine {
        self.db.engine()
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh SQLite database in a temp directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let db = Db::open(&url).await.expect("open SQLite");
    TestDb {
        db,
        url,
        _dir: Some(dir),
    }
}

/// A fresh PostgreSQL database, if a server is configured.
pub async fn postgres() -> Option<TestDb> {
    let Ok(base) = std::env::var("JIANFU_TEST_PG") else {
        if std::env::var("JIANFU_REQUIRE_PG").is_ok_and(|v| v == "1") {
            panic!("JIANFU_REQUIRE_PG=1 but JIANFU_TEST_PG is not set");
        }
        eprintln!("JIANFU_TEST_PG not set: PostgreSQL part skipped");
        return None;
    };
    let name = format!(
        "jianfu_t{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_subsec_nanos()
    );
    let admin = Db::connect(&base).await.expect("connect to JIANFU_TEST_PG");
    let mut c = admin.read().await.expect("a connection to JIANFU_TEST_PG");
    // The name is made here, never taken from input.
    c.exec(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")), &[])
        .await
        .expect("create test database");
    drop(c);
    admin.close().await;
    // The base URL names a database; the test database replaces it.
    let head = base.rsplit_once('/').map_or(base.as_str(), |(h, _)| h);
    let url = format!("{head}/{name}");
    let db = Db::open(&url).await.expect("open PostgreSQL test database");
    Some(TestDb {
        db,
        url,
        _dir: None,
    })
}

/// Every configured engine: SQLite, and PostgreSQL when available.
pub async fn all() -> Vec<TestDb> {
    let mut out = vec![sqlite().await];
    out.extend(postgres().await);
    out
}

/// Loads the region tree of prefecture `city` (4 digits) and returns the
/// first `n` village codes of each county asked for, in code order.
pub async fn villages_of(db: &Db, city: &str, counties: &[&str], n: usize) -> Vec<Vec<String>> {
    let mut tx = db.begin().await.expect("a transaction");
    regions::load_regions(&mut tx, 2023, jianfu_regions::regions(city), |_| {})
        .await
        .expect("regions load");
    tx.commit().await.expect("regions committed");
    let mut c = db.read().await.expect("a connection");
    let mut out = Vec::new();
    for county in counties {
        let codes = regions::regions_at_level(&mut c, county, jianfu_domain::RegionLevel::Village)
            .await
            .expect("villages")
            .into_iter()
            .map(|r| r.code)
            .take(n)
            .collect();
        out.push(codes);
    }
    out
}

/// Person `i` of a test registry, with its file row (`i + 2`): households
/// of three (the first member the head, then children), household
/// `h = i / 3` in `villages[h % villages.len()]` numbered `{village}{h:05}`,
/// an ID number of the village's county with birth date `birth` and
/// sequence `i % 900`; an 边缘易致贫户 member with no groups, active, no
/// phone. Tests change the fields they vary.
pub fn member(
    i: usize,
    villages: &[String],
    name: String,
    birth: chrono::NaiveDate,
) -> (u64, jianfu_domain::PersonRecord) {
    use jianfu_domain::{
        GroupSet, HouseholdRecord, HouseholdType, IdCardNo, PersonRecord, PersonStatus, RegionCode,
        Relation,
    };
    let h = i / 3;
    let village = &villages[h % villages.len()];
    let record = PersonRecord {
        household: HouseholdRecord {
            household_no: format!("{village}{h:05}"),
            village: RegionCode::parse(village).expect("a village code"),
            household_type: HouseholdType::Edge,
            income_per_capita: None,
        },
        name,
        id: IdCardNo::from_parts(&village[..6], birth, (i % 900) as u16).expect("a valid ID"),
        relation: if i.is_multiple_of(3) {
            Relation::Head
        } else {
            Relation::Child
        },
        groups: GroupSet::EMPTY,
        phone: None,
        status: PersonStatus::Active,
    };
    (i as u64 + 2, record)
}
