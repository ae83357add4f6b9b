//! A registry written under an older schema keeps every row through the
//! later migrations (here: persons re-keyed by ID number first, 0008).

use chrono::NaiveDate;
use jianfu_domain::PersonRecord;
use jianfu_store::{Db, testing};
use sqlx::migrate::Migrator;

/// The migrations of `db`'s engine up to and including `version`.
fn migrator_up_to(db: &Db, version: i64) -> Migrator {
    let mut m = match db {
        Db::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
        Db::Postgres(_) => sqlx::migrate!("./migrations/postgres"),
    };
    m.migrations = m
        .migrations
        .iter()
        .filter(|x| x.version <= version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    m
}

async fn run(m: &Migrator, db: &Db) {
    match db {
        Db::Sqlite(p) => m.run(p).await.unwrap(),
        Db::Postgres(p) => m.run(p).await.unwrap(),
    }
}

/// Unmigrated databases: a SQLite file, and a new PostgreSQL database when
/// `JIANFU_TEST_PG` names a server.
async fn empty_databases(dir: &std::path::Path) -> Vec<Db> {
    let mut out = vec![
        Db::connect(&format!("sqlite://{}", dir.join("old.db").display()))
            .await
            .unwrap(),
    ];
    if let Ok(base) = std::env::var("JIANFU_TEST_PG") {
        let name = format!("jianfu_migr_{}", std::process::id());
        let admin = Db::connect(&base).await.unwrap();
        let mut c = admin.read().await.unwrap();
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            c.exec(sqlx::AssertSqlSafe(sql), &[]).await.unwrap();
        }
        drop(c);
        admin.close().await;
        let head = base.rsplit_once('/').map_or(base.as_str(), |(h, _)| h);
        out.push(Db::connect(&format!("{head}/{name}")).await.unwrap());
    }
    out
}

fn persons() -> Vec<(u64, PersonRecord)> {
    let village = ["130624100200".to_string()];
    (0..500usize)
        .map(|i| {
            let birth = NaiveDate::from_ymd_opt(1950 + (i % 60) as i32, 1, 1).unwrap();
            let (row, mut p) = testing::member(i, &village, format!("迁移{i:03}"), birth);
            p.phone = (i % 2 == 0).then(|| format!("1380000{i:04}"));
            (row, p)
        })
        .collect()
}

type Row = (String, String, String, String, String, Option<String>);

async fn stored(db: &Db) -> Vec<Row> {
    let sql = "SELECT county_code, id_number, household_no, village_code, name, phone \
               FROM persons ORDER BY id_number";
    db.read().await.unwrap().all(sql, &[]).await.unwrap()
}

async fn index_names(db: &Db) -> Vec<String> {
    let sql = match db {
        Db::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Db::Postgres(_) => {
            "SELECT indexname::text FROM pg_indexes WHERE tablename = 'persons' \
             AND indexname <> 'persons_pkey' ORDER BY 1"
        }
    };
    db.read().await.unwrap().scalars(sql, &[]).await.unwrap()
}

#[tokio::test]
async fn persons_survive_the_rekeying() {
    let dir = tempfile::tempdir().unwrap();
    for db in empty_databases(dir.path()).await {
        run(&migrator_up_to(&db, 7), &db).await;
        assert!(
            index_names(&db)
                .await
                .contains(&"persons_id_number".to_string())
        );
        let rows = persons();
        // Today's import names its owner in its batch, a column of a later
        // migration: lent to the old schema for this import only.
        // A pooled SQLite connection that prepared against the schema
        // before the column was added can refuse the DROP once ("no such
        // column") before it reloads the schema: tried again, it passes.
        let owner = async |sql: &'static str| {
            for attempt in 0.. {
                let mut tx = db.begin().await.unwrap();
                match tx.exec(sql, &[]).await {
                    Ok(_) => return tx.commit().await.unwrap(),
                    Err(e) if attempt == 5 => panic!("{sql}: {e}"),
                    Err(_) => drop(tx),
                }
            }
        };
        owner("ALTER TABLE change_batches ADD COLUMN owner TEXT").await;
        let mut imp = jianfu_store::RegistryImport::begin(&db, "persons", "old.csv", "tester")
            .await
            .unwrap();
        imp.write_persons(&rows).await.unwrap();
        imp.commit(rows.len() as u64, 0).await.unwrap();
        owner("ALTER TABLE change_batches DROP COLUMN owner").await;
        let before = stored(&db).await;
        assert_eq!(before.len(), 500);

        db.migrate().await.unwrap();
        let after = stored(&db).await;
        assert_eq!(after.len(), before.len(), "every person");
        if let Some((b, a)) = before.iter().zip(&after).find(|(b, a)| b != a) {
            panic!("a person changed in the migration: {b:?} became {a:?}");
        }
        assert_eq!(
            index_names(&db).await,
            ["persons_household", "persons_name", "persons_village"],
            "the ID-number index is gone, the others are back"
        );
        // Lookups by ID number now go through the new key: the stored
        // persons are found again, not added twice.
        let mut imp = jianfu_store::RegistryImport::begin(&db, "persons", "again.csv", "tester")
            .await
            .unwrap();
        let conflicts = imp.write_persons(&rows).await.unwrap();
        assert!(conflicts.is_empty());
        let stats = imp.commit(rows.len() as u64, 0).await.unwrap();
        assert_eq!(stats.persons_unchanged, 500);
        assert_eq!(stats.persons_created, 0);
        db.close().await;
    }
}
