//! A large load into SQLite builds the search indexes at commit: they come
//! back exactly as the migrations define them, a rollback restores them,
//! and searches answer the same afterwards. PostgreSQL never defers.

use chrono::NaiveDate;
use jianfu_domain::{
    GroupSet, HouseholdRecord, HouseholdType, IdCardNo, PersonRecord, PersonStatus, RegionCode,
    Relation, Scope,
};
use jianfu_store::registry::PersonSearch;
use jianfu_store::{DEFER_FROM_ROWS, Db, testing};

async fn index_sql(db: &Db) -> Vec<(String, Option<String>)> {
    let Db::Sqlite(p) = db else {
        unreachable!("SQLite only")
    };
    sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' \
         ORDER BY name",
    )
    .fetch_all(p)
    .await
    .unwrap()
}

fn rows(n: u16) -> Vec<(u64, PersonRecord)> {
    (0..n)
        .map(|i| {
            let record = PersonRecord {
                household: HouseholdRecord {
                    household_no: format!("130624100200{:04}", i / 2),
                    village: RegionCode::parse("130624100200").unwrap(),
                    household_type: HouseholdType::Edge,
                    income_per_capita: None,
                },
                name: format!("测试{i:03}"),
                id: IdCardNo::from_parts("130624", NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(), i)
                    .unwrap(),
                relation: if i % 2 == 0 {
                    Relation::Head
                } else {
                    Relation::Child
                },
                groups: GroupSet::EMPTY,
                phone: None,
                status: PersonStatus::Active,
            };
            (u64::from(i) + 2, record)
        })
        .collect()
}

#[tokio::test]
async fn search_indexes_come_back_as_migrated() {
    for t in testing::all().await {
        let db = &t.db;
        let mut imp = jianfu_store::RegistryImport::begin(db, "persons", "p.csv", "tester")
            .await
            .unwrap();
        let deferred = imp.defer_search_indexes(DEFER_FROM_ROWS).await.unwrap();
        if matches!(db, Db::Postgres(_)) {
            assert!(!deferred, "PostgreSQL keeps its indexes");
            imp.rollback(0, 0).await.unwrap();
            continue;
        }
        assert!(deferred);
        // Rolled back: the indexes are there as before.
        let migrated = index_sql(db).await;
        assert!(migrated.iter().any(|(n, _)| n == "persons_name"));
        imp.write_persons(&rows(300)).await.unwrap();
        imp.rollback(300, 1).await.unwrap();
        assert_eq!(index_sql(db).await, migrated);

        // Committed: built again, word for word as the migrations made them.
        let mut imp = jianfu_store::RegistryImport::begin(db, "persons", "p.csv", "tester")
            .await
            .unwrap();
        assert!(imp.defer_search_indexes(DEFER_FROM_ROWS).await.unwrap());
        imp.write_persons(&rows(300)).await.unwrap();
        imp.commit(300, 0).await.unwrap();
        assert_eq!(index_sql(db).await, migrated);
        let found = jianfu_store::registry::search_persons(
            &mut db.read().await.unwrap(),
            &Scope::parse("130624").unwrap(),
            &PersonSearch {
                name: Some("测试01".into()),
                ..PersonSearch::default()
            },
            None,
            0,
            50,
        )
        .await
        .unwrap();
        assert_eq!(found.total, 10, "测试010 … 测试019");

        // Small loads keep them; a large one beside 300 stored defers.
        let mut imp = jianfu_store::RegistryImport::begin(db, "persons", "p.csv", "tester")
            .await
            .unwrap();
        assert!(!imp.defer_search_indexes(DEFER_FROM_ROWS - 1).await.unwrap());
        imp.rollback(0, 0).await.unwrap();
        let mut imp = jianfu_store::RegistryImport::begin(db, "persons", "p.csv", "tester")
            .await
            .unwrap();
        assert!(imp.defer_search_indexes(DEFER_FROM_ROWS).await.unwrap());
        imp.rollback(0, 0).await.unwrap();

        // A stored household moving to another village while the indexes
        // are deferred: its members follow (the household index is built
        // for that), and all indexes come back at commit.
        let mut moved = rows(300);
        let village = RegionCode::parse("130624100201").unwrap();
        for (_, p) in moved
            .iter_mut()
            .filter(|(_, p)| p.household.household_no.ends_with("0007"))
        {
            p.household.village = village;
        }
        let mut imp = jianfu_store::RegistryImport::begin(db, "persons", "p.csv", "tester")
            .await
            .unwrap();
        assert!(imp.defer_search_indexes(DEFER_FROM_ROWS).await.unwrap());
        imp.write_persons(&moved).await.unwrap();
        let stats = imp.commit(300, 0).await.unwrap();
        assert_eq!(stats.households_updated, 1);
        assert_eq!(index_sql(db).await, migrated);
        let in_new_village = jianfu_store::registry::search_persons(
            &mut db.read().await.unwrap(),
            &Scope::parse("130624").unwrap(),
            &PersonSearch {
                region: Some("130624100201".into()),
                ..PersonSearch::default()
            },
            None,
            0,
            50,
        )
        .await
        .unwrap();
        assert_eq!(in_new_village.total, 2, "both members moved");
    }
}
