//! Realistic synthetic data for a real county (健扶 demo, tests and
//! benchmarks): the poverty registry (`persons.csv`), diagnoses
//! (`diagnoses.csv`) and medical-insurance settlements (`claims.csv`) in
//! the formats of `data-formats.md` and `settlement.md`.
//!
//! Households are placed on the county's real villages (from the shipped
//! 2023 division codes), people get valid and unique ID numbers, diseases
//! follow age, and claims follow diseases. Output depends only on the
//! options: the generator has its own fixed pseudo-random algorithm, so the
//! same options give byte-identical files.
//!
//! The work is streamed household by household; memory stays small (a set
//! of the ID numbers issued, and one month of claims at a time while
//! `claims.csv` is sorted), whatever the number of persons.
//!
//! # The model, in numbers
//!
//! Measured on 100,000 persons of 阜平县 (130624), a former national
//! poverty county (its 2014 poverty incidence was above 50 %; the shares
//! below follow the brief of a registry of the transition period):
//!
//! - households of 1–7 persons, mean 3.05 (17 % alone, 27 % couples —
//!   the young often work elsewhere); 28 % of persons are 60 or older,
//!   15 % under 15; exactly one 户主 per household, spouses within a few
//!   years of the head, children 20–38 years younger, parents 22–34 years
//!   older, grandchildren from a married child;
//! - household types: 一般农户 76 %, 脱贫户 19.5 % and 脱贫不稳定户 2 % of
//!   households (so about 21 % former poor), 边缘易致贫户 1.6 %,
//!   突发严重困难户 0.7 %; poverty is commoner for old people living alone,
//!   in resettlement communities (易地扶贫搬迁安置区) and where a major
//!   disease struck; a quarter of monitored households without one get a
//!   recent major diagnosis (illness is the leading risk);
//! - groups of persons: 低保 5 %, 特困 0.9 % (all living alone, 94 % aged
//!   60+), 返贫致贫 1 %, 低保边缘 1.2 %, 因病致贫重病患者 0.4 %; all
//!   concentrated in poor and monitored households;
//! - per-capita income: median 14,800 yuan for 一般农户, 11,800 for 脱贫户,
//!   7,700–8,200 for 边缘/不稳定, 6,600 for 突发 (over half below the
//!   7,000 monitoring line);
//! - ID numbers: 91 % with the county's code, 5 % with a neighbouring
//!   county's (涞源, 唐县, 曲阳), 4 % with 132438, the code of 阜平县 under
//!   the former 保定地区 (holders born up to 1977); 95 % of heads have a
//!   mobile number; about 1 % died and 1 % moved out during the claim years;
//! - diagnoses (10 years back): hypertension 31 % of persons 55+, type-2
//!   diabetes 11 % of persons 50+, TB 0.08 %, severe mental disorders
//!   0.2 %, the 30 major diseases 1.9 % of persons (mostly stroke, COPD,
//!   cancers, myocardial infarction, cataract, ESRD; children's diseases
//!   only in children);
//! - claims: about 1.55 per person-year (outpatient 49 %, 门诊慢特病
//!   43 %, inpatient 9 %); 0.14 admissions per person-year; inpatient
//!   medians 2,900 (township), 8,400 (county), 24,000 (city) and 54,000
//!   (province) yuan, cancers about twice as dear; ordinary outpatient
//!   median 55 yuan; policy scope 70–95 % of the total; 0.5 % reversals,
//!   most followed by a corrected settlement; 3 % arrive up to 75 days
//!   late, so the file, written in order of arrival, is 97.6 % in order
//!   of settlement time.
//!
//! ```no_run
//! use jianfu_synth::{GenerateOptions, generate};
//! let opts = GenerateOptions { persons: 10_000, ..GenerateOptions::default() };
//! let summary = generate(&opts, std::path::Path::new("demo-data"), &mut |_| {}).unwrap();
//! println!("{} persons, {} claims", summary.persons, summary.claims);
//! ```
#![deny(missing_docs)]

mod claims;
mod diseases;
mod household;
mod names;
mod out;
mod places;
mod rng;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use jianfu_domain::Money;
use thiserror::Error;

use crate::household::{Context, SIZE_WEIGHTS};
use crate::out::{CsvFile, Line};
use crate::places::County;
use crate::rng::Rng;

/// File name of the registry (persons) file.
pub const PERSONS_FILE: &str = "persons.csv";
/// File name of the diagnoses file.
pub const DIAGNOSES_FILE: &str = "diagnoses.csv";
/// File name of the claims file.
pub const CLAIMS_FILE: &str = "claims.csv";

/// Header of `persons.csv` (data-formats.md, Chinese headers).
pub const PERSONS_HEADER: &[&str] = &[
    "户编号",
    "行政区划代码",
    "户类别",
    "家庭年人均纯收入",
    "姓名",
    "身份证号",
    "与户主关系",
    "人员类别",
    "联系电话",
    "人员状态",
];

/// Header of `diagnoses.csv` (data-formats.md, Chinese headers).
pub const DIAGNOSES_HEADER: &[&str] = &["身份证号", "疾病编码", "疾病名称", "确诊日期", "确诊机构"];

/// Header of `claims.csv`: settlement.md §2, then the optional columns.
pub const CLAIMS_HEADER: &[&str] = claims::HEADER;

/// A village's household numbers have four digits.
const MAX_HOUSEHOLDS_PER_VILLAGE: u64 = 9_999;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Six-digit county code, e.g. `130624` (阜平县).
    pub county: String,
    /// Number of persons (exactly).
    pub persons: u64,
    /// Seed of the pseudo-random generator.
    pub seed: u64,
    /// First and last calendar year of the claims (inclusive). The registry
    /// describes 31 December of the last year: ages, statuses and
    /// diagnoses are as of that day, so pick years that are over: birth
    /// and diagnosis dates reach up to that day, and an importer judging
    /// them against today would call later ones "in the future".
    pub claim_years: [i32; 2],
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            county: "130624".to_string(),
            persons: 10_000,
            seed: 1,
            claim_years: [2023, 2024],
        }
    }
}

impl GenerateOptions {
    /// The day the registry snapshot describes: 31 December of the last claim year.
    pub fn reference_date(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.claim_years[1], 12, 31)
    }
}

/// Why generation failed.
#[derive(Debug, Error)]
pub enum SynthError {
    /// Not a county-level code of the shipped division codes.
    #[error("未知的县级行政区划代码“{code}”（应为6位县级代码，如 130624）")]
    UnknownCounty {
        /// The code given.
        code: String,
    },
    /// The county has no village-level divisions to place households on.
    #[error("县级行政区划 {code}（{name}）下没有村级区划，无法生成户")]
    NoVillages {
        /// County code.
        code: String,
        /// County name.
        name: String,
    },
    /// The claim years are reversed or out of range.
    #[error("结算年份范围 {from}–{to} 无效（应为 1990–2100 之间的递增年份）")]
    ClaimYears {
        /// First year.
        from: i32,
        /// Last year.
        to: i32,
    },
    /// More persons than the county's villages can number (9,999
    /// households per village).
    #[error("县级行政区划 {code} 只有 {villages} 个村级区划，最多可生成约 {max} 人")]
    TooManyPersons {
        /// County code.
        code: String,
        /// Number of villages.
        villages: usize,
        /// Approximate maximum number of persons.
        max: u64,
    },
    /// Reading or writing a file failed.
    #[error("文件 {path} 读写失败：{source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl SynthError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        SynthError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The stage a progress report belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Households, persons and diagnoses (claims are drafted alongside).
    Registry,
    /// Writing `claims.csv` in order of settlement.
    Claims,
}

/// A progress report: `done` of `total` persons (registry) or claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Stage.
    pub phase: Phase,
    /// Units done.
    pub done: u64,
    /// Units in the stage.
    pub total: u64,
}

/// What was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Households in `persons.csv`.
    pub households: u64,
    /// Persons in `persons.csv`.
    pub persons: u64,
    /// Rows of `diagnoses.csv`.
    pub diagnoses: u64,
    /// Rows of `claims.csv`, reversals included.
    pub claims: u64,
    /// Reversal rows among the claims.
    pub reversals: u64,
    /// Bytes written to the three files.
    pub bytes_written: u64,
}

/// Generates `persons.csv`, `diagnoses.csv` and `claims.csv` into `out_dir`
/// (created if missing), reporting progress now and then.
pub fn generate(
    opts: &GenerateOptions,
    out_dir: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, SynthError> {
    let [first_year, last_year] = opts.claim_years;
    if first_year > last_year || first_year < 1990 || last_year > 2100 {
        return Err(SynthError::ClaimYears {
            from: first_year,
            to: last_year,
        });
    }
    let reference = opts.reference_date().ok_or(SynthError::ClaimYears {
        from: first_year,
        to: last_year,
    })?;
    let period_start = NaiveDate::from_ymd_opt(first_year, 1, 1).ok_or(SynthError::ClaimYears {
        from: first_year,
        to: last_year,
    })?;

    let mut master = Rng::derived(opts.seed, 0, 0);
    let county = County::load(&opts.county, &mut master)?;

    // Household sizes first (so that the total is exact), then how many
    // households each village gets.
    let mut sizes: Vec<u8> = Vec::with_capacity((opts.persons / 3 + 1) as usize);
    let mut placed = 0u64;
    while placed < opts.persons {
        let size = (master.weighted(&SIZE_WEIGHTS) + 1) as u64;
        let size = size.min(opts.persons - placed);
        sizes.push(size as u8);
        placed += size;
    }
    let capacity = MAX_HOUSEHOLDS_PER_VILLAGE * county.villages.len() as u64;
    if sizes.len() as u64 > capacity {
        return Err(SynthError::TooManyPersons {
            code: county.code.clone(),
            villages: county.villages.len(),
            max: capacity * 3,
        });
    }
    let weights: Vec<f64> = county.villages.iter().map(|v| v.weight).collect();
    let per_village = allocate(sizes.len() as u64, &weights, MAX_HOUSEHOLDS_PER_VILLAGE);

    std::fs::create_dir_all(out_dir).map_err(|e| SynthError::io(out_dir, e))?;
    let mut persons_out = CsvFile::create(&out_dir.join(PERSONS_FILE), true, PERSONS_HEADER)?;
    let mut diagnoses_out = CsvFile::create(&out_dir.join(DIAGNOSES_FILE), true, DIAGNOSES_HEADER)?;
    let mut buckets = claims::Buckets::create(out_dir, first_year, last_year)?;

    let ctx = Context {
        county: &county,
        reference,
        period_start,
    };
    let mut ids: HashSet<u64> = HashSet::with_capacity(opts.persons as usize);
    let mut line = Line::default();
    let mut summary = Summary {
        households: 0,
        persons: 0,
        diagnoses: 0,
        claims: 0,
        reversals: 0,
        bytes_written: 0,
    };
    let step = (opts.persons / 100).max(1_000);
    let mut next_report = step;
    let mut size_iter = sizes.iter();
    for (vi, &count) in per_village.iter().enumerate() {
        for seq in 1..=count {
            let size = *size_iter.next().expect("one size per household") as usize;
            let index = summary.households;
            let mut rng = Rng::derived(opts.seed, 1, index);
            let hh = household::generate(&mut rng, &ctx, vi, seq as u32, size, &mut ids);
            let mut claim_rng = Rng::derived(opts.seed, 2, index);
            let village_code = &county.villages[vi].code;
            let implied = hh.kind.implied_groups();
            let income = Money::from_fen(hh.income_fen);
            for m in &hh.members {
                line.clear();
                line.text(&hh.number);
                line.text(village_code);
                line.text(hh.kind.label());
                line.fmt(format_args!("{income}"));
                line.text(&m.name);
                line.text(m.id.as_str());
                line.text(m.relation.label());
                let labels: Vec<&str> = m.groups.iter().map(|g| g.label()).collect();
                line.text(&labels.join("|"));
                line.text(m.phone.as_deref().unwrap_or(""));
                line.text(m.status.label());
                persons_out.write_line(&line)?;

                for d in &m.diagnoses {
                    line.clear();
                    line.text(m.id.as_str());
                    line.text(d.code.0);
                    line.text(d.code.1);
                    line.date(d.on);
                    line.text(&county.facilities[d.facility].name);
                    diagnoses_out.write_line(&line)?;
                    summary.diagnoses += 1;
                }

                let patient = claims::Patient {
                    member: m,
                    groups: m.groups.union(implied),
                    township: county.villages[vi].township,
                };
                claims::generate(
                    &mut claim_rng,
                    &county,
                    (first_year, last_year),
                    &patient,
                    &mut buckets,
                )?;
            }
            summary.households += 1;
            summary.persons += hh.members.len() as u64;
            if summary.persons >= next_report {
                progress(Progress {
                    phase: Phase::Registry,
                    done: summary.persons,
                    total: opts.persons,
                });
                next_report = summary.persons + step;
            }
        }
    }
    progress(Progress {
        phase: Phase::Registry,
        done: summary.persons,
        total: opts.persons,
    });
    summary.bytes_written += persons_out.finish()?;
    summary.bytes_written += diagnoses_out.finish()?;

    summary.claims = buckets.claims;
    summary.reversals = buckets.reversals;
    let claims_bytes = buckets.merge(&county, &out_dir.join(CLAIMS_FILE), &mut |done, total| {
        progress(Progress {
            phase: Phase::Claims,
            done,
            total,
        });
    })?;
    summary.bytes_written += claims_bytes;
    Ok(summary)
}

/// Splits `n` items over slots in proportion to `weights` (largest
/// remainder), no slot above `cap`. The caller makes sure `n` fits.
fn allocate(n: u64, weights: &[f64], cap: u64) -> Vec<u64> {
    let mut out = vec![0u64; weights.len()];
    let mut open: Vec<usize> = (0..weights.len()).collect();
    let mut left = n;
    while left > 0 && !open.is_empty() {
        let total: f64 = open.iter().map(|&i| weights[i]).sum();
        let mut shares: Vec<(usize, f64)> = open
            .iter()
            .map(|&i| (i, left as f64 * weights[i] / total))
            .collect();
        let mut given = 0u64;
        for (i, s) in &shares {
            let add = (s.floor() as u64).min(cap - out[*i]);
            out[*i] += add;
            given += add;
        }
        // Hand out the rest by largest remainder (ties: lower index).
        shares.sort_by(|a, b| {
            (b.1 - b.1.floor())
                .total_cmp(&(a.1 - a.1.floor()))
                .then(a.0.cmp(&b.0))
        });
        for (i, _) in &shares {
            if given == left {
                break;
            }
            if out[*i] < cap {
                out[*i] += 1;
                given += 1;
            }
        }
        left -= given;
        open.retain(|&i| out[i] < cap);
        if given == 0 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_exact_and_capped() {
        let w = [1.0, 2.0, 3.0, 0.5];
        let a = allocate(1000, &w, 10_000);
        assert_eq!(a.iter().sum::<u64>(), 1000);
        assert!(a[2] > a[1] && a[1] > a[0] && a[0] > a[3]);
        let b = allocate(100, &w, 30);
        assert_eq!(b.iter().sum::<u64>(), 100);
        assert!(b.iter().all(|&x| x <= 30));
        assert_eq!(allocate(0, &w, 5), [0, 0, 0, 0]);
        assert_eq!(allocate(3, &[1.0; 5], 5).iter().sum::<u64>(), 3);
    }
}
