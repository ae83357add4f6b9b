//! Speed of the care engine on a synthetic county of 1,000,000 persons:
//! managed spans from diagnoses, every open task placed in today's window,
//! the 95-day rule and every home-reading alert.
//!
//! `cargo run --release -p jianfu-care --example bench_care [-- PERSONS [THREADS]]`
//!
//! Shares are those of a rural county: hypertension about 13%, diabetes
//! about 5% (a third of them also hypertensive), TB 0.05%, severe mental
//! disorders 0.4%; a year of visits (most patients four to five, one in
//! ten none) and home devices for one managed patient in twenty, used on
//! seven days of ten. Generation is not timed; the pure part is.

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, TimeZone, Utc};
use jianfu_care::calendar::{add_days, china_offset};
use jianfu_care::*;
use jianfu_domain::{Icd10, IdCardNo};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, per_10000: u64) -> bool {
        self.below(10_000) < per_10000
    }
    /// Roughly normal: the sum of four uniforms around `mean`.
    fn around(&mut self, mean: i64, spread: i64) -> i64 {
        let s: i64 = (0..4)
            .map(|_| self.below(2 * spread as u64 + 1) as i64 - spread)
            .sum();
        mean + s / 2
    }
}

struct Person {
    id: IdCardNo,
    diagnoses: Vec<Diagnosis>,
    visits: Vec<Visit>,
    readings: Vec<Reading>,
}

const YEAR_START: NaiveDate = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
const TODAY: NaiveDate = NaiveDate::from_ymd_opt(2025, 1, 15).unwrap();

fn main() {
    let mut args = std::env::args().skip(1);
    let persons: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2).max(1);
    let t0 = Instant::now();
    let people: Vec<Person> = (0..persons).map(|i| person(i as u64)).collect();
    let generated = t0.elapsed();
    let visits: usize = people.iter().map(|p| p.visits.len()).sum();
    let readings: usize = people.iter().map(|p| p.readings.len()).sum();
    println!(
        "generated {persons} persons, {visits} visits, {readings} readings in {:.2} s",
        generated.as_secs_f64()
    );

    let catalogue = CareCatalogue::built_in();
    let t1 = Instant::now();
    let chunk = persons.div_ceil(threads);
    let totals = std::thread::scope(|s| {
        let handles: Vec<_> = people
            .chunks(chunk.max(1))
            .map(|part| s.spawn(|| run(&catalogue, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .fold(Counts::default(), Counts::merge)
    });
    let secs = t1.elapsed().as_secs_f64();
    println!("computed on {threads} threads in {secs:.2} s");
    println!(
        "managed patients {} ({} spans); {:.0} patients/s, {:.0} persons/s",
        totals.patients,
        totals.spans,
        totals.patients as f64 / secs,
        persons as f64 / secs
    );
    println!(
        "spans: hypertension {}, diabetes {}, tb {}, mental {}",
        totals.by_disease[0], totals.by_disease[1], totals.by_disease[2], totals.by_disease[3]
    );
    println!(
        "open tasks {}: stored (in window) {}, before window {}, after window {}; overdue {}; 95-day face-to-face overdue {}",
        totals.tasks,
        totals.stored,
        totals.before,
        totals.after,
        totals.overdue,
        totals.gap_overdue
    );
    println!(
        "alerts {}: H-BP-CRIT {}, H-BP-3D {}, H-GLU-CRIT {}, H-GLU-3D {} ({} of persons not under management)",
        totals.alerts.iter().sum::<u64>(),
        totals.alerts[0],
        totals.alerts[1],
        totals.alerts[2],
        totals.alerts[3],
        totals.unmanaged_alerts
    );
    println!("peak memory (VmHWM) {}", peak_memory());
}

#[derive(Default)]
struct Counts {
    patients: u64,
    spans: u64,
    by_disease: [u64; 4],
    tasks: u64,
    stored: u64,
    before: u64,
    after: u64,
    overdue: u64,
    gap_overdue: u64,
    alerts: [u64; 4],
    unmanaged_alerts: u64,
}

impl Counts {
    fn merge(mut self, o: Counts) -> Counts {
        self.patients += o.patients;
        self.spans += o.spans;
        for i in 0..4 {
            self.by_disease[i] += o.by_disease[i];
        }
        self.tasks += o.tasks;
        self.stored += o.stored;
        self.before += o.before;
        self.after += o.after;
        self.overdue += o.overdue;
        self.gap_overdue += o.gap_overdue;
        for i in 0..4 {
            self.alerts[i] += o.alerts[i];
        }
        self.unmanaged_alerts += o.unmanaged_alerts;
        self
    }
}

/// The timed, pure part for a share of the persons.
fn run(catalogue: &CareCatalogue, people: &[Person]) -> Counts {
    let mut c = Counts::default();
    let mut alert_tasks = Vec::new();
    for p in people {
        if p.diagnoses.is_empty() && p.readings.is_empty() {
            continue;
        }
        let birth = p.id.birth_date();
        let spans = managed_spans(catalogue, birth, &p.diagnoses, &PersonEnds::default());
        c.patients += u64::from(!spans.is_empty());
        c.spans += spans.len() as u64;
        for s in &spans {
            c.by_disease[s.disease.index()] += 1;
        }
        alert_tasks.clear();
        for kind in [ReadingKind::Bp, ReadingKind::Glucose] {
            for a in alerts_for(&p.readings, kind, &spans) {
                c.alerts[AlertRule::ALL
                    .iter()
                    .position(|r| *r == a.rule)
                    .unwrap_or(0)] += 1;
                c.unmanaged_alerts += u64::from(!a.under_management);
                alert_tasks.push(a.task());
            }
        }
        for placed in tasks_in_window(&spans, &p.visits, &alert_tasks, birth, TODAY) {
            c.tasks += 1;
            c.overdue += u64::from(placed.task.overdue_on(TODAY));
            match placed.placement {
                Placement::InWindow => c.stored += 1,
                Placement::BeforeWindow => c.before += 1,
                Placement::AfterWindow => c.after += 1,
            }
        }
        c.gap_overdue += spans
            .iter()
            .filter_map(|s| face_to_face_gap(s, &p.visits, TODAY))
            .filter(|g| g.overdue)
            .count() as u64;
    }
    c
}

fn person(i: u64) -> Person {
    let mut rng = Rng(i.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x1234_5678);
    let age = rng.below(90) as i64 + (if rng.chance(3_000) { 0 } else { 10 });
    let birth = add_days(TODAY, -(age * 365 + rng.below(365) as i64));
    let id = IdCardNo::from_parts("522701", birth, (i % 1000) as u16).expect("valid parts");
    // Prevalence rises with age: hypertension about 13% overall.
    let ht_share = if age >= 60 {
        2_500
    } else if age >= 35 {
        1_050
    } else {
        120
    };
    let mut p = Person {
        id,
        diagnoses: Vec::new(),
        visits: Vec::new(),
        readings: Vec::new(),
    };
    let ht = rng.chance(ht_share);
    let dm = rng.chance(if ht { 1_300 } else { 330 });
    let tb = rng.chance(5);
    let mental = rng.chance(40);
    for (on, code, disease) in [
        (ht, "I10", CareDisease::Hypertension),
        (dm, "E11.9", CareDisease::Diabetes),
        (tb, "A15.0", CareDisease::Tb),
        (mental, "F20.0", CareDisease::Mental),
    ] {
        if !on {
            continue;
        }
        let since = if disease == CareDisease::Tb {
            add_days(YEAR_START, rng.below(366) as i64)
        } else {
            add_days(YEAR_START, -(rng.below(3_000) as i64))
        };
        p.diagnoses.push(Diagnosis::confirmed(
            Icd10::parse(code).expect("code"),
            since,
        ));
        visits(&mut rng, &mut p.visits, disease, since);
        if matches!(disease, CareDisease::Hypertension | CareDisease::Diabetes) && rng.chance(500) {
            readings(&mut rng, &mut p.readings, id, disease);
        }
    }
    p
}

fn visits(rng: &mut Rng, out: &mut Vec<Visit>, disease: CareDisease, since: NaiveDate) {
    if rng.chance(1_000) {
        return; // one patient in ten is never visited
    }
    // One in seven lapses during the year; the others are visited to date.
    let stop = if rng.chance(1_500) {
        add_days(YEAR_START, rng.below(366) as i64)
    } else {
        TODAY
    };
    let mut on = add_days(
        since.max(add_days(YEAR_START, -90)),
        1 + rng.below(30) as i64,
    );
    while on <= stop {
        let way = if rng.chance(2_000) {
            Way::Phone
        } else {
            Way::FaceToFace
        };
        let mut d = VisitDraft::new(disease, on, way, "村医");
        match disease {
            CareDisease::Hypertension => {
                d.systolic = Some(rng.around(138, 30).clamp(110, 230) as u32);
                d.diastolic = Some(rng.around(84, 16).clamp(50, 95) as u32);
            }
            CareDisease::Diabetes => {
                d.glucose_tenths = Some(rng.around(72, 40).clamp(30, 250) as u32)
            }
            CareDisease::Mental => {
                let risk = [0, 0, 0, 0, 1, 1, 2, 3][rng.below(8) as usize];
                d.mental = Some(MentalGrade {
                    stability: Stability::implied_by_risk(risk),
                    risk,
                });
            }
            CareDisease::Tb => {}
        }
        d.adverse_effect = rng.chance(300);
        d.complication = rng.chance(100);
        out.push(d.validate().expect("generated visits are valid"));
        let step = match disease {
            CareDisease::Tb if on < add_days(since, 60) => 9,
            CareDisease::Tb => 28,
            _ => 78,
        };
        on = add_days(on, step + rng.below(20) as i64);
    }
}

fn readings(rng: &mut Rng, out: &mut Vec<Reading>, id: IdCardNo, disease: CareDisease) {
    let device: Arc<str> = Arc::from(format!("DEV-{}", rng.below(1 << 40)));
    for day in 0..366 {
        if !rng.chance(7_000) {
            continue;
        }
        let date = add_days(YEAR_START, day);
        let at = china_offset()
            .from_local_datetime(&date.and_hms_opt(7, rng.below(60) as u32, 0).expect("time"))
            .single()
            .expect("fixed offset")
            .with_timezone(&Utc);
        let value = match disease {
            CareDisease::Hypertension => {
                let s = rng.around(132, 34).clamp(90, 230) as u32;
                ReadingValue::Bp(Bp::new(s, rng.around(82, 14).clamp(50, 89) as u32).expect("bp"))
            }
            _ => ReadingValue::Glucose {
                value: Glucose::from_tenths(rng.around(70, 26).clamp(30, 250) as u32)
                    .expect("glucose"),
                fasting: rng.chance(8_000),
            },
        };
        out.push(Reading::new(id, at, value, device.clone()).expect("reading"));
    }
}

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
