//! Medical claims (医保结算记录): generated person by person, parked in one
//! temporary file per month of arrival, then written out month by month in
//! order of settlement time. A few claims arrive late, so the file is
//! mostly, not strictly, chronological — as an export from the insurance
//! platform is.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate};
use jianfu_domain::{Group, GroupSet, Money};

use crate::SynthError;
use crate::diseases::{self, Code, Dz, Specialty};
use crate::household::{Member, uniform_date};
use crate::out::{CsvFile, Line};
use crate::places::{County, Level};
use crate::rng::Rng;

/// Columns of settlement.md §2, then the optional ones of data-formats.md.
pub(crate) const HEADER: &[&str] = &[
    "claim_id",
    "person_id",
    "groups",
    "kind",
    "level",
    "county_internal",
    "settled_at",
    "total",
    "policy_scope",
    "reverses",
    "icd10",
    "facility_code",
    "admitted_on",
    "pay_later",
    "one_stop",
];

const KIND_CODES: [&str; 3] = ["inpatient", "outpatient_chronic", "outpatient"];
const INPATIENT: u8 = 0;
const CHRONIC: u8 = 1;
const OUTPATIENT: u8 = 2;

const FLAG_PAY_LATER: u8 = 1;
const FLAG_ONE_STOP: u8 = 2;

const NO_KEY: u64 = u64::MAX;
const NO_DATE: i32 = i32::MIN;
const DAY: i64 = 86_400;

/// One claim as parked in a temporary file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rec {
    /// Generation order; unique.
    key: u64,
    /// Seconds: days from the common era times 86,400 plus the time of day.
    settled: i64,
    /// When the claim reached the export, same scale; orders the file.
    arrival: i64,
    total: i64,
    policy: i64,
    /// Key of the reversed claim, or `NO_KEY`.
    reverses: u64,
    /// Days from the common era, or `NO_DATE`.
    admitted: i32,
    facility: u32,
    person: [u8; 18],
    groups: u8,
    kind: u8,
    level: u8,
    flags: u8,
    icd: [u8; 8],
}

const REC_SIZE: usize = 88;

impl Rec {
    fn encode(&self) -> [u8; REC_SIZE] {
        let mut b = [0u8; REC_SIZE];
        b[0..8].copy_from_slice(&self.key.to_le_bytes());
        b[8..16].copy_from_slice(&self.settled.to_le_bytes());
        b[16..24].copy_from_slice(&self.total.to_le_bytes());
        b[24..32].copy_from_slice(&self.policy.to_le_bytes());
        b[32..40].copy_from_slice(&self.reverses.to_le_bytes());
        b[40..44].copy_from_slice(&self.admitted.to_le_bytes());
        b[44..48].copy_from_slice(&self.facility.to_le_bytes());
        b[48..66].copy_from_slice(&self.person);
        b[66] = self.groups;
        b[67] = self.kind;
        b[68] = self.level;
        b[69] = self.flags;
        b[70..78].copy_from_slice(&self.icd);
        b[80..88].copy_from_slice(&self.arrival.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Rec {
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let i64_at = |i: usize| i64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let mut person = [0u8; 18];
        person.copy_from_slice(&b[48..66]);
        let mut icd = [0u8; 8];
        icd.copy_from_slice(&b[70..78]);
        Rec {
            key: u64_at(0),
            settled: i64_at(8),
            total: i64_at(16),
            policy: i64_at(24),
            reverses: u64_at(32),
            admitted: i32::from_le_bytes(b[40..44].try_into().expect("4 bytes")),
            facility: u32::from_le_bytes(b[44..48].try_into().expect("4 bytes")),
            person,
            groups: b[66],
            kind: b[67],
            level: b[68],
            flags: b[69],
            icd,
            arrival: i64_at(80),
        }
    }

    fn settled_date(&self) -> NaiveDate {
        date_of_days(self.settled.div_euclid(DAY) as i32)
    }
}

fn date_of_days(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days).expect("generated dates are in range")
}

fn days_of(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

fn icd_bytes(code: &str) -> [u8; 8] {
    let mut b = [0u8; 8];
    let n = code.len().min(8);
    b[..n].copy_from_slice(&code.as_bytes()[..n]);
    b
}

/// The temporary month files and what the merge needs to know.
pub(crate) struct Buckets {
    _dir: tempfile::TempDir,
    paths: Vec<PathBuf>,
    files: Vec<BufWriter<File>>,
    first_year: i32,
    last_year: i32,
    next_key: u64,
    /// Keys of the claims that a later row reverses.
    reversed: HashSet<u64>,
    pub(crate) claims: u64,
    pub(crate) reversals: u64,
}

impl Buckets {
    /// Creates the month files in a hidden temporary folder inside `out_dir`.
    pub(crate) fn create(
        out_dir: &Path,
        first_year: i32,
        last_year: i32,
    ) -> Result<Self, SynthError> {
        let dir = tempfile::Builder::new()
            .prefix(".jianfu-synth-")
            .tempdir_in(out_dir)
            .map_err(|e| SynthError::io(out_dir, e))?;
        let months = ((last_year - first_year + 1) * 12) as usize;
        let mut paths = Vec::with_capacity(months);
        let mut files = Vec::with_capacity(months);
        for i in 0..months {
            let path = dir.path().join(format!("claims-{i:03}.bin"));
            let f = File::create(&path).map_err(|e| SynthError::io(&path, e))?;
            files.push(BufWriter::with_capacity(1 << 16, f));
            paths.push(path);
        }
        Ok(Buckets {
            _dir: dir,
            paths,
            files,
            first_year,
            last_year,
            next_key: 0,
            reversed: HashSet::new(),
            claims: 0,
            reversals: 0,
        })
    }

    fn bucket_of(&self, d: NaiveDate) -> usize {
        let i = (d.year() - self.first_year) * 12 + d.month0() as i32;
        i.clamp(0, (self.files.len() - 1) as i32) as usize
    }

    fn key(&mut self) -> u64 {
        let k = self.next_key;
        self.next_key += 1;
        k
    }

    fn push(&mut self, rec: &Rec) -> Result<(), SynthError> {
        let bucket = self.bucket_of(date_of_days(rec.arrival.div_euclid(DAY) as i32));
        self.files[bucket]
            .write_all(&rec.encode())
            .map_err(|e| SynthError::io(&self.paths[bucket], e))?;
        self.claims += 1;
        if rec.reverses != NO_KEY {
            self.reversals += 1;
        }
        Ok(())
    }

    /// Writes `claims.csv` in order of arrival.
    pub(crate) fn merge(
        mut self,
        county: &County,
        path: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64, SynthError> {
        let total = self.claims;
        let mut out = CsvFile::create(path, false, HEADER)?;
        let group_codes: Vec<String> = (0..=u8::MAX)
            .map(|b| GroupSet::from_bits(b).codes())
            .collect();
        let years = (self.last_year - self.first_year + 1) as usize;
        let mut seq = vec![0u64; years];
        let mut ids: HashMap<u64, String> = HashMap::new();
        let mut line = Line::default();
        let mut buf: Vec<u8> = Vec::new();
        let mut done = 0u64;
        let files = std::mem::take(&mut self.files);
        for (i, w) in files.into_iter().enumerate() {
            let p = &self.paths[i];
            let f = w
                .into_inner()
                .map_err(|e| SynthError::io(p, e.into_error()))?;
            drop(f);
            buf.clear();
            File::open(p)
                .and_then(|mut f| f.read_to_end(&mut buf))
                .map_err(|e| SynthError::io(p, e))?;
            let mut recs: Vec<Rec> = buf.chunks_exact(REC_SIZE).map(Rec::decode).collect();
            recs.sort_unstable_by_key(|r| (r.arrival, r.key));
            for r in &recs {
                let settled = r.settled_date();
                let y = (settled.year() - self.first_year).clamp(0, years as i32 - 1) as usize;
                seq[y] += 1;
                let id = format!("C{}{:08}", settled.year(), seq[y]);
                if self.reversed.contains(&r.key) {
                    ids.insert(r.key, id.clone());
                }
                let level = Level::from_index(r.level as usize);
                line.clear();
                line.text(&id);
                line.text(std::str::from_utf8(&r.person).expect("ID numbers are ASCII"));
                line.text(&group_codes[r.groups as usize]);
                line.text(KIND_CODES[r.kind as usize]);
                line.text(level.code());
                line.text(if level.county_internal() {
                    "true"
                } else {
                    "false"
                });
                let secs = r.settled.rem_euclid(DAY);
                line.fmt(format_args!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                    settled.year(),
                    settled.month(),
                    settled.day(),
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60
                ));
                line.fmt(format_args!("{}", Money::from_fen(r.total)));
                line.fmt(format_args!("{}", Money::from_fen(r.policy)));
                if r.reverses == NO_KEY {
                    line.text("");
                } else {
                    let original = ids
                        .get(&r.reverses)
                        .expect("a reversed claim is written before its reversal");
                    line.text(original);
                }
                let icd_len = r.icd.iter().position(|&b| b == 0).unwrap_or(8);
                line.text(std::str::from_utf8(&r.icd[..icd_len]).expect("ICD codes are ASCII"));
                line.text(&county.facilities[r.facility as usize].code);
                if r.admitted == NO_DATE {
                    line.text("");
                } else {
                    line.date(date_of_days(r.admitted));
                }
                line.text(if r.flags & FLAG_PAY_LATER != 0 {
                    "true"
                } else {
                    "false"
                });
                line.text(if r.flags & FLAG_ONE_STOP != 0 {
                    "true"
                } else {
                    "false"
                });
                out.write_line(&line)?;
            }
            done += recs.len() as u64;
            progress(done, total);
            std::fs::remove_file(p).map_err(|e| SynthError::io(p, e))?;
        }
        out.finish()
    }
}

/// A person as the claim generator sees them.
pub(crate) struct Patient<'a> {
    pub member: &'a Member,
    /// All settlement groups, those of the household type included.
    pub groups: GroupSet,
    pub township: usize,
}

// Inpatient cost medians (yuan) and lengths of stay (days) by level.
const INPATIENT_MEDIAN: [f64; 4] = [3_000.0, 9_000.0, 24_000.0, 48_000.0];
const STAY_MEDIAN: [f64; 4] = [5.0, 7.0, 9.0, 11.0];
const POLICY_SHARE: [(f64, f64); 4] = [(0.88, 0.95), (0.82, 0.93), (0.76, 0.90), (0.70, 0.86)];
const ORDINARY_LEVELS: [f64; 4] = [0.35, 0.45, 0.15, 0.05];
const CHILD_LEVELS: [f64; 4] = [0.2, 0.5, 0.25, 0.05];
const OUTPATIENT_LEVELS: [f64; 4] = [0.78, 0.2, 0.02, 0.0];

/// Base admissions per person-year by age.
fn admission_rate(age: i32) -> f64 {
    match age {
        ..1 => 0.25,
        1..5 => 0.1,
        5..15 => 0.04,
        15..45 => 0.05,
        45..60 => 0.1,
        60..70 => 0.16,
        70..80 => 0.24,
        _ => 0.32,
    }
}

/// Ordinary outpatient settlements per person-year by age.
fn outpatient_rate(age: i32) -> f64 {
    match age {
        ..5 => 1.6,
        5..15 => 0.8,
        15..45 => 0.45,
        45..60 => 0.7,
        _ => 1.1,
    }
}

struct Gen<'a, 'b> {
    rng: &'a mut Rng,
    county: &'a County,
    sink: &'a mut Buckets,
    p: &'a Patient<'b>,
    poor: bool,
    /// The year's last settlement second for this person (year end, or exit).
    limit: i64,
}

impl Gen<'_, '_> {
    fn time_on(&mut self, d: NaiveDate, from_h: i64, to_h: i64) -> i64 {
        i64::from(days_of(d)) * DAY + self.rng.range(from_h * 3600, to_h * 3600 - 1)
    }

    fn amounts(&mut self, total_yuan: f64, share: (f64, f64)) -> (i64, i64) {
        let total = ((total_yuan * 100.0).round() as i64).max(500);
        let ratio = self.rng.uniform(share.0, share.1);
        let policy = ((total as f64 * ratio).round() as i64).clamp(0, total);
        (total, policy)
    }

    fn one_stop(&mut self, level: Level, facility: usize) -> bool {
        let p = match level {
            Level::Township | Level::County => 0.985,
            Level::City => 0.95,
            Level::Province if self.county.facilities[facility].out_of_province => 0.8,
            Level::Province => 0.92,
        };
        self.rng.chance(p)
    }

    fn inpatient(
        &mut self,
        date: NaiveDate,
        levels: &[f64; 4],
        code: &Code,
        specialty: Specialty,
        cost_factor: f64,
        childbirth: bool,
    ) -> Result<(), SynthError> {
        let level = Level::from_index(self.rng.weighted(levels));
        let facility = self
            .county
            .facility(self.rng, level, specialty, self.p.township);
        let cancer = specialty == Specialty::Cancer;
        let stay = if childbirth {
            self.rng.range(2, 6)
        } else {
            (self.rng.lognormal(STAY_MEDIAN[level as usize], 0.4).round() as i64).clamp(1, 60)
        };
        let admitted = (date - Days::new(stay as u64)).max(self.p.member.birth);
        let sigma = if cancer { 0.6 } else { 0.45 };
        let cost = self
            .rng
            .lognormal(INPATIENT_MEDIAN[level as usize] * cost_factor, sigma);
        let (lo, hi) = POLICY_SHARE[level as usize];
        let share = if cancer {
            ((lo - 0.04).max(0.70), hi - 0.04)
        } else {
            (lo, hi)
        };
        let (total, policy) = self.amounts(cost.min(900_000.0), share);
        let settled = self.time_on(date, 8, 18).min(self.limit);
        let mut flags = 0;
        if self.poor && level.county_internal() && self.rng.chance(0.9) {
            flags |= FLAG_PAY_LATER;
        }
        if self.one_stop(level, facility) {
            flags |= FLAG_ONE_STOP;
        }
        self.emit(
            INPATIENT,
            level,
            facility,
            settled,
            total,
            policy,
            days_of(admitted),
            flags,
            code.0,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        kind: u8,
        level: Level,
        facility: usize,
        settled: i64,
        total: i64,
        policy: i64,
        admitted: i32,
        flags: u8,
        icd: &str,
    ) -> Result<(), SynthError> {
        let mut rec = Rec {
            key: self.sink.key(),
            settled,
            arrival: settled,
            total,
            policy,
            reverses: NO_KEY,
            admitted,
            facility: facility as u32,
            person: self
                .p
                .member
                .id
                .as_str()
                .as_bytes()
                .try_into()
                .expect("18 characters"),
            groups: self.p.groups.bits(),
            kind,
            level: level as u8,
            flags,
            icd: icd_bytes(icd),
        };
        // About 3 % of claims reach the export late.
        if self.rng.chance(0.03) {
            rec.arrival += self.rng.range(DAY, 75 * DAY);
        }
        self.sink.push(&rec)?;

        // About 0.5 % are reversed (冲销) within a few weeks, and most of
        // those are settled again with corrected amounts. Each follows
        // the row before it in the file.
        if self.rng.chance(0.005) {
            // During office hours, up to three weeks later.
            let day = rec.settled.div_euclid(DAY) + self.rng.range(0, 20);
            let mut at = day * DAY + self.rng.range(8 * 3_600, 18 * 3_600 - 1);
            if at <= rec.settled {
                at += DAY;
            }
            let at = at.min(self.limit);
            if at > rec.settled {
                let reversal = Rec {
                    key: self.sink.key(),
                    settled: at,
                    arrival: at.max(rec.arrival + 1),
                    reverses: rec.key,
                    ..rec
                };
                self.sink.reversed.insert(rec.key);
                self.sink.push(&reversal)?;
                let again = (at + self.rng.range(600, 2 * DAY)).min(self.limit);
                if again > at && self.rng.chance(0.6) {
                    let factor = self.rng.uniform(0.85, 1.0);
                    let total = ((rec.total as f64 * factor).round() as i64).max(1);
                    let policy = ((rec.policy as f64 * factor).round() as i64).min(total);
                    let redo = Rec {
                        key: self.sink.key(),
                        settled: again,
                        arrival: again.max(reversal.arrival + 1),
                        total,
                        policy,
                        ..rec
                    };
                    self.sink.push(&redo)?;
                }
            }
        }
        Ok(())
    }
}

/// Generates the claims of one person over the claim years.
pub(crate) fn generate(
    rng: &mut Rng,
    county: &County,
    years: (i32, i32),
    patient: &Patient<'_>,
    sink: &mut Buckets,
) -> Result<(), SynthError> {
    let m = patient.member;
    let poor_groups = GroupSet::of(&[
        Group::FormerlyPoor,
        Group::Monitored,
        Group::ExtremePoor,
        Group::Subsistence,
        Group::ReturnedPoor,
    ]);
    let poor = patient.groups.contains_any(poor_groups);
    // 门诊慢特病 certification is a property of the person, not of the year.
    let certified: Vec<bool> = m
        .diagnoses
        .iter()
        .map(|d| rng.chance(d.spec.claims.chronic_certified))
        .collect();
    let chronic_hd = m.has(Dz::Hypertension) || m.has(Dz::Diabetes);
    let chronic_codes: Vec<&'static Code> = m
        .diagnoses
        .iter()
        .filter(|d| matches!(d.spec.dz, Dz::Hypertension | Dz::Diabetes))
        .map(|d| d.code)
        .collect();

    for year in years.0..=years.1 {
        let (Some(ys), Some(ye)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            continue;
        };
        let start = ys.max(m.birth);
        let end = m.exit.map_or(ye, |x| x.min(ye));
        if start > end {
            continue;
        }
        let year_days = f64::from(days_of(ye) - days_of(ys) + 1);
        let frac = f64::from(days_of(end) - days_of(start) + 1) / year_days;
        let age = year - m.birth.year();
        let mut g = Gen {
            rng: &mut *rng,
            county,
            sink: &mut *sink,
            p: patient,
            poor,
            limit: i64::from(days_of(end)) * DAY + DAY - 1,
        };

        // Ordinary admissions.
        let mut rate = admission_rate(age);
        if chronic_hd {
            rate *= 1.3;
        }
        if poor {
            rate *= 1.1;
        }
        for _ in 0..g.rng.poisson(rate * frac) {
            let date = uniform_date(g.rng, start, end);
            let (code, levels, factor) = if age < 15 {
                (
                    diseases::pick_code(g.rng, diseases::INPATIENT_CHILD),
                    &CHILD_LEVELS,
                    0.7,
                )
            } else if !chronic_codes.is_empty() && g.rng.chance(0.25) {
                (*g.rng.choose(&chronic_codes), &ORDINARY_LEVELS, 1.0)
            } else {
                (
                    diseases::pick_code(g.rng, diseases::INPATIENT_ADULT),
                    &ORDINARY_LEVELS,
                    1.0,
                )
            };
            g.inpatient(date, levels, code, Specialty::General, factor, false)?;
        }

        // Deliveries.
        if !m.male && (20..=40).contains(&age) {
            for _ in 0..g.rng.poisson(0.065 * frac) {
                let date = uniform_date(g.rng, start, end);
                let code = diseases::pick_code(g.rng, diseases::CHILDBIRTH);
                g.inpatient(
                    date,
                    &[0.25, 0.7, 0.05, 0.0],
                    code,
                    Specialty::Maternal,
                    0.45,
                    true,
                )?;
            }
        }

        // Disease-driven admissions and 门诊慢特病.
        for (d, &cert) in m.diagnoses.iter().zip(&certified) {
            let from = start.max(d.on);
            if from > end {
                continue;
            }
            let early = year <= d.on.year() + 1;
            if d.spec.dz == Dz::Tuberculosis && !early {
                continue; // treated and closed
            }
            let profile = &d.spec.claims;
            let f = f64::from(days_of(end) - days_of(from) + 1) / year_days;
            let lambda = if early {
                profile.inpatient_early
            } else {
                profile.inpatient_later
            };
            for _ in 0..g.rng.poisson(lambda * f) {
                let date = uniform_date(g.rng, from, end);
                g.inpatient(
                    date,
                    &profile.levels,
                    d.code,
                    d.spec.specialty,
                    profile.cost_factor,
                    false,
                )?;
            }
            if cert && profile.chronic_per_year > 0.0 {
                for _ in 0..g.rng.poisson(profile.chronic_per_year * f) {
                    let date = uniform_date(g.rng, from, end);
                    let level = Level::from_index(g.rng.weighted(&profile.chronic_levels));
                    let facility =
                        county.facility(g.rng, level, d.spec.specialty, patient.township);
                    let cost = g
                        .rng
                        .lognormal(profile.chronic_median, profile.chronic_sigma);
                    let (total, policy) = g.amounts(cost, (0.85, 0.95));
                    let settled = g.time_on(date, 8, 17).min(g.limit);
                    let flags = if g.rng.chance(0.995) {
                        FLAG_ONE_STOP
                    } else {
                        0
                    };
                    g.emit(
                        CHRONIC, level, facility, settled, total, policy, NO_DATE, flags, d.code.0,
                    )?;
                }
            }
        }

        // Ordinary outpatient settlements: small and frequent.
        for _ in 0..g.rng.poisson(outpatient_rate(age) * frac) {
            let date = uniform_date(g.rng, start, end);
            let code = if age < 15 {
                diseases::pick_code(g.rng, diseases::OUTPATIENT_CHILD)
            } else if !chronic_codes.is_empty() && g.rng.chance(0.3) {
                *g.rng.choose(&chronic_codes)
            } else {
                diseases::pick_code(g.rng, diseases::OUTPATIENT_ADULT)
            };
            let level = Level::from_index(g.rng.weighted(&OUTPATIENT_LEVELS));
            let facility = county.facility(g.rng, level, Specialty::General, patient.township);
            let cost = g.rng.lognormal(55.0, 0.7).clamp(5.0, 3_000.0);
            let (total, policy) = g.amounts(cost, (0.80, 0.95));
            let settled = g.time_on(date, 7, 18).min(g.limit);
            let flags = if g.rng.chance(0.995) {
                FLAG_ONE_STOP
            } else {
                0
            };
            g.emit(
                OUTPATIENT, level, facility, settled, total, policy, NO_DATE, flags, code.0,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diseases::{self, Dz};
    use crate::household::Diagnosis;
    use jianfu_domain::{IdCardNo, PersonStatus, Relation};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn no_claims_after_death_or_before_birth() {
        let mut rng = Rng::new(9);
        let county = County::load("130624", &mut rng).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut sink = Buckets::create(dir.path(), 2023, 2024).unwrap();
        let cancer = diseases::spec(Dz::Cancer);
        let death = day(2023, 9, 14);
        let old = Member {
            name: "王建国".into(),
            id: IdCardNo::from_parts("130624", day(1950, 3, 1), 11).unwrap(),
            male: true,
            birth: day(1950, 3, 1),
            age: 74,
            relation: Relation::Spouse,
            groups: GroupSet::EMPTY,
            phone: None,
            status: PersonStatus::Deceased,
            exit: Some(death),
            diagnoses: vec![Diagnosis {
                spec: cancer,
                code: &cancer.codes[0],
                on: day(2022, 5, 1),
                facility: 0,
            }],
        };
        let birth = day(2024, 6, 20);
        let baby = Member {
            name: "王子轩".into(),
            id: IdCardNo::from_parts("130624", birth, 13).unwrap(),
            birth,
            age: 0,
            status: PersonStatus::Active,
            exit: None,
            diagnoses: Vec::new(),
            ..old.clone()
        };
        let groups = GroupSet::of(&[Group::FormerlyPoor]);
        for _ in 0..40 {
            for m in [&old, &baby] {
                let p = Patient {
                    member: m,
                    groups,
                    township: 0,
                };
                generate(&mut rng, &county, (2023, 2024), &p, &mut sink).unwrap();
            }
        }
        assert!(sink.claims > 100);
        let out = dir.path().join("claims.csv");
        sink.merge(&county, &out, &mut |_, _| {}).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let mut rows = 0;
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let settled = NaiveDate::parse_from_str(&f[6][..10], "%Y-%m-%d").unwrap();
            if f[1] == old.id.as_str() {
                assert!(settled <= death, "{line}");
                assert_eq!(f[2], "formerly_poor");
            } else {
                assert!(settled >= birth, "{line}");
            }
            rows += 1;
        }
        assert!(rows > 100);
    }

    #[test]
    fn records_round_trip() {
        let r = Rec {
            key: 42,
            settled: 738_000 * DAY + 3_600,
            arrival: 738_001 * DAY,
            total: 123_456,
            policy: 100_000,
            reverses: NO_KEY,
            admitted: NO_DATE,
            facility: 7,
            person: *b"13062419500101001X",
            groups: 0b101,
            kind: CHRONIC,
            level: 2,
            flags: FLAG_ONE_STOP,
            icd: icd_bytes("I10.x00"),
        };
        assert_eq!(Rec::decode(&r.encode()), r);
    }
}
