//! Policy simulation (政策效果评估): a year of claims settled under a
//! baseline and an alternative policy, compared region by region.
//!
//! Both runs go through the batch settlement, so the baseline run of a
//! year equals what `jianfu settle` would give. Per region (the requested
//! one, each township, each village) the report gives the fund cost of each
//! tier, the out-of-pocket total, the actual reimbursement ratio
//! (`domain.md` §6: funds ÷ total cost, as sums), the distribution of
//! household annual out-of-pocket, and the households over each
//! medical-burden monitoring line (`domain.md` §3.3 R2 and R3).

mod report;

use std::collections::{BTreeMap, HashMap};

use jianfu_domain::{Group, GroupSet, HouseholdType, Money, RegionCode};
use jianfu_policy::{BatchClaim, Policy, Tiers, settle_batch};
use jianfu_store::Db;
use jianfu_store::claims::StoredClaim;

pub use report::{ReportContext, write_xlsx};

/// The medical-burden lines of the monitoring rules, per household-year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurdenLines {
    /// R2: annual out-of-pocket at or above this (50 % of the county's
    /// rural per-capita disposable income; 8,000 in the reference region).
    pub relative: Money,
    /// R3 for 脱贫户, 监测户 and 低保 families (5,000 by default).
    pub vulnerable: Money,
    /// R3 for other rural households (10,000 by default).
    pub ordinary: Money,
}

impl Default for BurdenLines {
    fn default() -> Self {
        BurdenLines {
            relative: Money::from_yuan(8_000),
            vulnerable: Money::from_yuan(5_000),
            ordinary: Money::from_yuan(10_000),
        }
    }
}

/// A household as simulation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimHousehold {
    /// The village it lives in.
    pub village: RegionCode,
    /// 脱贫户, 监测户 or a 低保/特困 family: the lower R3 line applies.
    pub vulnerable: bool,
}

/// A year of claims with the household of each.
#[derive(Debug, Clone, Default)]
pub struct SimInput {
    /// The standing claims (reversals already applied).
    pub claims: Vec<BatchClaim>,
    /// Index into `households` of each claim's household.
    pub household_of: Vec<u32>,
    /// The households.
    pub households: Vec<SimHousehold>,
}

/// Upper ends (exclusive) of the household out-of-pocket buckets, in yuan;
/// the last bucket is open.
pub const BUCKETS: [i64; 7] = [1, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000];

/// Labels of the buckets of [`BUCKETS`] plus the open one.
pub const BUCKET_LABELS: [&str; 8] = [
    "0",
    "0–1000",
    "1000–2000",
    "2000–5000",
    "5000–10000",
    "10000–20000",
    "20000–50000",
    "≥50000",
];

/// Sums of one region under one policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Claims settled.
    pub claims: u64,
    /// Households with at least one claim.
    pub households: u64,
    /// Total cost.
    pub total: Money,
    /// Policy-scope cost.
    pub policy_scope: Money,
    /// Tier 1.
    pub basic: Money,
    /// Tier 2.
    pub critical: Money,
    /// Tier 3.
    pub assistance: Money,
    /// Tier 4.
    pub supplementary: Money,
    /// What families paid.
    pub out_of_pocket: Money,
    /// Households at or over the R2 line.
    pub over_relative: u64,
    /// Households at or over their R3 line.
    pub over_absolute: u64,
    /// Households per out-of-pocket bucket.
    pub buckets: [u64; 8],
}

impl Totals {
    /// Tiers 1–4 together.
    pub fn funds(&self) -> Money {
        self.basic + self.critical + self.assistance + self.supplementary
    }

    /// Actual reimbursement ratio in percent (funds ÷ total), if any cost.
    pub fn actual_ratio(&self) -> Option<f64> {
        (self.total > Money::ZERO)
            .then(|| self.funds().fen() as f64 * 100.0 / self.total.fen() as f64)
    }

    fn add_claim(&mut self, c: &BatchClaim, t: &Tiers) {
        self.claims += 1;
        self.total += c.input.total;
        self.policy_scope += c.input.policy_scope;
        self.basic += t.basic;
        self.critical += t.critical;
        self.assistance += t.assistance;
        self.supplementary += t.supplementary;
        self.out_of_pocket += t.out_of_pocket;
    }

    fn add_household(&mut self, oop: Money, vulnerable: bool, lines: &BurdenLines) {
        self.households += 1;
        if oop >= lines.relative {
            self.over_relative += 1;
        }
        let absolute = if vulnerable {
            lines.vulnerable
        } else {
            lines.ordinary
        };
        if oop >= absolute {
            self.over_absolute += 1;
        }
        let yuan = oop.fen() / 100;
        let bucket = if oop == Money::ZERO {
            0
        } else {
            BUCKETS[1..]
                .iter()
                .position(|&up| yuan < up)
                .map_or(7, |p| p + 1)
        };
        self.buckets[bucket] += 1;
    }
}

/// One region under both policies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compared {
    /// Under the baseline.
    pub baseline: Totals,
    /// Under the alternative.
    pub alternative: Totals,
}

/// The result of a simulation.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The requested region as a whole.
    pub overall: Compared,
    /// Per township (9-digit prefix + `000`), in code order.
    pub townships: BTreeMap<RegionCode, Compared>,
    /// Per village, in code order.
    pub villages: BTreeMap<RegionCode, Compared>,
}

/// Groups whose families count as vulnerable for the R3 line, besides
/// non-ordinary household types.
const VULNERABLE: [Group; 4] = [
    Group::FormerlyPoor,
    Group::Monitored,
    Group::Subsistence,
    Group::ExtremePoor,
];

/// Reads the standing claims of `year` under `region_prefix` from the
/// database, with their households.
pub async fn load_year(
    db: &Db,
    region_prefix: &str,
    year: i32,
) -> Result<SimInput, jianfu_store::StoreError> {
    let mut input = SimInput::default();
    let mut households: HashMap<(String, String), u32> = HashMap::new();
    let mut bad = None;
    let vulnerable_groups = GroupSet::of(&VULNERABLE);
    jianfu_store::claims::for_each_claim_of_year(
        &mut db.read().await?,
        region_prefix,
        year,
        |c: StoredClaim| {
            let parsed = (c.batch_claim(), RegionCode::parse(&c.village_code).ok());
            let (Some(claim), Some(village)) = parsed else {
                bad.get_or_insert_with(|| {
                    format!("结算记录的编码无法识别（县 {}）", c.county_code)
                });
                return;
            };
            let next = households.len() as u32;
            let h = *households
                .entry((c.county_code, c.household_no))
                .or_insert_with(|| {
                    input.households.push(SimHousehold {
                        village,
                        vulnerable: false,
                    });
                    next
                });
            let household = &mut input.households[h as usize];
            household.vulnerable |= HouseholdType::from_code(&c.household_type)
                .is_some_and(|t| t != HouseholdType::Ordinary)
                || claim.input.groups.contains_any(vulnerable_groups);
            input.household_of.push(h);
            input.claims.push(claim);
        },
    )
    .await?;
    match bad {
        Some(msg) => Err(jianfu_store::StoreError::Corrupt(msg)),
        None => Ok(input),
    }
}

/// Settles `input` under both policies and sums by region.
pub fn simulate(
    input: &SimInput,
    baseline: &Policy,
    alternative: &Policy,
    lines: &BurdenLines,
    threads: usize,
) -> Simulation {
    let base = settle_batch(&input.claims, threads, |_, _| baseline);
    let alt = settle_batch(&input.claims, threads, |_, _| alternative);
    let mut sim = Simulation {
        overall: Compared::default(),
        townships: BTreeMap::new(),
        villages: BTreeMap::new(),
    };
    let n = input.households.len();
    let mut oop = vec![(Money::ZERO, Money::ZERO); n];
    let mut seen = vec![false; n];
    for (i, c) in input.claims.iter().enumerate() {
        let h = input.household_of[i] as usize;
        let village = input.households[h].village;
        let township = village.at_level(jianfu_domain::RegionLevel::Township);
        seen[h] = true;
        oop[h].0 += base[i].out_of_pocket;
        oop[h].1 += alt[i].out_of_pocket;
        for cmp in [
            &mut sim.overall,
            sim.townships.entry(township).or_default(),
            sim.villages.entry(village).or_default(),
        ] {
            cmp.baseline.add_claim(c, &base[i]);
            cmp.alternative.add_claim(c, &alt[i]);
        }
    }
    for (h, household) in input.households.iter().enumerate() {
        if !seen[h] {
            continue;
        }
        let village = household.village;
        let township = village.at_level(jianfu_domain::RegionLevel::Township);
        let (b, a) = oop[h];
        for cmp in [
            &mut sim.overall,
            sim.townships.entry(township).or_default(),
            sim.villages.entry(village).or_default(),
        ] {
            cmp.baseline.add_household(b, household.vulnerable, lines);
            cmp.alternative
                .add_household(a, household.vulnerable, lines);
        }
    }
    sim
}

#[cfg(test)]
mod tests {
    use super::*;
    use jianfu_domain::{ClaimKind, FacilityLevel, Group, GroupSet};
    use jianfu_policy::ClaimInput;

    fn claim(person: u64, groups: &[Group], total: i64, policy: i64) -> BatchClaim {
        BatchClaim {
            person,
            settled_at: person as i64,
            year: 2023,
            input: ClaimInput {
                kind: ClaimKind::Inpatient,
                level: FacilityLevel::City,
                county_internal: false,
                groups: GroupSet::of(groups),
                total: Money::from_yuan(total),
                policy_scope: Money::from_yuan(policy),
            },
        }
    }

    #[test]
    fn a_richer_ratio_lowers_burden_and_is_summed_by_region() {
        let base = Policy::built_in("reference-2023").unwrap();
        let text = Policy::built_in_text("reference-2023").unwrap().replace(
            "[basic.levels.city]\ndeductible = \"1000.00\"\nratio = \"0.65\"",
            "[basic.levels.city]\ndeductible = \"1000.00\"\nratio = \"0.75\"",
        );
        let alt = Policy::from_toml(&text).unwrap();
        let v1 = RegionCode::parse("130624100201").unwrap();
        let v2 = RegionCode::parse("130624101202").unwrap();
        let input = SimInput {
            // E4 and E5 of the worked examples, in two villages.
            claims: vec![
                claim(1, &[], 120_000, 100_000),
                claim(2, &[Group::ReturnedPoor], 120_000, 100_000),
            ],
            household_of: vec![0, 1],
            households: vec![
                SimHousehold {
                    village: v1,
                    vulnerable: false,
                },
                SimHousehold {
                    village: v2,
                    vulnerable: true,
                },
            ],
        };
        let sim = simulate(&input, &base, &alt, &BurdenLines::default(), 1);
        let b = sim.overall.baseline;
        assert_eq!(b.out_of_pocket, Money::from_fen(4_326_000 + 2_520_575));
        assert_eq!(b.basic, Money::from_yuan(64_350 * 2));
        assert_eq!(b.households, 2);
        assert_eq!(b.over_absolute, 2);
        assert_eq!(b.buckets[6], 2, "43,260 and 25,205.75 yuan: 20000–50000");
        let a = sim.overall.alternative;
        assert_eq!(a.basic, Money::from_yuan(74_250 * 2));
        assert!(a.out_of_pocket < b.out_of_pocket);
        assert_eq!(sim.townships.len(), 2);
        assert_eq!(
            sim.villages[&v1].baseline.out_of_pocket,
            Money::from_yuan(43_260)
        );
        let ratio = b.actual_ratio().unwrap();
        assert!((ratio - (240_000.0 - 68_465.75) / 2_400.0).abs() < 1e-9);
    }
}
