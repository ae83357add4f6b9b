//! The dashboard's village rollups against a count made person by person,
//! on SQLite and PostgreSQL: every household type, group combination and
//! status, diagnoses, and a second county left alone.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use jianfu_domain::{
    DiagnosisRecord, Group, GroupSet, HouseholdType, Icd10, PersonRecord, PersonStatus, RegionCode,
    Scope,
};
use jianfu_store::rollups::{Figures, RollupParts};
use jianfu_store::testing;

fn persons(villages: &[String], n: usize) -> Vec<(u64, PersonRecord)> {
    let start = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap();
    let types = HouseholdType::ALL;
    let statuses = PersonStatus::ALL;
    (0..n)
        .map(|i| {
            let birth = start.checked_add_days(Days::new(i as u64)).unwrap();
            let (row, mut p) = testing::member(i, villages, format!("测试{i}"), birth);
            p.household.household_type = types[i / 3 % types.len()];
            // Every group combination turns up, most persons have none.
            if i % 3 == 0 {
                p.groups = GroupSet::from_bits((i / 3 % 128) as u8);
            }
            p.status = statuses[i / 2 % statuses.len()];
            (row, p)
        })
        .collect()
}

/// Figures of each village counted person by person.
fn model(rows: &[(u64, PersonRecord)], diagnosed: &[String]) -> BTreeMap<String, Figures> {
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    let mut households: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (_, p) in rows {
        let v = p.household.village.as_str().to_string();
        let f = out.entry(v.clone()).or_default();
        let all = p.groups.union(p.household.household_type.implied_groups());
        f.persons += 1;
        f.active += i64::from(p.status == PersonStatus::Active);
        f.formerly_poor += i64::from(all.contains(Group::FormerlyPoor));
        f.monitored += i64::from(all.contains(Group::Monitored));
        f.extreme_poor += i64::from(p.groups.contains(Group::ExtremePoor));
        f.subsistence += i64::from(p.groups.contains(Group::Subsistence));
        f.returned_poor += i64::from(p.groups.contains(Group::ReturnedPoor));
        f.with_diagnosis += i64::from(diagnosed.iter().any(|d| d == p.id.as_str()));
        households
            .entry(v)
            .or_default()
            .insert(p.household.household_no.clone());
    }
    for (v, h) in households {
        out.get_mut(&v).unwrap().households = h.len() as i64;
    }
    out
}

#[tokio::test]
async fn rollups_count_what_the_registry_holds() {
    for t in testing::all().await {
        let db = &t.db;
        let [a, b]: [Vec<String>; 2] = testing::villages_of(db, "1306", &["130624", "130626"], 12)
            .await
            .try_into()
            .unwrap();
        let rows = persons(&a, 1500);
        let other = persons(&b, 90);
        // Some persons have one diagnosis, some two.
        let icd = |s: &str| Icd10::parse(s).unwrap();
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let mut diagnoses = Vec::new();
        let mut diagnosed = Vec::new();
        for (k, (_, p)) in rows.iter().enumerate().filter(|(k, _)| k % 7 == 0) {
            diagnosed.push(p.id.as_str().to_string());
            for code in ["I10", "E11"].iter().take(1 + k % 2) {
                diagnoses.push((
                    k as u64 + 2,
                    DiagnosisRecord {
                        id: p.id,
                        icd10: icd(code),
                        disease_name: None,
                        diagnosed_on: day,
                        facility: None,
                    },
                ));
            }
        }
        for set in [&rows, &other] {
            let mut imp = jianfu_store::RegistryImport::begin(db, "persons", "p.csv", "tester")
                .await
                .unwrap();
            imp.write_persons(set).await.unwrap();
            let stats = imp.commit(set.len() as u64, 0).await.unwrap();
            assert_eq!(stats.counties.len(), 1, "the county written is known");
        }
        // Refreshed as the imports do: the registry after persons, then
        // only the persons with a diagnosis after diagnoses.
        let mut tx = db.begin().await.unwrap();
        jianfu_store::rollups::refresh_rollup_parts(
            &mut tx,
            "130624",
            RollupParts::after_import("persons"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut imp = jianfu_store::RegistryImport::begin(db, "diagnoses", "d.csv", "tester")
            .await
            .unwrap();
        assert!(imp.write_diagnoses(&diagnoses).await.unwrap().is_empty());
        let stats = imp.commit(diagnoses.len() as u64, 0).await.unwrap();
        assert_eq!(
            stats.counties.iter().collect::<Vec<_>>(),
            ["130624"],
            "diagnoses name their county"
        );
        let mut tx = db.begin().await.unwrap();
        jianfu_store::rollups::refresh_rollup_parts(
            &mut tx,
            "130624",
            RollupParts::after_import("diagnoses"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let expected = model(&rows, &diagnosed);
        let county = RegionCode::parse_prefix("130624").unwrap();
        let d = jianfu_store::rollups::dashboard(
            &mut db.read().await.unwrap(),
            &Scope::NATIONAL,
            &county,
            2024,
        )
        .await
        .unwrap()
        .unwrap();
        let mut total = Figures::default();
        for (v, f) in &expected {
            let village = RegionCode::parse(v).unwrap();
            let got = jianfu_store::rollups::dashboard(
                &mut db.read().await.unwrap(),
                &Scope::NATIONAL,
                &village,
                2024,
            )
            .await
            .unwrap()
            .unwrap();
            assert_eq!(&got.figures, f, "village {v}");
            add(&mut total, f);
        }
        assert_eq!(d.figures, total, "the county is the sum of its villages");
        let mut tx = db.begin().await.unwrap();
        jianfu_store::rollups::refresh_rollups(&mut tx, "130624")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let full = jianfu_store::rollups::dashboard(
            &mut db.read().await.unwrap(),
            &Scope::NATIONAL,
            &county,
            2024,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(full.figures, d.figures, "a full rebuild agrees");
        assert!(total.formerly_poor > 0 && total.monitored > 0 && total.extreme_poor > 0);
        // The other county was not refreshed, so it shows nothing yet.
        let other_county = RegionCode::parse_prefix("130626").unwrap();
        let o = jianfu_store::rollups::dashboard(
            &mut db.read().await.unwrap(),
            &Scope::NATIONAL,
            &other_county,
            2024,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(o.figures.persons, 0);
    }
}

fn add(total: &mut Figures, f: &Figures) {
    total.households += f.households;
    total.persons += f.persons;
    total.active += f.active;
    total.formerly_poor += f.formerly_poor;
    total.monitored += f.monitored;
    total.extreme_poor += f.extreme_poor;
    total.subsistence += f.subsistence;
    total.returned_poor += f.returned_poor;
    total.with_diagnosis += f.with_diagnosis;
}
