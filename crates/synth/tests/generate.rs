//! End-to-end checks of the generated files: formats, validity,
//! consistency, shares and determinism.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use jianfu_domain::{
    DiseaseCatalogue, GroupSet, HouseholdType, Icd10, IdCardNo, Money, PersonStatus, RegionLevel,
    Relation,
};
use jianfu_synth::{
    CLAIMS_FILE, CLAIMS_HEADER, DIAGNOSES_FILE, DIAGNOSES_HEADER, GenerateOptions, PERSONS_FILE,
    PERSONS_HEADER, Phase, SynthError, generate,
};

fn opts(persons: u64, seed: u64) -> GenerateOptions {
    GenerateOptions {
        persons,
        seed,
        ..GenerateOptions::default()
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>, bool) {
    let text = std::fs::read_to_string(path).unwrap();
    let bom = text.starts_with('\u{feff}');
    let body = text.trim_start_matches('\u{feff}');
    let mut r = csv::ReaderBuilder::new().from_reader(body.as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows, bom)
}

fn two_decimals(s: &str) -> bool {
    matches!(s.split_once('.'), Some((i, f)) if !i.is_empty() && f.len() == 2
        && i.bytes().all(|b| b.is_ascii_digit()) && f.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn same_options_same_bytes_other_seed_other_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    let sa = generate(&opts(1_500, 7), &a, &mut |_| {}).unwrap();
    let sb = generate(&opts(1_500, 7), &b, &mut |_| {}).unwrap();
    let sc = generate(&opts(1_500, 8), &c, &mut |_| {}).unwrap();
    assert_eq!(sa, sb);
    assert_eq!(sa.persons, 1_500);
    for f in [PERSONS_FILE, DIAGNOSES_FILE, CLAIMS_FILE] {
        let x = std::fs::read(a.join(f)).unwrap();
        assert_eq!(x, std::fs::read(b.join(f)).unwrap(), "{f}");
        assert_ne!(x, std::fs::read(c.join(f)).unwrap(), "{f}");
    }
    // Nothing but the three files is left behind.
    let mut names: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [CLAIMS_FILE, DIAGNOSES_FILE, PERSONS_FILE]);
    assert_eq!(sc.persons, 1_500);
}

#[test]
fn tiny_and_empty_runs() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(&opts(1, 3), &dir.path().join("one"), &mut |_| {}).unwrap();
    assert_eq!((s.households, s.persons), (1, 1));
    let (_, rows, _) = read_csv(&dir.path().join("one").join(PERSONS_FILE));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][6], "户主");

    let s = generate(&opts(0, 3), &dir.path().join("none"), &mut |_| {}).unwrap();
    assert_eq!((s.households, s.persons, s.claims), (0, 0, 0));
    let (h, rows, _) = read_csv(&dir.path().join("none").join(CLAIMS_FILE));
    assert_eq!(h, CLAIMS_HEADER);
    assert!(rows.is_empty());
}

#[test]
fn errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let bad = GenerateOptions {
        county: "139999".into(),
        ..opts(10, 1)
    };
    assert!(matches!(
        generate(&bad, dir.path(), &mut |_| {}),
        Err(SynthError::UnknownCounty { code }) if code == "139999"
    ));
    let bad = GenerateOptions {
        county: "1306".into(),
        ..opts(10, 1)
    };
    assert!(matches!(
        generate(&bad, dir.path(), &mut |_| {}),
        Err(SynthError::UnknownCounty { .. })
    ));
    let bad = GenerateOptions {
        claim_years: [2024, 2023],
        ..opts(10, 1)
    };
    assert!(matches!(
        generate(&bad, dir.path(), &mut |_| {}),
        Err(SynthError::ClaimYears { .. })
    ));
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    match generate(&opts(10, 1), &file.join("sub"), &mut |_| {}) {
        Err(e @ SynthError::Io { .. }) => assert!(e.to_string().contains("a-file"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn one_claim_year_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let o = GenerateOptions {
        claim_years: [2022, 2022],
        ..opts(500, 2)
    };
    generate(&o, dir.path(), &mut |_| {}).unwrap();
    let (_, rows, _) = read_csv(&dir.path().join(CLAIMS_FILE));
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r[6].starts_with("2022-") && r[0].starts_with("C2022"))
    );
}

/// The big check: 20,000 persons.
#[test]
fn twenty_thousand_persons() {
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    let summary = generate(&opts(20_000, 11), dir.path(), &mut |p| reports.push(p)).unwrap();
    assert_eq!(summary.persons, 20_000);
    assert!(
        reports
            .iter()
            .any(|p| p.phase == Phase::Registry && p.done == 20_000)
    );
    let last = reports.last().unwrap();
    assert_eq!(
        (last.phase, last.done, last.total),
        (Phase::Claims, summary.claims, summary.claims)
    );
    let sizes: u64 = [PERSONS_FILE, DIAGNOSES_FILE, CLAIMS_FILE]
        .iter()
        .map(|f| std::fs::metadata(dir.path().join(f)).unwrap().len())
        .sum();
    assert_eq!(summary.bytes_written, sizes);

    let reference = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
    let persons = check_persons(dir.path(), reference, summary.households);
    let diagnosed = check_diagnoses(dir.path(), reference, &persons, summary.diagnoses);
    check_shares(&persons, &diagnosed);
    check_claims(dir.path(), &persons, summary.claims, summary.reversals);
}

struct Person {
    id: IdCardNo,
    age: u32,
    kind: HouseholdType,
    relation: Relation,
    groups: GroupSet,
    status: PersonStatus,
    household_size: usize,
}

fn check_persons(dir: &Path, reference: NaiveDate, households: u64) -> HashMap<String, Person> {
    let (header, rows, bom) = read_csv(&dir.join(PERSONS_FILE));
    assert!(bom, "persons.csv starts with a BOM");
    assert_eq!(header, PERSONS_HEADER);
    let villages: HashSet<String> = jianfu_regions::regions("130624")
        .filter(|r| r.level == RegionLevel::Village)
        .map(|r| r.code.as_str().to_string())
        .collect();

    let mut out: HashMap<String, Person> = HashMap::new();
    let mut by_household: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.len(), 10);
        let (hh, village) = (&r[0], &r[1]);
        assert!(
            villages.contains(village),
            "{village} is a village of 阜平县"
        );
        assert_eq!(hh.len(), 16);
        assert!(hh.starts_with(village.as_str()) && hh[12..].bytes().all(|b| b.is_ascii_digit()));
        let kind = HouseholdType::parse(&r[2]).unwrap();
        assert!(two_decimals(&r[3]), "income {}", r[3]);
        Money::from_yuan_str(&r[3]).unwrap();
        assert!(r[4].chars().count() >= 2 && r[4].chars().all(|c| !c.is_ascii()));
        let id = IdCardNo::parse_as_of(&r[5], reference).unwrap();
        assert_eq!(IdCardNo::parse(&r[5]).unwrap(), id, "valid as of today too");
        let relation = Relation::parse(&r[6]).unwrap();
        let groups = GroupSet::parse_list(&r[7]).unwrap();
        if !r[7].is_empty() {
            assert!(
                r[7].split('|')
                    .all(|g| jianfu_domain::Group::parse(g).unwrap().label() == g)
            );
        }
        if !r[8].is_empty() {
            let p = r[8].as_bytes();
            assert!(
                p.len() == 11 && p[0] == b'1' && (b'3'..=b'9').contains(&p[1]),
                "{}",
                r[8]
            );
            assert!(p.iter().all(u8::is_ascii_digit));
        }
        let status = PersonStatus::parse(&r[9]).unwrap();
        match by_household.last_mut() {
            Some((h, members)) if h == hh => members.push(i),
            _ => {
                assert!(
                    !by_household.iter().any(|(h, _)| h == hh),
                    "households are contiguous"
                );
                by_household.push((hh.clone(), vec![i]));
            }
        }
        let previous = out.insert(
            r[5].clone(),
            Person {
                id,
                age: id.age_on(reference),
                kind,
                relation,
                groups,
                status,
                household_size: 0,
            },
        );
        assert!(previous.is_none(), "duplicate ID number");
    }
    assert_eq!(by_household.len() as u64, households);

    let mut packed = HashSet::new();
    for p in out.values() {
        assert!(packed.insert(p.id.packed()));
        assert!(["130624", "132438", "130630", "130627", "130634"].contains(&p.id.area_code()));
        if p.id.area_code() == "132438" {
            assert!(
                p.id.birth_date().year() <= 1977,
                "obsolete code only for older people"
            );
        }
    }

    let mut heads_with_phone = 0;
    for (hh, members) in &by_household {
        let hrows: Vec<&Vec<String>> = members.iter().map(|&i| &rows[i]).collect();
        assert!((1..=7).contains(&hrows.len()));
        let heads = hrows.iter().filter(|r| r[6] == "户主").count();
        assert_eq!(heads, 1, "{hh} has one head");
        assert_eq!(hrows[0][6], "户主", "the head comes first");
        if !hrows[0][8].is_empty() {
            heads_with_phone += 1;
        }
        for r in &hrows {
            assert_eq!(r[..4], hrows[0][..4], "household fields agree in {hh}");
        }
        let head = &out[&hrows[0][5]];
        assert_eq!(head.status, PersonStatus::Active);
        for r in &hrows[1..] {
            let m = &out[&r[5]];
            let (ha, ma) = (head.age as i64, m.age as i64);
            match m.relation {
                Relation::Spouse => {
                    assert!((ha - ma).abs() <= 12, "{hh}: spouse {ma} vs head {ha}");
                    assert_ne!(m.id.sex(), head.id.sex());
                }
                Relation::Child => assert!(
                    (20..=38).contains(&(ha - ma)),
                    "{hh}: child {ma}, head {ha}"
                ),
                Relation::Parent => assert!(ma - ha >= 18, "{hh}: parent"),
                Relation::Grandchild => assert!(ha - ma >= 36, "{hh}: grandchild"),
                Relation::Head => panic!("second head"),
                _ => {}
            }
        }
        for r in &hrows {
            out.get_mut(&r[5]).unwrap().household_size = hrows.len();
        }
    }
    let phones = heads_with_phone as f64 / by_household.len() as f64;
    assert!(phones > 0.9, "most heads have a phone: {phones}");
    out
}

fn check_diagnoses(
    dir: &Path,
    reference: NaiveDate,
    persons: &HashMap<String, Person>,
    count: u64,
) -> HashMap<String, Vec<String>> {
    let (header, rows, _) = read_csv(&dir.join(DIAGNOSES_FILE));
    assert_eq!(header, DIAGNOSES_HEADER);
    assert_eq!(rows.len() as u64, count);
    let today = chrono::Local::now().date_naive();
    let ten_years = reference - chrono::Days::new(3_660);
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for r in &rows {
        let p = persons
            .get(&r[0])
            .expect("a diagnosed person is in the registry");
        let code = Icd10::parse(&r[1]).unwrap();
        assert!(!r[2].is_empty() && !r[4].is_empty());
        let on = NaiveDate::parse_from_str(&r[3], "%Y-%m-%d").unwrap();
        assert!(on >= p.id.birth_date(), "diagnosed after birth");
        assert!(on <= reference && on <= today, "not in the future");
        assert!(on >= ten_years, "within ten years: {on}");
        if r[1].starts_with('Q') || r[1].starts_with("C91") {
            assert!(
                p.age < 18 + 10,
                "children's diseases are diagnosed in children"
            );
        }
        let list = out.entry(r[0].clone()).or_default();
        assert!(!list.contains(&code.as_str().to_string()));
        list.push(code.as_str().to_string());
    }
    out
}

fn check_shares(persons: &HashMap<String, Person>, diagnosed: &HashMap<String, Vec<String>>) {
    let n = persons.len() as f64;
    let share = |f: &dyn Fn(&Person) -> bool| persons.values().filter(|p| f(p)).count() as f64 / n;
    let within = |name: &str, x: f64, lo: f64, hi: f64| {
        assert!(
            (lo..=hi).contains(&x),
            "{name} = {x:.4}, expected {lo}–{hi}"
        );
    };
    let heads: Vec<&Person> = persons
        .values()
        .filter(|p| p.relation == Relation::Head)
        .collect();
    let h = heads.len() as f64;
    let hshare = |f: &dyn Fn(&Person) -> bool| heads.iter().filter(|p| f(p)).count() as f64 / h;
    within("mean household size", n / h, 2.7, 3.3);
    within(
        "former poor households",
        hshare(&|p| {
            matches!(
                p.kind,
                HouseholdType::FormerlyPoor | HouseholdType::Unstable
            )
        }),
        0.15,
        0.25,
    );
    within(
        "monitored households",
        hshare(&|p| p.kind.is_monitored()),
        0.02,
        0.07,
    );
    within("60+", share(&|p| p.age >= 60), 0.2, 0.35);
    within("children", share(&|p| p.age < 15), 0.1, 0.2);
    use jianfu_domain::Group::*;
    within(
        "低保",
        share(&|p| p.groups.contains(Subsistence)),
        0.035,
        0.07,
    );
    within(
        "特困",
        share(&|p| p.groups.contains(ExtremePoor)),
        0.005,
        0.016,
    );
    within(
        "返贫致贫",
        share(&|p| p.groups.contains(ReturnedPoor)),
        0.002,
        0.02,
    );
    within(
        "低保边缘",
        share(&|p| p.groups.contains(SubsistenceEdge)),
        0.002,
        0.02,
    );
    within(
        "因病致贫重病患者",
        share(&|p| p.groups.contains(IllnessPoor)),
        0.001,
        0.01,
    );
    let extreme: Vec<&Person> = persons
        .values()
        .filter(|p| p.groups.contains(ExtremePoor))
        .collect();
    let alone_old = extreme
        .iter()
        .filter(|p| p.household_size == 1 && p.age >= 60)
        .count();
    assert!(
        alone_old * 10 >= extreme.len() * 8,
        "特困 are mostly old people living alone"
    );
    let poor_share = |g| {
        let with: Vec<&Person> = persons.values().filter(|p| p.groups.contains(g)).collect();
        with.iter()
            .filter(|p| p.kind != HouseholdType::Ordinary)
            .count() as f64
            / with.len() as f64
    };
    assert!(
        poor_share(Subsistence) > 0.6,
        "低保 concentrated in poor households"
    );
    within(
        "deceased",
        share(&|p| p.status == PersonStatus::Deceased),
        0.003,
        0.03,
    );
    within(
        "moved out",
        share(&|p| p.status == PersonStatus::MovedOut),
        0.002,
        0.03,
    );

    let has = |p: &Person, prefixes: &[&str]| {
        diagnosed
            .get(p.id.as_str())
            .is_some_and(|l| l.iter().any(|c| prefixes.iter().any(|x| c.starts_with(x))))
    };
    let rate = |lo: u32, hi: u32, prefixes: &[&str]| {
        let pop: Vec<&Person> = persons
            .values()
            .filter(|p| (lo..hi).contains(&p.age))
            .collect();
        pop.iter().filter(|p| has(p, prefixes)).count() as f64 / pop.len() as f64
    };
    within(
        "hypertension 55+",
        rate(55, 200, &["I10", "I11", "I12"]),
        0.25,
        0.35,
    );
    assert!(rate(0, 55, &["I10", "I11", "I12"]) < 0.08);
    within("diabetes 50+", rate(50, 200, &["E11"]), 0.08, 0.13);
    within("TB", rate(0, 200, &["A15", "A16"]), 0.0, 0.003);
    let catalogue = DiseaseCatalogue::built_in();
    let major = catalogue
        .list("major30", NaiveDate::from_ymd_opt(2024, 6, 1).unwrap())
        .unwrap();
    let with_major = persons
        .values()
        .filter(|p| {
            diagnosed.get(p.id.as_str()).is_some_and(|l| {
                l.iter().any(|c| {
                    major
                        .matching(&Icd10::parse(c).unwrap(), Some(p.age))
                        .is_some()
                })
            })
        })
        .collect::<Vec<_>>();
    within(
        "30 major diseases",
        with_major.len() as f64 / n,
        0.008,
        0.025,
    );
    let old = with_major.iter().filter(|p| p.age >= 50).count() as f64 / with_major.len() as f64;
    assert!(
        old > 0.7,
        "major diseases are mostly diseases of the old: {old}"
    );
}

fn check_claims(dir: &Path, persons: &HashMap<String, Person>, count: u64, reversals: u64) {
    let (header, rows, bom) = read_csv(&dir.join(CLAIMS_FILE));
    assert!(!bom);
    assert_eq!(header, CLAIMS_HEADER);
    assert_eq!(
        &header[..10],
        [
            "claim_id",
            "person_id",
            "groups",
            "kind",
            "level",
            "county_internal",
            "settled_at",
            "total",
            "policy_scope",
            "reverses"
        ]
    );
    assert_eq!(rows.len() as u64, count);
    let first = NaiveDate::from_ymd_opt(2023, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let last = NaiveDate::from_ymd_opt(2024, 12, 31)
        .unwrap()
        .and_hms_opt(23, 59, 59)
        .unwrap();
    let mut seen: HashMap<&str, (&str, &str, &str, NaiveDateTime)> = HashMap::new();
    let mut reversed: HashSet<&str> = HashSet::new();
    let mut n_reversals = 0u64;
    let mut kinds: HashMap<&str, u64> = HashMap::new();
    let mut out_of_order = 0;
    let mut previous: Option<NaiveDateTime> = None;
    let mut inpatient_persons: HashMap<&str, u64> = HashMap::new();
    for r in &rows {
        let id = r[0].as_str();
        assert!(id.starts_with("C2023") || id.starts_with("C2024"));
        let p = persons
            .get(&r[1])
            .expect("claims belong to registered persons");
        let groups = GroupSet::parse_list(&r[2]).unwrap();
        assert_eq!(r[2], groups.codes(), "English codes joined by |");
        assert_eq!(
            groups,
            p.groups.union(p.kind.implied_groups()),
            "registry groups and household type"
        );
        *kinds.entry(r[3].as_str()).or_default() += 1;
        assert!(["inpatient", "outpatient_chronic", "outpatient"].contains(&r[3].as_str()));
        let internal = match r[4].as_str() {
            "township" | "county" => "true",
            "city" | "province" => "false",
            other => panic!("level {other}"),
        };
        assert_eq!(r[5], internal);
        let at = NaiveDateTime::parse_from_str(&r[6], "%Y-%m-%dT%H:%M:%S").unwrap();
        assert_eq!(r[6].len(), 19);
        assert!(first <= at && at <= last, "{at}");
        assert!(at.date() >= p.id.birth_date());
        if previous.is_some_and(|prev| at < prev) {
            out_of_order += 1;
        }
        previous = Some(at);
        assert!(
            two_decimals(&r[7]) && two_decimals(&r[8]),
            "{} {}",
            r[7],
            r[8]
        );
        let total = Money::from_yuan_str(&r[7]).unwrap();
        let policy = Money::from_yuan_str(&r[8]).unwrap();
        assert!(Money::ZERO <= policy && policy <= total);
        let ratio = policy.fen() as f64 / total.fen() as f64;
        assert!((0.69..=0.96).contains(&ratio), "policy share {ratio}");
        Icd10::parse(&r[10]).unwrap();
        assert_eq!(r[11].len(), 12);
        assert!(r[11].starts_with('H'));
        assert_eq!(&r[11][1..7] == "130624", internal == "true");
        if r[3] == "inpatient" {
            let admitted = NaiveDate::parse_from_str(&r[12], "%Y-%m-%d").unwrap();
            assert!(admitted <= at.date() && admitted >= p.id.birth_date());
            if r[9].is_empty() {
                *inpatient_persons.entry(r[1].as_str()).or_default() += 1;
            }
        } else {
            assert!(r[12].is_empty());
        }
        assert!(
            ["true", "false"].contains(&r[13].as_str())
                && ["true", "false"].contains(&r[14].as_str())
        );
        if !r[9].is_empty() {
            n_reversals += 1;
            let (person, total0, policy0, at0) = seen
                .get(r[9].as_str())
                .expect("reversal of an earlier claim");
            assert_eq!(*person, r[1].as_str(), "same person");
            assert_eq!(
                (*total0, *policy0),
                (r[7].as_str(), r[8].as_str()),
                "same amounts"
            );
            assert!(*at0 < at);
            assert!(reversed.insert(r[9].as_str()), "reversed once");
        }
        assert!(
            seen.insert(id, (r[1].as_str(), r[7].as_str(), r[8].as_str(), at))
                .is_none(),
            "unique claim_id {id}"
        );
    }
    assert_eq!(n_reversals, reversals);
    let share = n_reversals as f64 / count as f64;
    assert!((0.002..0.01).contains(&share), "reversals {share}");
    assert!(out_of_order > 0, "some claims arrive late");
    assert!(
        (out_of_order as f64) < 0.1 * count as f64,
        "but most are in order"
    );
    // Two years of 20,000 persons.
    let per_person_year = count as f64 / 40_000.0;
    assert!((1.0..2.5).contains(&per_person_year), "{per_person_year}");
    let admissions: u64 = inpatient_persons.values().sum();
    let rate = admissions as f64 / 40_000.0;
    assert!((0.1..=0.2).contains(&rate), "admission rate {rate}");
    assert!(
        kinds["outpatient"] > kinds["inpatient"]
            && kinds["outpatient_chronic"] > kinds["inpatient"]
    );
}
