//! Incremental evaluation equals the batch (`monitoring.md` §4): random
//! sequences of imports — registry changes (household type, income,
//! village, members' groups and status), diagnoses, claims with late
//! claims and reversals, and settlement parameter sets that re-settle —
//! each committed with the evaluation of the households it touched. After
//! every step the stored alerts that hold, with their figures, are what
//! the pure `evaluate_batch` finds on input read independently as of the
//! same day, and a batch `run` as of that day finds nothing to change.
//! Generated with `proptest` (few cases, each a fresh database per
//! engine: the runtime stays well under a minute per engine).

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use jianfu_domain::IdCardNo;
use jianfu_ingest::{FileKind, ImportOptions};
use jianfu_service::clock::SettableClock;
use jianfu_service::{Actor, App, ImportRequest, import_file, monitoring, policies};
use jianfu_store::{Db, testing};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::property::{expected, holding, independent_input};

const HOUSEHOLDS: usize = 5;
const MEMBERS: usize = 2;
const TYPES: [&str; 5] = [
    "一般农户",
    "脱贫户",
    "脱贫不稳定户",
    "边缘易致贫户",
    "突发严重困难户",
];
const GROUPS: [&str; 4] = ["", "低保", "特困", "监测对象"];
const STATUSES: [&str; 3] = ["正常", "正常", "死亡"];
const CODES: [&str; 5] = ["C16.9", "C16.0", "C18.2", "I10", "C91.0"];
const RATIOS: [&str; 3] = ["0.80", "0.70", "0.60"];

/// One household as a persons file states it.
#[derive(Debug, Clone)]
struct HouseholdState {
    village: usize,
    kind: usize,
    /// Yuan; `None` is unknown.
    income: Option<u32>,
    members: Vec<(usize, usize)>,
}

fn household_state() -> impl Strategy<Value = HouseholdState> {
    (
        0..2usize,
        0..TYPES.len(),
        prop_oneof![Just(None), (1000u32..20_000).prop_map(Some)],
        prop::collection::vec((0..GROUPS.len(), 0..STATUSES.len()), MEMBERS),
    )
        .prop_map(|(village, kind, income, members)| HouseholdState {
            village,
            kind,
            income,
            members,
        })
}

/// A claim: person, days before today, inpatient or not, county or city
/// hospital, total in yuan, the share inside the policy scope (tenths).
#[derive(Debug, Clone)]
struct NewClaim {
    person: usize,
    days_back: i64,
    inpatient: bool,
    city: bool,
    total: u32,
    scope_tenths: u32,
}

fn new_claim() -> impl Strategy<Value = NewClaim> {
    (
        0..HOUSEHOLDS * MEMBERS,
        0i64..540,
        any::<bool>(),
        any::<bool>(),
        100u32..60_000,
        5u32..=10,
    )
        .prop_map(
            |(person, days_back, inpatient, city, total, scope_tenths)| NewClaim {
                person,
                days_back,
                inpatient,
                city,
                total,
                scope_tenths,
            },
        )
}

#[derive(Debug, Clone)]
enum Step {
    /// A persons file restating some households.
    Registry(Vec<(usize, HouseholdState)>),
    /// A diagnosis: person, code, days before today.
    Diagnosis(usize, usize, i64),
    /// A claims file (claims dated before others already stored are late).
    Claims(Vec<NewClaim>),
    /// A reversal of the n-th standing claim (modulo their number).
    Reverse(usize),
    /// A settlement parameter set for the year with this county ratio.
    Policy(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => prop::collection::vec((0..HOUSEHOLDS, household_state()), 1..3).prop_map(Step::Registry),
        2 => (0..HOUSEHOLDS * MEMBERS, 0..CODES.len(), 0i64..800)
            .prop_map(|(p, c, d)| Step::Diagnosis(p, c, d)),
        4 => prop::collection::vec(new_claim(), 1..4).prop_map(Step::Claims),
        2 => any::<usize>().prop_map(Step::Reverse),
        1 => (0..RATIOS.len()).prop_map(Step::Policy),
    ]
}

/// A case: the day the sequence runs on, the first registry, the steps.
fn case() -> impl Strategy<Value = (NaiveDate, Vec<HouseholdState>, Vec<Step>)> {
    (
        prop_oneof![
            Just(NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()),
            Just(NaiveDate::from_ymd_opt(2024, 12, 20).unwrap()),
        ],
        prop::collection::vec(household_state(), HOUSEHOLDS),
        prop::collection::vec(step(), 6..10),
    )
}

/// A claim as written, kept to reverse it later.
struct Written {
    line: String,
    id: String,
    person: String,
    settled_at: String,
    reversed: bool,
}

/// One sequence on one database.
struct Run {
    db: Db,
    app: App,
    dir: tempfile::TempDir,
    today: NaiveDate,
    villages: Vec<String>,
    claims: Vec<Written>,
    files: usize,
}

const CLAIMS_HEADER: &str =
    "claim_id,person_id,groups,kind,level,county_internal,settled_at,total,policy_scope,reverses\n";

impl Run {
    fn person(&self, i: usize) -> String {
        let born = NaiveDate::from_ymd_opt(1960 + (i % 30) as i32, 3, 1).unwrap();
        IdCardNo::from_parts("130624", born, 100 + i as u16)
            .unwrap()
            .as_str()
            .to_string()
    }

    fn household_no(&self, h: usize) -> String {
        format!("{}{h:04}", self.villages[0])
    }

    fn day_back(&self, days: i64) -> NaiveDate {
        let first = NaiveDate::from_ymd_opt(self.today.year() - 1, 1, 1).unwrap();
        (self.today - Duration::days(days)).max(first)
    }

    async fn import(&mut self, kind: FileKind, text: String) {
        self.files += 1;
        let path = self
            .dir
            .path()
            .join(format!("{}-{}.csv", self.files, kind.name()));
        std::fs::write(&path, text).unwrap();
        let mut req = ImportRequest::new(path.clone(), kind, "tester");
        req.options = ImportOptions::new(self.today);
        req.report = Some(path.with_extension("report.csv"));
        let outcome = import_file(&self.app, &Actor::command_line(), &req, |_, _| {})
            .await
            .unwrap();
        assert!(
            outcome.is_success(),
            "{outcome:?}\n{}",
            std::fs::read_to_string(path.with_extension("report.csv")).unwrap_or_default()
        );
    }

    async fn registry(&mut self, households: &[(usize, HouseholdState)]) {
        let mut text = String::from(
            "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n",
        );
        for (h, s) in households {
            let village = &self.villages[s.village];
            let income = s.income.map(|y| format!("{y}.00")).unwrap_or_default();
            for (m, (group, status)) in s.members.iter().enumerate() {
                let relation = if m == 0 { "户主" } else { "子女" };
                text.push_str(&format!(
                    "{},{village},{},{income},成员{h}{m},{},{relation},{},,{}\n",
                    self.household_no(*h),
                    TYPES[s.kind],
                    self.person(h * MEMBERS + m),
                    GROUPS[*group],
                    STATUSES[*status],
                ));
            }
        }
        self.import(FileKind::Persons, text).await;
    }

    async fn apply(&mut self, step: &Step, n: usize) {
        match step {
            Step::Registry(hh) => {
                // One row set per household in a file.
                let mut seen = std::collections::BTreeMap::new();
                for (h, s) in hh {
                    seen.insert(*h, s.clone());
                }
                let hh: Vec<(usize, HouseholdState)> = seen.into_iter().collect();
                self.registry(&hh).await;
            }
            Step::Diagnosis(p, c, d) => {
                let on = self.today - Duration::days(*d);
                let text = format!(
                    "身份证号,疾病编码,疾病名称,确诊日期,确诊机构\n{},{},病,{on},阜平县医院\n",
                    self.person(*p),
                    CODES[*c]
                );
                self.import(FileKind::Diagnoses, text).await;
            }
            Step::Claims(claims) => self.claims(claims, n).await,
            Step::Reverse(k) => self.reverse(*k, n).await,
            Step::Policy(r) => self.policy(*r).await,
        }
    }

    async fn claims(&mut self, claims: &[NewClaim], n: usize) {
        let mut text = String::from(CLAIMS_HEADER);
        let mut written = Vec::new();
        for (i, c) in claims.iter().enumerate() {
            let id = format!("S{n}C{i}");
            let person = self.person(c.person);
            let on = self.day_back(c.days_back);
            let settled_at = format!("{on}T10:{:02}:00", i % 60);
            let kind = if c.inpatient {
                "inpatient"
            } else {
                "outpatient"
            };
            let level = if c.city { "city" } else { "county" };
            let scope = c.total / 10 * c.scope_tenths;
            let fields = format!("{kind},{level},true,{settled_at},{}.00,{scope}.00", c.total);
            let line = format!("{id},{person},,{fields},\n");
            text.push_str(&line);
            written.push(Written {
                line: fields,
                id,
                person,
                settled_at,
                reversed: false,
            });
        }
        self.import(FileKind::Claims, text).await;
        self.claims.extend(written);
    }

    async fn reverse(&mut self, k: usize, n: usize) {
        let standing: Vec<usize> = (0..self.claims.len())
            .filter(|&i| !self.claims[i].reversed)
            .collect();
        if standing.is_empty() {
            return;
        }
        let i = standing[k % standing.len()];
        let c = &self.claims[i];
        let line = c
            .line
            .replace(&c.settled_at, &c.settled_at.replace("T10:", "T11:"));
        let text = format!("{CLAIMS_HEADER}R{n},{},,{line},{}\n", c.person, c.id);
        self.import(FileKind::Claims, text).await;
        self.claims[i].reversed = true;
    }

    async fn policy(&mut self, r: usize) {
        let year = self.today.year();
        let text = jianfu_policy::Policy::built_in_text("reference-2023")
            .unwrap()
            .replace("示例县 2023", &format!("示例县 {year} 比例 {}", RATIOS[r]))
            .replace(
                "valid_from = \"2023-01-01\"",
                &format!("valid_from = \"{year}-01-01\""),
            )
            .replace(
                "valid_to = \"2023-12-31\"",
                &format!("valid_to = \"{year}-12-31\""),
            )
            .replacen("ratio = \"0.80\"", &format!("ratio = \"{}\"", RATIOS[r]), 1);
        policies::add(&self.app, &Actor::command_line(), &text)
            .await
            .unwrap();
    }

    /// The stored alerts equal the batch as of today.
    async fn check(&self, after: &str) {
        let years = (self.today.year() - 1, self.today.year());
        let input = independent_input(&self.db, [years.0, years.1]).await;
        let want = expected(&input, self.today);
        let (got, rows) = holding(&self.db, years).await;
        assert_eq!(got, want, "{:?} after {after}", self.db.engine());
        let s = monitoring::run(
            &self.app,
            &Actor::command_line(),
            None,
            Some(self.today),
            None,
        )
        .await
        .unwrap();
        let changed = s
            .rules
            .values()
            .map(|c| c.raised + c.reopened + c.updated + c.lapsed)
            .sum::<u64>();
        assert_eq!(changed, 0, "a batch run changed {s:?} after {after}");
        assert_eq!(holding(&self.db, years).await.1, rows, "after {after}");
    }
}

async fn run_case(t: &testing::TestDb, today: NaiveDate, first: &[HouseholdState], steps: &[Step]) {
    let villages = testing::villages_of(&t.db, "1306", &["130624"], 400).await;
    let first_village = villages[0][0].clone();
    let other = villages[0]
        .iter()
        .find(|v| v[..9] != first_village[..9])
        .unwrap()
        .clone();
    // 10:00 China time on `today`.
    let at = Utc
        .from_local_datetime(&today.and_hms_opt(2, 0, 0).unwrap())
        .unwrap();
    let clock = SettableClock::at(at);
    let mut run = Run {
        db: t.db.clone(),
        app: App::with_clock(t.db.clone(), clock),
        dir: tempfile::tempdir().unwrap(),
        today,
        villages: vec![first_village, other],
        claims: Vec::new(),
        files: 0,
    };
    // The year's settlement parameters (2023's are built in).
    run.policy(0).await;
    let all: Vec<(usize, HouseholdState)> = first.iter().cloned().enumerate().collect();
    run.registry(&all).await;
    run.check("the registry").await;
    for (n, step) in steps.iter().enumerate() {
        run.apply(step, n).await;
        run.check(&format!("step {n}: {step:?}")).await;
    }
}

fn on_every_engine(today: NaiveDate, first: &[HouseholdState], steps: &[Step]) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for t in testing::all().await {
            run_case(&t, today, first, steps).await;
        }
    });
}

#[test]
fn incremental_evaluation_equals_the_batch_after_every_import() {
    let config = Config {
        cases: 12,
        max_shrink_iters: 30,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    runner
        .run(&case(), |(today, first, steps)| {
            on_every_engine(today, &first, &steps);
            Ok(())
        })
        .unwrap();
}
