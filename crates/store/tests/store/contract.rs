//! The storage contract, run on SQLite and on PostgreSQL (when
//! `JIANFU_TEST_PG` is set): same schema, same behaviour.

use chrono::NaiveDate;
use jianfu_domain::{
    GroupSet, HouseholdRecord, HouseholdType, IdCardNo, Money, PersonRecord, PersonStatus,
    RegionCode, RegionLevel, Relation,
};
use jianfu_store::Db;
use jianfu_store::testing::{self, TestDb};

type Schema = Vec<(String, Vec<(String, String, bool)>, Vec<String>)>;

async fn schema(db: &Db) -> Schema {
    let mut out = Vec::new();
    match db {
        Db::Sqlite(p) => {
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name NOT LIKE '_sqlx%' ORDER BY name",
            )
            .fetch_all(p)
            .await
            .unwrap();
            for (t,) in tables {
                let cols: Vec<(i64, String, String, i64, Option<String>, i64)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA table_info({t})")))
                        .fetch_all(p)
                        .await
                        .unwrap();
                let mut pk: Vec<(i64, String)> = cols
                    .iter()
                    .filter(|c| c.5 > 0)
                    .map(|c| (c.5, c.1.clone()))
                    .collect();
                pk.sort();
                let cols = cols
                    .into_iter()
                    .map(|c| (c.1, normalise_sqlite_type(&c.2), c.3 == 1))
                    .collect();
                out.push((t, cols, pk.into_iter().map(|p| p.1).collect()));
            }
        }
        Db::Postgres(p) => {
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
                 AND c.relname NOT LIKE '\\_sqlx%' ORDER BY 1",
            )
            .fetch_all(p)
            .await
            .unwrap();
            for (t,) in tables {
                let cols: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(&t)
                .fetch_all(p)
                .await
                .unwrap();
                let pk: Vec<(String,)> = sqlx::query_as(
                    "SELECT k.column_name::text FROM information_schema.table_constraints c \
                     JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name \
                     AND k.table_name = c.table_name \
                     WHERE c.table_schema = 'public' AND c.table_name = $1 AND c.constraint_type = 'PRIMARY KEY' \
                     ORDER BY k.ordinal_position",
                )
                .bind(&t)
                .fetch_all(p)
                .await
                .unwrap();
                let cols = cols
                    .into_iter()
                    .map(|(n, ty, null)| (n, ty, null == "NO"))
                    .collect();
                out.push((t, cols, pk.into_iter().map(|p| p.0).collect()));
            }
        }
    }
    out
}

fn normalise_sqlite_type(t: &str) -> String {
    match t.to_ascii_uppercase().as_str() {
        "TEXT" => "text",
        "SMALLINT" => "smallint",
        "BIGINT" | "INTEGER" => "bigint",
        "DATE" => "date",
        "TIMESTAMPTZ" => "timestamp with time zone",
        "TIMESTAMP" => "timestamp without time zone",
        "BOOLEAN" => "boolean",
        "BLOB" => "bytea",
        other => panic!("SQLite column type {other} has no PostgreSQL counterpart in this test"),
    }
    .to_string()
}

#[tokio::test]
async fn schemas_of_both_engines_agree() {
    let sqlite = testing::sqlite().await;
    let Some(pg) = testing::postgres().await else {
        return;
    };
    let a = schema(&sqlite.db).await;
    let b = schema(&pg.db).await;
    assert!(!a.is_empty());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "table {} differs between SQLite and PostgreSQL", x.0);
    }
    assert_eq!(a.len(), b.len(), "table lists differ");
}

#[tokio::test]
async fn disease_lists_are_stored_once() {
    for t in testing::all().await {
        let lists = jianfu_store::regions::disease_lists(&mut t.db.read().await.unwrap())
            .await
            .unwrap();
        let ids: Vec<&str> = lists.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(ids, ["chronic4", "major30"], "{:?}", t.engine());
        assert_eq!(
            jianfu_store::regions::seed_disease_lists(&mut t.db.read().await.unwrap())
                .await
                .unwrap(),
            0,
            "seeding twice adds nothing"
        );
    }
}

#[tokio::test]
async fn large_tables_carry_the_county_in_their_keys() {
    for t in testing::all().await {
        for (table, _, pk) in schema(&t.db).await {
            if [
                "households",
                "persons",
                "diagnoses",
                "change_log",
                "claims",
                "person_years",
                "claim_adjustments",
            ]
            .contains(&table.as_str())
            {
                // Citus (and PostgreSQL's partitioning) require the
                // distribution column in the key; persons lead with the
                // ID number so that their key is also the national lookup.
                let lead = if table == "persons" {
                    "id_number"
                } else {
                    "county_code"
                };
                assert_eq!(
                    pk.first().map(String::as_str),
                    Some(lead),
                    "{table} on {:?}",
                    t.engine()
                );
                assert!(
                    pk.iter().any(|c| c == "county_code"),
                    "{table} on {:?}: {pk:?}",
                    t.engine()
                );
            }
        }
    }
}

async fn load_fuping(t: &TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    let n = jianfu_store::regions::load_regions(
        &mut tx,
        2023,
        jianfu_regions::regions("130624"),
        |_| {},
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(n > 200, "{n}");
}

#[tokio::test]
async fn region_tree_loads_and_answers() {
    for t in testing::all().await {
        // Load a whole province to exercise chunking, then reload one county:
        // loading replaces, never duplicates.
        let mut tx = t.db.begin().await.unwrap();
        let n = jianfu_store::regions::load_regions(
            &mut tx,
            2023,
            jianfu_regions::regions("13"),
            |_| {},
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert!(n > 50_000, "{n}");
        load_fuping(&t).await;
        let county = jianfu_store::regions::region(&mut t.db.read().await.unwrap(), "130624000000")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(county.name, "阜平县");
        let towns =
            jianfu_store::regions::region_children(&mut t.db.read().await.unwrap(), "130624000000")
                .await
                .unwrap();
        assert!(towns.iter().any(|r| r.name == "阜平镇"));
        assert!(towns.iter().all(|r| r.level == 4));
        let villages = jianfu_store::regions::regions_at_level(
            &mut t.db.read().await.unwrap(),
            "130624",
            RegionLevel::Village,
        )
        .await
        .unwrap();
        assert!(villages.len() > 200);
        assert!(
            villages
                .iter()
                .all(|v| v.parent_code.as_deref().is_some_and(|p| p.ends_with("000")))
        );
        let levels =
            jianfu_store::regions::region_levels_under(&mut t.db.read().await.unwrap(), "")
                .await
                .unwrap();
        assert_eq!(levels.get(&130624100200), Some(&RegionLevel::Village));
        assert_eq!(
            jianfu_store::regions::region_count(&mut t.db.read().await.unwrap())
                .await
                .unwrap() as usize,
            levels.len()
        );
    }
}

fn person(
    household_no: &str,
    village: &str,
    id: IdCardNo,
    relation: Relation,
    name: &str,
) -> PersonRecord {
    PersonRecord {
        household: HouseholdRecord {
            household_no: household_no.to_string(),
            village: RegionCode::parse(village).unwrap(),
            household_type: HouseholdType::FormerlyPoor,
            income_per_capita: Some(Money::from_yuan_str("8000.50").unwrap()),
        },
        name: name.to_string(),
        id,
        relation,
        groups: GroupSet::EMPTY,
        phone: None,
        status: PersonStatus::Active,
    }
}

fn id(seq: u16) -> IdCardNo {
    IdCardNo::from_parts("130624", NaiveDate::from_ymd_opt(1960, 5, 1).unwrap(), seq).unwrap()
}

#[tokio::test]
async fn registry_writes_only_real_changes_and_keeps_history() {
    for t in testing::all().await {
        load_fuping(&t).await;
        let rows = vec![
            (
                2,
                person("H1", "130624100200", id(11), Relation::Head, "张三"),
            ),
            (
                3,
                person("H1", "130624100200", id(12), Relation::Spouse, "李四"),
            ),
            (
                4,
                person("H2", "130624100201", id(13), Relation::Head, "王五"),
            ),
        ];
        let mut imp = jianfu_store::RegistryImport::begin(&t.db, "persons", "a.csv", "tester")
            .await
            .unwrap();
        assert!(imp.write_persons(&rows).await.unwrap().is_empty());
        let stats = imp.commit(3, 0).await.unwrap();
        assert_eq!(
            (stats.households_created, stats.persons_created),
            (2, 3),
            "{:?}",
            t.engine()
        );

        // The same rows again: nothing changes.
        let mut imp = jianfu_store::RegistryImport::begin(&t.db, "persons", "a.csv", "tester")
            .await
            .unwrap();
        imp.write_persons(&rows).await.unwrap();
        let stats = imp.commit(3, 0).await.unwrap();
        assert_eq!(stats.persons_unchanged, 3);
        assert_eq!(stats.changes, 0);

        // A changed name, income and status are recorded field by field.
        let mut changed = rows.clone();
        changed[1].1.name = "李四妹".into();
        changed[1].1.status = PersonStatus::Deceased;
        for r in &mut changed[..2] {
            r.1.household.income_per_capita = Some(Money::from_yuan(9000));
        }
        let mut imp = jianfu_store::RegistryImport::begin(&t.db, "persons", "b.xlsx", "officer")
            .await
            .unwrap();
        imp.write_persons(&changed).await.unwrap();
        let stats = imp.commit(3, 0).await.unwrap();
        assert_eq!((stats.persons_updated, stats.households_updated), (1, 1));
        let hist = jianfu_store::registry::history(
            &mut t.db.read().await.unwrap(),
            "130624",
            None,
            Some(id(12).as_str()),
        )
        .await
        .unwrap();
        let fields: Vec<(&str, Option<&str>, Option<&str>)> = hist
            .iter()
            .map(|c| {
                (
                    c.field.as_str(),
                    c.old_value.as_deref(),
                    c.new_value.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            fields,
            [
                ("*", None, None),
                ("name", Some("李四"), Some("李四妹")),
                ("status", Some("active"), Some("deceased"))
            ]
        );
        assert_eq!(hist[1].source_file.as_deref(), Some("b.xlsx"));
        assert_eq!(hist[1].user_name, "officer");
        let hh = jianfu_store::registry::history(
            &mut t.db.read().await.unwrap(),
            "130624",
            Some("H1"),
            None,
        )
        .await
        .unwrap();
        assert!(hh.iter().any(|c| c.field == "income_per_capita"
            && c.old_value.as_deref() == Some("8000.50")
            && c.new_value.as_deref() == Some("9000.00")));

        // An ID number registered in another household is refused.
        let mut imp = jianfu_store::RegistryImport::begin(&t.db, "persons", "c.csv", "tester")
            .await
            .unwrap();
        let moved = vec![(
            7,
            person("H2", "130624100201", id(11), Relation::Child, "张三"),
        )];
        let conflicts = imp.write_persons(&moved).await.unwrap();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].code, "id_in_other_household");
        assert_eq!(conflicts[0].other_household.as_deref(), Some("H1"));
        imp.rollback(1, 1).await.unwrap();

        let members = jianfu_store::registry::household_members(
            &mut t.db.read().await.unwrap(),
            "130624",
            "H1",
        )
        .await
        .unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].relation, "head");
        let counts = jianfu_store::registry::counts_by_child(
            &mut t.db.read().await.unwrap(),
            "130624000000",
        )
        .await
        .unwrap();
        let town = counts.iter().find(|c| c.code == "130624100000").unwrap();
        assert_eq!((town.households, town.persons), (2, 3));
        assert_eq!(
            jianfu_store::registry::totals(&mut t.db.read().await.unwrap(), "130624")
                .await
                .unwrap(),
            (2, 3)
        );
        assert!(
            jianfu_store::registry::household(
                &mut t.db.read().await.unwrap(),
                &scope("130625"),
                "130624",
                "H1"
            )
            .await
            .unwrap()
            .is_none(),
            "scope limits lookups"
        );
        assert!(
            jianfu_store::registry::household(
                &mut t.db.read().await.unwrap(),
                &scope("130624"),
                "130624",
                "H1"
            )
            .await
            .unwrap()
            .is_some()
        );
    }
}

#[tokio::test]
async fn pipelined_lookups_handle_households_across_chunks() {
    for t in testing::all().await {
        load_fuping(&t).await;
        // Stored before the import: H2 with one member.
        let mut imp = jianfu_store::RegistryImport::begin(&t.db, "persons", "a.csv", "tester")
            .await
            .unwrap();
        imp.write_persons(&[(
            2,
            person("H2", "130624100201", id(31), Relation::Head, "甲"),
        )])
        .await
        .unwrap();
        imp.commit(1, 0).await.unwrap();

        // H1 (new) and H2 (stored, income changed) span both chunks; both
        // lookups run before either chunk is written, as the import does.
        let mut h2 = person("H2", "130624100201", id(32), Relation::Spouse, "乙");
        h2.household.income_per_capita = Some(Money::from_yuan(7000));
        let mut h2b = person("H2", "130624100201", id(33), Relation::Child, "丙");
        h2b.household.income_per_capita = Some(Money::from_yuan(7000));
        let first = vec![
            (
                2,
                person("H1", "130624100200", id(34), Relation::Head, "丁"),
            ),
            (3, h2),
        ];
        let second = vec![
            (
                4,
                person("H1", "130624100200", id(35), Relation::Child, "戊"),
            ),
            (5, h2b),
        ];
        let l1 = jianfu_store::registry::lookup_persons(&mut t.db.read().await.unwrap(), &first)
            .await
            .unwrap();
        let mut imp = jianfu_store::RegistryImport::begin(&t.db, "persons", "b.csv", "tester")
            .await
            .unwrap();
        let l2 = jianfu_store::registry::lookup_persons(&mut t.db.read().await.unwrap(), &second)
            .await
            .unwrap();
        assert!(imp.apply_persons(&first, l1).await.unwrap().is_empty());
        assert!(imp.apply_persons(&second, l2).await.unwrap().is_empty());
        let stats = imp.commit(4, 0).await.unwrap();
        assert_eq!(
            (
                stats.households_created,
                stats.households_updated,
                stats.persons_created
            ),
            (1, 1, 4),
            "{:?}",
            t.engine()
        );
        let income_changes = jianfu_store::registry::history(
            &mut t.db.read().await.unwrap(),
            "130624",
            Some("H2"),
            None,
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.field == "income_per_capita")
        .count();
        assert_eq!(
            income_changes, 1,
            "a household spanning chunks is logged once"
        );
        assert_eq!(
            jianfu_store::registry::totals(&mut t.db.read().await.unwrap(), "130624")
                .await
                .unwrap(),
            (2, 5)
        );
    }
}

#[tokio::test]
async fn rolled_back_import_leaves_nothing() {
    for t in testing::all().await {
        load_fuping(&t).await;
        let mut imp = jianfu_store::RegistryImport::begin(&t.db, "persons", "x.csv", "tester")
            .await
            .unwrap();
        imp.write_persons(&[(
            2,
            person("H9", "130624100200", id(21), Relation::Head, "赵六"),
        )])
        .await
        .unwrap();
        imp.rollback(1, 1).await.unwrap();
        assert_eq!(
            jianfu_store::registry::totals(&mut t.db.read().await.unwrap(), "130624")
                .await
                .unwrap(),
            (0, 0),
            "{:?}",
            t.engine()
        );
        assert!(
            jianfu_store::registry::history(
                &mut t.db.read().await.unwrap(),
                "130624",
                Some("H9"),
                None
            )
            .await
            .unwrap()
            .is_empty()
        );
    }
}

fn scope(region: &str) -> jianfu_domain::Scope {
    jianfu_domain::Scope::parse(region).expect("region")
}
