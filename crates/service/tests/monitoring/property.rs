//! A generated county (reversals, late claims, diagnoses) imported, each
//! import evaluating what it touched (the claims more than 2,000 persons,
//! so the county is read whole), then evaluated by `run` twice: the
//! stored alerts that hold are exactly what the pure `evaluate_batch`
//! finds on input built here independently (plain queries and
//! `claims_of_year`), with the same figures, after the imports and after
//! each run; a second run changes nothing; moving the evaluation date
//! reconciles to the new batch result.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use jianfu_domain::{
    ClaimKind, DiseaseCatalogue, GroupSet, HouseholdType, Icd10, IdCardNo, Money, PersonStatus,
    RegionCode,
};
use jianfu_ingest::FileKind;
use jianfu_monitoring::{
    Claim, ClaimFacts, Context, Diagnosis, Household, Households, Member, MonitoringParams,
    evaluate_batch,
};
use jianfu_service::{Actor, monitoring};
use jianfu_store::{Db, testing};

use chrono::{TimeZone, Utc};

use crate::{app, day, import_as_of};

pub type Figures = (
    String,
    i16,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    bool,
    Option<String>,
);

/// Households of the county as owned values, read without the store's
/// monitoring reader.
pub async fn independent_input(db: &Db, years: [i32; 2]) -> Households {
    let mut tx = db.read().await.unwrap();
    let sql = "SELECT household_no, village_code, household_type, income_per_capita \
               FROM households WHERE county_code = '130624'";
    let rows: Vec<(String, String, String, Option<i64>)> = tx.all(sql, &[]).await.unwrap();
    let mut hh: BTreeMap<String, Household> = BTreeMap::new();
    for (no, village, kind, income) in rows {
        let h = Household {
            village: RegionCode::parse(&village).unwrap(),
            household_no: no.clone(),
            household_type: HouseholdType::from_code(&kind).unwrap(),
            income_per_capita: income.map(Money::from_fen),
            members: Vec::new(),
        };
        hh.insert(no, h);
    }
    let sql = "SELECT household_no, id_number, status, groups, birth_date FROM persons";
    let rows: Vec<(String, String, String, String, NaiveDate)> = tx.all(sql, &[]).await.unwrap();
    let mut at = BTreeMap::new();
    for (no, id, status, groups, birth) in rows {
        let h = hh.get_mut(&no).unwrap();
        let implied = h.household_type.implied_groups();
        at.insert(id.clone(), (no, h.members.len()));
        h.members.push(Member {
            id: IdCardNo::parse(&id).unwrap(),
            status: PersonStatus::from_code(&status).unwrap(),
            groups: GroupSet::parse_list(&groups).unwrap().union(implied),
            birth_date: birth,
            diagnoses: Vec::new(),
            claims: Vec::new(),
        });
    }
    for year in years {
        for c in jianfu_store::claims::claims_of_year(&mut tx, "130624", year)
            .await
            .unwrap()
        {
            let (no, i) = &at[&c.person_id];
            hh.get_mut(no).unwrap().members[*i].claims.push(Claim {
                claim_id: c.claim_id.clone(),
                facts: ClaimFacts {
                    settled_at: c.settled_at,
                    kind: ClaimKind::from_code(&c.kind).unwrap(),
                    total: Money::from_fen(c.total),
                    out_of_pocket: Money::from_fen(c.out_of_pocket),
                    one_stop: c.one_stop,
                    groups: GroupSet::parse_list(&c.groups).unwrap(),
                },
            });
        }
    }
    let sql = "SELECT id_number, icd10, diagnosed_on FROM diagnoses";
    let rows: Vec<(String, String, NaiveDate)> = tx.all(sql, &[]).await.unwrap();
    for (id, icd10, on) in rows {
        let (no, i) = &at[&id];
        hh.get_mut(no).unwrap().members[*i]
            .diagnoses
            .push(Diagnosis {
                icd10: Icd10::parse(&icd10).unwrap(),
                diagnosed_on: on,
            });
    }
    let mut b = Households::new();
    for h in hh.values() {
        b.push(h);
    }
    b
}

pub fn expected(input: &Households, as_of: NaiveDate) -> BTreeSet<Figures> {
    let params = MonitoringParams::built_in("reference-2023").unwrap();
    let catalogue = DiseaseCatalogue::built_in();
    let mut out = BTreeSet::new();
    for year in [as_of.year_ce().1 as i32 - 1, as_of.year_ce().1 as i32] {
        let ctx = Context {
            year,
            as_of,
            catalogue: &catalogue,
        };
        for a in evaluate_batch(input, &ctx, 2, |_| &params) {
            out.insert((
                input.household_no(a.household as usize).to_string(),
                a.year as i16,
                a.rule.code().to_string(),
                a.out_of_pocket.fen(),
                a.threshold.map(|m| m.fen()),
                a.income_per_capita.map(|m| m.fen()),
                i64::from(a.size),
                a.candidate,
                a.category.map(|c| c.code().to_string()),
            ));
        }
    }
    out
}

pub async fn holding(
    db: &Db,
    years: (i32, i32),
) -> (BTreeSet<Figures>, Vec<jianfu_store::monitoring::AlertRow>) {
    let rows =
        jianfu_store::monitoring::alerts_under(&mut db.read().await.unwrap(), "130624", years)
            .await
            .unwrap();
    let set = rows
        .iter()
        .filter(|r| r.holds)
        .map(|r| {
            (
                r.household_no.clone(),
                r.year,
                r.rule.clone(),
                r.out_of_pocket,
                r.threshold,
                r.income_per_capita,
                r.size,
                r.candidate,
                r.category.clone(),
            )
        })
        .collect();
    (set, rows)
}

use chrono::Datelike;

#[tokio::test]
async fn run_equals_the_pure_batch_on_a_generated_county() {
    for (k, t) in testing::all().await.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let opts = jianfu_synth::GenerateOptions {
            persons: 3000,
            seed: 41 + k as u64,
            ..Default::default()
        };
        jianfu_synth::generate(&opts, dir.path(), &mut |_| {}).unwrap();
        testing::villages_of(&t.db, "1306", &["130624"], 1).await;
        let policy = jianfu_policy::Policy::built_in_text("reference-2023")
            .unwrap()
            .replace("valid_from = \"2023-01-01\"", "valid_from = \"2024-01-01\"")
            .replace("valid_to = \"2023-12-31\"", "valid_to = \"2024-12-31\"");
        jianfu_store::policies::add_policy(&t.db, &policy, "tester")
            .await
            .unwrap();
        // Imported on 2024-12-31: each import evaluates what it touched
        // (the claims, touching more than 2,000 persons, read the county
        // whole; the others read their households by key).
        let (app, clock) = app(&t.db);
        clock.set(Utc.with_ymd_and_hms(2024, 12, 31, 2, 0, 0).unwrap());
        for (file, kind) in [
            ("persons.csv", FileKind::Persons),
            ("diagnoses.csv", FileKind::Diagnoses),
            ("claims.csv", FileKind::Claims),
        ] {
            import_as_of(&app, &dir.path().join(file), kind).await;
        }
        let input = independent_input(&t.db, [2023, 2024]).await;
        let (got, _) = holding(&t.db, (2023, 2024)).await;
        assert_eq!(
            got,
            expected(&input, day(2024, 12, 31)),
            "after the imports"
        );
        for as_of in [day(2024, 6, 30), day(2024, 12, 31)] {
            monitoring::run(&app, &Actor::command_line(), None, Some(as_of), None)
                .await
                .unwrap();
            let want = expected(&input, as_of);
            assert!(want.len() > 10, "the sample raises alerts: {}", want.len());
            let (got, rows) = holding(&t.db, (2023, 2024)).await;
            assert_eq!(got, want, "{:?} as of {as_of}", t.engine());
            let again = monitoring::run(&app, &Actor::command_line(), None, Some(as_of), None)
                .await
                .unwrap();
            assert!(
                again
                    .rules
                    .values()
                    .all(|c| c.raised + c.updated + c.lapsed + c.reopened == 0)
            );
            assert_eq!(
                holding(&t.db, (2023, 2024)).await.1,
                rows,
                "a second run changes nothing"
            );
        }
    }
}
