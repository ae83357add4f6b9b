//! Stored settlement on SQLite and PostgreSQL: stored amounts equal a
//! fresh batch settlement of the standing claims however the claims
//! arrive (random batches, late claims, reversals), adjustments are
//! recorded, re-imports change nothing, policies are chosen by prefix and
//! date, and every refusal has its code.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use jianfu_domain::{
    ClaimKind, ClaimRecord, FacilityLevel, Group, GroupSet, HouseholdRecord, HouseholdType,
    IdCardNo, Money, PersonRecord, PersonStatus, RegionCode, Relation,
};
use jianfu_policy::{BatchClaim, ClaimInput, Tiers, YearState, settle_batch};
use jianfu_store::Db;
use jianfu_store::testing::{self, TestDb};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

pub(super) fn id(county: &str, seq: u16) -> IdCardNo {
    IdCardNo::from_parts(county, NaiveDate::from_ymd_opt(1950, 1, 1).unwrap(), seq).unwrap()
}

pub(super) fn person(
    county: &str,
    seq: u16,
    htype: HouseholdType,
    groups: GroupSet,
) -> PersonRecord {
    PersonRecord {
        household: HouseholdRecord {
            household_no: format!("H{county}{seq:03}"),
            village: RegionCode::parse(&format!("{county}100200")).unwrap(),
            household_type: htype,
            income_per_capita: None,
        },
        name: format!("测试{seq}"),
        id: id(county, seq),
        relation: Relation::Head,
        groups,
        phone: None,
        status: PersonStatus::Active,
    }
}

pub(super) async fn register(db: &Db, persons: &[PersonRecord]) {
    let rows: Vec<(u64, PersonRecord)> = persons
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u64 + 2, p.clone()))
        .collect();
    let mut imp = jianfu_store::RegistryImport::begin(db, "persons", "p.csv", "tester")
        .await
        .unwrap();
    assert!(imp.write_persons(&rows).await.unwrap().is_empty());
    imp.commit(rows.len() as u64, 0).await.unwrap();
}

/// The reference policy with other validity, region and (optionally)
/// a different inpatient ratio at county level.
fn policy_text(region: &str, from: &str, to: &str, county_ratio: &str) -> String {
    jianfu_policy::Policy::built_in_text("reference-2023")
        .unwrap()
        .replace("region = \"130624\"", &format!("region = \"{region}\""))
        .replace(
            "valid_from = \"2023-01-01\"",
            &format!("valid_from = \"{from}\""),
        )
        .replace("valid_to = \"2023-12-31\"", &format!("valid_to = \"{to}\""))
        .replace(
            "[basic.levels.county]\ndeductible = \"500.00\"\nratio = \"0.80\"",
            &format!("[basic.levels.county]\ndeductible = \"500.00\"\nratio = \"{county_ratio}\""),
        )
}

pub(super) fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

pub(super) fn claim(
    claim_id: &str,
    who: IdCardNo,
    settled: NaiveDateTime,
    total: i64,
) -> ClaimRecord {
    ClaimRecord {
        claim_id: claim_id.into(),
        person: who,
        groups: Some(GroupSet::of(&[Group::FormerlyPoor, Group::Subsistence])),
        kind: ClaimKind::Inpatient,
        level: FacilityLevel::County,
        county_internal: true,
        settled_at: settled,
        total: Money::from_fen(total),
        policy_scope: Money::from_fen(total * 9 / 10),
        reverses: None,
        icd10: None,
        facility_code: Some("H1".into()),
        admitted_on: None,
        pay_later: Some(true),
        one_stop: Some(false),
    }
}

fn reversal(claim_id: &str, of: &ClaimRecord, settled: NaiveDateTime) -> ClaimRecord {
    ClaimRecord {
        claim_id: claim_id.into(),
        reverses: Some(of.claim_id.clone()),
        settled_at: settled,
        ..of.clone()
    }
}

/// Imports `rows` (numbered from 2) in chunks of `chunk`; returns the
/// conflict codes by row.
pub(super) async fn import(
    db: &Db,
    rows: &[ClaimRecord],
    chunk: usize,
) -> Vec<(u64, &'static str)> {
    let numbered: Vec<(u64, ClaimRecord)> = rows
        .iter()
        .enumerate()
        .map(|(i, c)| (i as u64 + 2, c.clone()))
        .collect();
    let mut imp = jianfu_store::ClaimsImport::begin(db, "c.csv", "tester")
        .await
        .unwrap();
    let mut conflicts = Vec::new();
    for part in numbered.chunks(chunk.max(1)) {
        for c in imp.write_claims(part).await.unwrap() {
            conflicts.push((c.row, c.code));
        }
    }
    imp.commit(rows.len() as u64, conflicts.len() as u64)
        .await
        .unwrap();
    conflicts
}

pub(super) type Stored = (
    String,
    String,
    i16,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

pub(super) async fn stored(db: &Db) -> Vec<Stored> {
    let sql = "SELECT claim_id, person_id, year, basic, critical, assistance, supplementary, \
               out_of_pocket FROM claims ORDER BY claim_id";
    db.read().await.unwrap().all(sql, &[]).await.unwrap()
}

pub(super) async fn count(db: &Db, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
}

pub(super) async fn reasons(db: &Db) -> Vec<(String, String)> {
    let sql = "SELECT claim_id, reason FROM claim_adjustments ORDER BY batch_id, seq";
    db.read().await.unwrap().all(sql, &[]).await.unwrap()
}

fn fen(t: &Tiers) -> [i64; 5] {
    [
        t.basic,
        t.critical,
        t.assistance,
        t.supplementary,
        t.out_of_pocket,
    ]
    .map(|m| m.fen())
}

/// Checks every stored amount and person-year against `settle_batch`
/// over the standing claims, in import order, with the groups the
/// registry gives (`registry_groups`) where a claim leaves them empty.
async fn assert_equals_batch(
    t: &TestDb,
    imported: &[ClaimRecord],
    registry_groups: &dyn Fn(&IdCardNo) -> GroupSet,
) {
    let reversed: std::collections::HashSet<&str> = imported
        .iter()
        .filter_map(|c| c.reverses.as_deref())
        .collect();
    let standing: Vec<&ClaimRecord> = imported
        .iter()
        .filter(|c| c.reverses.is_none() && !reversed.contains(c.claim_id.as_str()))
        .collect();
    let batch: Vec<BatchClaim> = standing
        .iter()
        .map(|c| BatchClaim {
            person: c.person.packed(),
            settled_at: c.settled_seconds(),
            year: c.year(),
            input: ClaimInput {
                kind: c.kind,
                level: c.level,
                county_internal: c.county_internal,
                groups: c.groups.unwrap_or_else(|| registry_groups(&c.person)),
                total: c.total,
                policy_scope: c.policy_scope,
            },
        })
        .collect();
    let policies = jianfu_store::policies::policy_set(&mut t.db.read().await.unwrap())
        .await
        .unwrap();
    let county = |c: &BatchClaim| {
        IdCardNo::from_packed(c.person)
            .unwrap()
            .area_code()
            .to_string()
    };
    let expected = settle_batch(&batch, 2, |i, c| {
        &policies
            .choose(&county(c), standing[i].settled_at.date())
            .expect("a policy")
            .policy
    });
    let rows = stored(&t.db).await;
    let by_id: std::collections::HashMap<&str, &Stored> =
        rows.iter().map(|r| (r.0.as_str(), r)).collect();
    assert_eq!(rows.len(), imported.len(), "{:?}", t.engine());
    for (c, e) in standing.iter().zip(&expected) {
        let r = by_id[c.claim_id.as_str()];
        let got = [r.3, r.4, r.5, r.6, r.7].map(|v| v.expect("standing claims are settled"));
        assert_eq!(got, fen(e), "claim {} on {:?}", c.claim_id, t.engine());
    }
    for c in imported
        .iter()
        .filter(|c| c.reverses.is_some() || reversed.contains(c.claim_id.as_str()))
    {
        let r = by_id[c.claim_id.as_str()];
        assert_eq!(r.3, None, "{} is not settled", c.claim_id);
    }

    // Person-years: sums of the settled claims and the engine's final state.
    // (person, year) → (engine state, tier sums, claims, total).
    type Expected = (YearState, [i64; 5], i64, i64);
    let mut years: std::collections::BTreeMap<(String, i32), Expected> = Default::default();
    let mut order: Vec<usize> = (0..standing.len()).collect();
    order.sort_by_key(|&i| (standing[i].settled_at, i));
    for i in order {
        let c = standing[i];
        let e = years
            .entry((c.person.as_str().to_string(), c.year()))
            .or_default();
        let p = &policies
            .choose(c.person.area_code(), c.settled_at.date())
            .unwrap()
            .policy;
        p.settle(&mut e.0, &batch[i].input);
        for (s, v) in e.1.iter_mut().zip(fen(&expected[i])) {
            *s += v;
        }
        e.2 += 1;
        e.3 += c.total.fen();
    }
    for ((person, year), (state, sums, n, total)) in &years {
        let row = jianfu_store::claims::person_year(
            &mut t.db.read().await.unwrap(),
            &person[..6],
            person,
            *year,
        )
        .await
        .unwrap()
        .expect("person-year stored");
        assert_eq!(row.claims, *n);
        assert_eq!(row.total, *total);
        assert_eq!(
            [
                row.basic,
                row.critical,
                row.assistance,
                row.supplementary,
                row.out_of_pocket
            ],
            *sums,
            "{person:.6} {year}"
        );
        assert_eq!(row.admissions, i64::from(state.admissions));
        assert_eq!(row.critical_base, state.critical_base.fen());
        assert_eq!(row.assistance_base, state.assistance_base.fen());
        assert_eq!(
            [
                row.basic_used_inpatient,
                row.basic_used_chronic,
                row.basic_used_outpatient
            ],
            state.basic_used.map(|m| m.fen())
        );
    }
}

/// Persons of the random test: a few groups, two counties.
fn random_persons() -> Vec<PersonRecord> {
    let types = [
        HouseholdType::Ordinary,
        HouseholdType::FormerlyPoor,
        HouseholdType::Unstable,
        HouseholdType::Edge,
    ];
    let groups = [
        GroupSet::EMPTY,
        GroupSet::of(&[Group::Subsistence]),
        GroupSet::of(&[Group::ExtremePoor]),
        GroupSet::of(&[Group::IllnessPoor, Group::SubsistenceEdge]),
    ];
    (0..10u16)
        .map(|i| {
            let county = if i < 8 { "130624" } else { "130625" };
            person(
                county,
                i + 1,
                types[i as usize % 4],
                groups[(i as usize / 2) % 4],
            )
        })
        .collect()
}

/// The groups a person holds on `day` in round `tag`: each person changes
/// groups once a year, on a day of their own (recognised as 低保, 特困 or
/// 监测对象 mid-year, or leaving it), so claims of one person-year are
/// settled under different assistance groups.
fn groups_on(p: &PersonRecord, tag: u64, day: NaiveDate) -> GroupSet {
    let sets = [
        GroupSet::EMPTY,
        GroupSet::of(&[Group::Subsistence]),
        GroupSet::of(&[Group::FormerlyPoor]),
        GroupSet::of(&[Group::Monitored, Group::FormerlyPoor]),
        GroupSet::of(&[Group::ExtremePoor]),
    ];
    let seed = p.id.packed().wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ tag;
    let change = NaiveDate::from_yo_opt(day.year(), 1 + (seed % 360) as u32).unwrap();
    let (before, after) = ((seed >> 8) % 5, (seed >> 16) % 5);
    sets[if day < change { before } else { after } as usize]
}

fn random_claims(rng: &mut Rng, tag: u64, persons: &[PersonRecord], n: usize) -> Vec<ClaimRecord> {
    let mut out: Vec<ClaimRecord> = Vec::new();
    let mut reversible: Vec<usize> = Vec::new();
    for i in 0..n {
        if !reversible.is_empty() && rng.chance(8) {
            let k = reversible.swap_remove(rng.below(reversible.len() as u64) as usize);
            let of = out[k].clone();
            let later = of.settled_at + chrono::Duration::hours(rng.below(400) as i64 + 1);
            out.push(reversal(&format!("R{tag}-{i:04}"), &of, later));
            continue;
        }
        let p = &persons[rng.below(persons.len() as u64) as usize];
        let year = 2023 + rng.below(2) as i32;
        let day = NaiveDate::from_yo_opt(year, 1 + rng.below(365) as u32).unwrap();
        // Few distinct times, so equal settlement times happen.
        let settled = day.and_hms_opt(8 + rng.below(3) as u32, 0, 0).unwrap();
        let kind = ClaimKind::ALL[rng.below(3) as usize];
        let total = match kind {
            ClaimKind::Inpatient => 50_000 + rng.below(20_000_000) as i64,
            _ => 1_000 + rng.below(300_000) as i64,
        };
        let scope = total * (60 + rng.below(41) as i64) / 100;
        let groups = if rng.chance(40) {
            None
        } else if rng.chance(60) {
            Some(groups_on(p, tag, day))
        } else {
            Some(GroupSet::from_bits(rng.below(128) as u8))
        };
        out.push(ClaimRecord {
            claim_id: format!("C{tag}-{i:04}"),
            person: p.id,
            groups,
            kind,
            level: FacilityLevel::ALL[rng.below(4) as usize],
            county_internal: rng.chance(70),
            settled_at: settled,
            total: Money::from_fen(total),
            policy_scope: Money::from_fen(scope),
            reverses: None,
            icd10: None,
            facility_code: None,
            admitted_on: None,
            pay_later: rng.chance(30).then_some(true),
            one_stop: None,
        });
        reversible.push(out.len() - 1);
    }
    out
}

#[tokio::test]
async fn stored_amounts_equal_batch_settlement_whatever_the_arrival() {
    for t in testing::all().await {
        let persons = random_persons();
        register(&t.db, &persons).await;
        // 2024 under a province-wide set; 130624 keeps its own from July 2023.
        for text in [
            policy_text("13", "2023-01-01", "2024-12-31", "0.75"),
            policy_text("130624", "2023-07-01", "2023-12-31", "0.85"),
        ] {
            jianfu_store::policies::add_policy(&t.db, &text, "tester")
                .await
                .unwrap();
        }
        let registry = |id: &IdCardNo| {
            persons
                .iter()
                .find(|p| p.id == *id)
                .map(|p| p.all_groups())
                .unwrap()
        };
        let mut imported: Vec<ClaimRecord> = Vec::new();
        for seed in 1..=4u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let claims = random_claims(&mut rng, seed, &persons, 160);
            // Cut into batches at random points; each batch in random chunks.
            let mut start = 0;
            while start < claims.len() {
                let end = (start + 10 + rng.below(60) as usize).min(claims.len());
                let chunk = 1 + rng.below(25) as usize;
                let conflicts = import(&t.db, &claims[start..end], chunk).await;
                assert!(conflicts.is_empty(), "{conflicts:?} on {:?}", t.engine());
                imported.extend_from_slice(&claims[start..end]);
                start = end;
            }
            assert_equals_batch(&t, &imported, &registry).await;
        }
        assert!(
            count(&t.db, "claim_adjustments").await > 0,
            "late claims and reversals adjust"
        );
        let before = stored(&t.db).await;
        let adjustments = count(&t.db, "claim_adjustments").await;
        // Importing everything again changes nothing.
        assert!(import(&t.db, &imported, 37).await.is_empty());
        assert_eq!(stored(&t.db).await, before);
        assert_eq!(count(&t.db, "claim_adjustments").await, adjustments);
    }
}

#[tokio::test]
async fn late_claims_and_reversals_are_adjusted_and_reimports_change_nothing() {
    for t in testing::all().await {
        let p = person("130624", 1, HouseholdType::FormerlyPoor, GroupSet::EMPTY);
        register(&t.db, std::slice::from_ref(&p)).await;
        let a = claim("A", p.id, at("2023-03-01 10:00:00"), 6_000_000);
        let b = claim("B", p.id, at("2023-06-01 10:00:00"), 15_000_000);
        assert!(import(&t.db, &[a.clone(), b.clone()], 10).await.is_empty());
        let first = stored(&t.db).await;

        // A claim settled before both arrives late: both are re-settled.
        let late = claim("L", p.id, at("2023-01-15 09:00:00"), 8_000_000);
        assert!(
            import(&t.db, std::slice::from_ref(&late), 10)
                .await
                .is_empty()
        );
        let r = reasons(&t.db).await;
        assert!(
            r.iter().any(|(c, why)| c == "A" && why == "late_claim"),
            "{r:?}"
        );
        assert!(r.iter().all(|(_, why)| why == "late_claim"));
        let adj =
            jianfu_store::claims::claim_adjustments(&mut t.db.read().await.unwrap(), "130624", "A")
                .await
                .unwrap();
        assert_eq!(adj[0].old_basic, first[0].3.unwrap());

        // Reversing the late claim brings A and B back to where they were.
        let rev = reversal("RL", &late, at("2023-07-01 09:00:00"));
        assert!(
            import(&t.db, std::slice::from_ref(&rev), 10)
                .await
                .is_empty()
        );
        let now = stored(&t.db).await;
        assert_eq!(now[0], first[0], "A as before the late claim");
        assert_eq!(now[1], first[1], "B as before the late claim");
        let l = now.iter().find(|r| r.0 == "L").unwrap();
        assert_eq!(l.3, None, "a reversed claim has no amounts");
        let r = reasons(&t.db).await;
        assert!(
            r.iter().any(|(c, why)| c == "L" && why == "reversal"),
            "{r:?}"
        );
        assert!(
            r.iter().any(|(c, why)| c == "A" && why == "reversal"),
            "{r:?}"
        );
        let claims = jianfu_store::claims::person_claims(
            &mut t.db.read().await.unwrap(),
            "130624",
            p.id.as_str(),
            2023,
        )
        .await
        .unwrap();
        assert_eq!(
            claims
                .iter()
                .map(|c| c.claim_id.as_str())
                .collect::<Vec<_>>(),
            ["L", "A", "B", "RL"]
        );
        assert_eq!(claims[0].reversed_by.as_deref(), Some("RL"));
        assert_eq!(claims[1].pay_later, Some(true));
        assert_eq!(claims[1].one_stop, Some(false));

        // Importing everything again is a no-op.
        let adjustments = count(&t.db, "claim_adjustments").await;
        let all = [a, b, late, rev];
        assert!(import(&t.db, &all, 2).await.is_empty());
        assert_eq!(stored(&t.db).await, now);
        assert_eq!(count(&t.db, "claim_adjustments").await, adjustments);
        let registry = |_: &IdCardNo| p.all_groups();
        assert_equals_batch(&t, &all, &registry).await;
        let year =
            jianfu_store::claims::claims_of_year(&mut t.db.read().await.unwrap(), "130624", 2023)
                .await
                .unwrap();
        assert_eq!(year.len(), 2, "A and B stand");
        assert_eq!(year[0].household_no, "H130624001");
        assert_eq!(year[0].village_code, "130624100200");
        assert!(year[0].batch_claim().is_some());
        assert!(
            jianfu_store::claims::claims_of_year(&mut t.db.read().await.unwrap(), "130625", 2023)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            jianfu_store::claims::claims_of_year(
                &mut t.db.read().await.unwrap(),
                "130624100201",
                2023
            )
            .await
            .unwrap()
            .is_empty()
        );
    }
}

#[tokio::test]
async fn refused_claims_have_codes() {
    for t in testing::all().await {
        let p = person("130624", 1, HouseholdType::Ordinary, GroupSet::EMPTY);
        let q = person("130624", 2, HouseholdType::Ordinary, GroupSet::EMPTY);
        register(&t.db, &[p.clone(), q.clone()]).await;
        let a = claim("A", p.id, at("2023-03-01 10:00:00"), 100_000);
        let ra = reversal("RA", &a, at("2023-03-02 10:00:00"));
        let c = claim("C", p.id, at("2023-03-05 10:00:00"), 100_000);
        assert!(
            import(&t.db, &[a.clone(), ra.clone(), c.clone()], 10)
                .await
                .is_empty()
        );

        let stranger = id("130624", 999);
        let mut changed = a.clone();
        changed.total = Money::from_fen(200_000);
        let mut other_person = reversal("RC", &c, at("2023-03-06 10:00:00"));
        other_person.person = q.id;
        let b = claim("B", p.id, at("2023-04-01 10:00:00"), 100_000);
        let rows = vec![
            claim("X", stranger, at("2023-03-01 10:00:00"), 100),
            claim("Y", p.id, at("2022-03-01 10:00:00"), 100),
            changed,
            reversal(
                "RZ",
                &claim("Z", p.id, at("2023-01-01 10:00:00"), 1),
                at("2023-05-01 10:00:00"),
            ),
            reversal("RRA", &ra, at("2023-05-01 10:00:00")),
            reversal("RA2", &a, at("2023-05-01 10:00:00")),
            other_person,
            b.clone(),
            reversal("RB1", &b, at("2023-05-01 10:00:00")),
            reversal("RB2", &b, at("2023-05-02 10:00:00")),
        ];
        let mut conflicts = import(&t.db, &rows, 4).await;
        conflicts.sort();
        assert_eq!(
            conflicts,
            [
                (2, "person_not_in_registry"),
                (3, "no_policy"),
                (4, "duplicate_claim_id"),
                (5, "reversal_unknown_claim"),
                (6, "reversal_of_reversal"),
                (7, "duplicate_reversal"),
                (8, "reversal_person_mismatch"),
                (11, "duplicate_reversal"),
            ],
            "{:?}",
            t.engine()
        );
    }
}

#[tokio::test]
async fn policies_are_chosen_by_prefix_and_date_and_adding_one_resettles() {
    for t in testing::all().await {
        let p = person("130624", 1, HouseholdType::Ordinary, GroupSet::EMPTY);
        let q = person("130625", 1, HouseholdType::Ordinary, GroupSet::EMPTY);
        register(&t.db, &[p.clone(), q.clone()]).await;
        let mut spring = claim("S", p.id, at("2023-03-01 10:00:00"), 1_000_000);
        spring.groups = Some(GroupSet::EMPTY);
        let mut autumn = claim("F", p.id, at("2023-09-01 10:00:00"), 1_000_000);
        autumn.groups = Some(GroupSet::EMPTY);
        let other = claim("O", q.id, at("2023-09-01 10:00:00"), 1_000_000);
        let conflicts = import(&t.db, &[spring.clone(), autumn.clone(), other.clone()], 10).await;
        assert_eq!(conflicts, [(4, "no_policy")], "130625 has no policy yet");
        let before = stored(&t.db).await;

        // A province-wide set does not displace the county's own.
        let wide = jianfu_store::policies::add_policy(
            &t.db,
            &policy_text("13", "2023-01-01", "2023-12-31", "0.50"),
            "tester",
        )
        .await
        .unwrap();
        assert_eq!(wide.claims_resettled, 0);
        assert_eq!(stored(&t.db).await, before);
        assert!(
            import(&t.db, std::slice::from_ref(&other), 10)
                .await
                .is_empty()
        );

        // A second county version from July re-settles the autumn claim.
        let text = policy_text("130624", "2023-07-01", "2023-12-31", "0.90");
        let v2 = jianfu_store::policies::add_policy(&t.db, &text, "tester")
            .await
            .unwrap();
        assert!(!v2.existed);
        assert_eq!(v2.claims_resettled, 1);
        let again = jianfu_store::policies::add_policy(&t.db, &text, "tester")
            .await
            .unwrap();
        assert!(again.existed, "the same text is stored once");
        let claims = jianfu_store::claims::person_claims(
            &mut t.db.read().await.unwrap(),
            "130624",
            p.id.as_str(),
            2023,
        )
        .await
        .unwrap();
        let (s, f) = (&claims[0], &claims[1]);
        assert_eq!(s.policy_id, Some(1), "spring stays under the built-in set");
        assert_eq!(f.policy_id, Some(v2.id));
        // County level, second admission: (9,000 − 500 × 0.5) × 0.90.
        assert_eq!(f.basic, Some(787_500));
        assert_eq!(s.basic, Some(680_000));
        let r = reasons(&t.db).await;
        assert_eq!(r, [("F".to_string(), "policy_change".to_string())]);
        let o = jianfu_store::claims::person_claims(
            &mut t.db.read().await.unwrap(),
            "130625",
            q.id.as_str(),
            2023,
        )
        .await
        .unwrap();
        assert_eq!(o[0].policy_id, Some(wide.id));

        // Policies narrower than a county are refused.
        let narrow = policy_text("130624100", "2023-01-01", "2023-12-31", "0.80");
        let e = jianfu_store::policies::add_policy(&t.db, &narrow, "tester")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("130624100"), "{e}");
        let e = jianfu_store::policies::add_policy(&t.db, "name = 1", "tester")
            .await
            .unwrap_err();
        assert!(matches!(e, jianfu_store::AddPolicyError::Invalid(_)), "{e}");
        assert_eq!(
            jianfu_store::policies::policies(&mut t.db.read().await.unwrap())
                .await
                .unwrap()
                .len(),
            3
        );
    }
}

#[tokio::test]
async fn empty_groups_come_from_the_registry_as_it_was_when_settled() {
    for t in testing::all().await {
        let mut p = person(
            "130624",
            1,
            HouseholdType::Ordinary,
            GroupSet::of(&[Group::Subsistence]),
        );
        register(&t.db, std::slice::from_ref(&p)).await;
        // Later the person leaves 低保 and the household becomes 脱贫户.
        p.groups = GroupSet::EMPTY;
        p.household.household_type = HouseholdType::FormerlyPoor;
        register(&t.db, std::slice::from_ref(&p)).await;
        let mut before = claim("B", p.id, at("2023-03-01 10:00:00"), 100_000);
        before.groups = None;
        let mut after = claim("A", p.id, at("2099-03-01 10:00:00"), 100_000);
        after.groups = None;
        let mut given = claim("G", p.id, at("2023-04-01 10:00:00"), 100_000);
        given.groups = Some(GroupSet::of(&[Group::ExtremePoor]));
        jianfu_store::policies::add_policy(
            &t.db,
            &policy_text("130624", "2099-01-01", "2099-12-31", "0.80"),
            "tester",
        )
        .await
        .unwrap();
        assert!(import(&t.db, &[before, after, given], 10).await.is_empty());
        let groups = |year| {
            let db = t.db.clone();
            async move {
                jianfu_store::claims::person_claims(
                    &mut db.read().await.unwrap(),
                    "130624",
                    id("130624", 1).as_str(),
                    year,
                )
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.claim_id, c.groups, c.groups_from_registry))
                .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            groups(2023).await,
            [
                ("B".to_string(), "subsistence".to_string(), true),
                ("G".to_string(), "extreme_poor".to_string(), false)
            ]
        );
        assert_eq!(
            groups(2099).await,
            [("A".to_string(), "formerly_poor".to_string(), true)]
        );
    }
}
