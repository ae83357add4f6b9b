//! One household at a time: its members with plausible ages and relations,
//! their ID numbers, names, diagnoses, poverty-registry categories,
//! income, phone numbers and status.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate};
use jianfu_domain::{Group, GroupSet, HouseholdType, IdCardNo, PersonStatus, Relation};

use crate::diseases::{self, Code, Dz, SPECS, Spec};
use crate::names;
use crate::places::{County, Level};
use crate::rng::Rng;

/// A diagnosis on record.
#[derive(Debug, Clone)]
pub(crate) struct Diagnosis {
    pub spec: &'static Spec,
    pub code: &'static Code,
    pub on: NaiveDate,
    /// Index into the county's facilities.
    pub facility: usize,
}

/// A member of a household.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub name: String,
    pub id: IdCardNo,
    pub male: bool,
    pub birth: NaiveDate,
    /// Age on the reference date.
    pub age: u32,
    pub relation: Relation,
    /// The person's own groups (the household type adds more).
    pub groups: GroupSet,
    pub phone: Option<String>,
    pub status: PersonStatus,
    /// Date of death or of moving out.
    pub exit: Option<NaiveDate>,
    pub diagnoses: Vec<Diagnosis>,
}

impl Member {
    pub(crate) fn has(&self, dz: Dz) -> bool {
        self.diagnoses.iter().any(|d| d.spec.dz == dz)
    }

    pub(crate) fn has_major(&self) -> bool {
        self.diagnoses.iter().any(|d| d.spec.major)
    }
}

/// A household of the registry.
#[derive(Debug, Clone)]
pub(crate) struct Household {
    /// 户编号: village code + 4-digit sequence.
    pub number: String,
    pub kind: HouseholdType,
    /// Per-capita net income, fen.
    pub income_fen: i64,
    pub members: Vec<Member>,
}

/// Settings shared by all households of a run.
pub(crate) struct Context<'a> {
    pub county: &'a County,
    /// The day the registry snapshot describes (31 December of the last claim year).
    pub reference: NaiveDate,
    /// First day of the claim period: deaths and moves happen from here on.
    pub period_start: NaiveDate,
}

/// Household sizes 1–7 with a mean of about 3.0: the registered (户籍)
/// households of a rural north-China county, where many old couples and
/// old people living alone remain while the young work elsewhere.
pub(crate) const SIZE_WEIGHTS: [f64; 7] = [0.17, 0.27, 0.19, 0.18, 0.11, 0.06, 0.02];

#[derive(Debug, Clone, Copy)]
struct Proto {
    relation: Relation,
    male: bool,
    age: i32,
}

/// (template letters, weight, head age mean, sd, min, max, chance the head is male)
type Template = (&'static str, f64, f64, f64, i32, i32, f64);

/// Household compositions by size. Letters: H head, S spouse, C child,
/// O child's spouse, G grandchild, P parent, B sibling.
const TEMPLATES: [&[Template]; 7] = [
    &[
        ("H", 0.8, 72.0, 9.0, 55, 97, 0.45),
        ("H", 0.2, 42.0, 10.0, 22, 57, 0.75),
    ],
    &[
        ("HS", 0.62, 65.0, 10.0, 40, 95, 0.88),
        ("HS", 0.08, 28.0, 4.0, 22, 38, 0.88),
        ("HC", 0.18, 68.0, 10.0, 45, 95, 0.45),
        ("HP", 0.07, 42.0, 9.0, 25, 60, 0.7),
        ("HB", 0.02, 62.0, 10.0, 45, 85, 0.7),
        ("HG", 0.03, 66.0, 6.0, 55, 82, 0.45),
    ],
    &[
        ("HSC", 0.58, 50.0, 10.0, 26, 85, 0.88),
        ("HSG", 0.12, 62.0, 6.0, 48, 85, 0.88),
        ("HSP", 0.09, 40.0, 8.0, 26, 58, 0.88),
        ("HCG", 0.08, 66.0, 8.0, 50, 90, 0.45),
        ("HCC", 0.1, 58.0, 10.0, 40, 90, 0.45),
        ("HSB", 0.03, 55.0, 10.0, 35, 85, 0.88),
    ],
    &[
        ("HSCC", 0.45, 46.0, 8.0, 28, 75, 0.88),
        ("HSCG", 0.14, 60.0, 7.0, 46, 85, 0.88),
        ("HSCP", 0.14, 42.0, 8.0, 28, 62, 0.88),
        ("HSPP", 0.05, 36.0, 6.0, 26, 55, 0.88),
        ("HSCO", 0.12, 55.0, 7.0, 44, 80, 0.88),
        ("HSGG", 0.1, 62.0, 6.0, 48, 85, 0.88),
    ],
    &[
        ("HSCOG", 0.35, 58.0, 7.0, 45, 85, 0.88),
        ("HSCCC", 0.2, 46.0, 7.0, 30, 70, 0.88),
        ("HSCCP", 0.15, 44.0, 7.0, 30, 62, 0.88),
        ("HSCPP", 0.1, 38.0, 6.0, 26, 55, 0.88),
        ("HSCGG", 0.2, 60.0, 6.0, 46, 80, 0.88),
    ],
    &[
        ("HSCOGG", 0.5, 58.0, 6.0, 46, 80, 0.88),
        ("HSCCPP", 0.15, 40.0, 6.0, 28, 55, 0.88),
        ("HSCOGP", 0.25, 54.0, 5.0, 45, 68, 0.88),
        ("HSCCCC", 0.1, 48.0, 6.0, 36, 68, 0.88),
    ],
    &[
        ("HSCOGGG", 0.4, 60.0, 6.0, 48, 80, 0.9),
        ("HSCOGGP", 0.3, 56.0, 5.0, 46, 68, 0.9),
        ("HSCCOGG", 0.3, 60.0, 6.0, 48, 80, 0.9),
    ],
];

fn clamp_normal(rng: &mut Rng, mean: f64, sd: f64, lo: i32, hi: i32) -> i32 {
    ((mean + sd * rng.normal()).round() as i32).clamp(lo, hi)
}

/// Members (relation, sex, age) of a household of `size`.
fn compose(rng: &mut Rng, size: usize) -> Vec<Proto> {
    let templates = TEMPLATES[size.clamp(1, 7) - 1];
    let weights: Vec<f64> = templates.iter().map(|t| t.1).collect();
    let (letters, _, mean, sd, lo, hi, p_male) = templates[rng.weighted(&weights)];
    let mut last = Vec::new();
    for _attempt in 0..30 {
        let (members, ok) = try_compose(rng, letters, mean, sd, lo, hi, p_male);
        if ok {
            return members;
        }
        last = members;
    }
    // Fall back to the clamped last attempt (ages are still non-negative).
    last
}

fn try_compose(
    rng: &mut Rng,
    letters: &str,
    mean: f64,
    sd: f64,
    lo: i32,
    hi: i32,
    p_male: f64,
) -> (Vec<Proto>, bool) {
    let mut ok = true;
    let head_age = clamp_normal(rng, mean, sd, lo, hi);
    let head_male = rng.chance(p_male);
    let mut out = vec![Proto {
        relation: Relation::Head,
        male: head_male,
        age: head_age,
    }];
    let has_spouse = letters.contains('S');
    let spouse_age = if has_spouse {
        let gap = ((2.0 + 2.5 * rng.normal()).round() as i32).clamp(-3, 8);
        let age = if head_male {
            head_age - gap
        } else {
            head_age + gap
        };
        let age = age.clamp(20, 99);
        out.push(Proto {
            relation: Relation::Spouse,
            male: !head_male,
            age,
        });
        Some(age)
    } else {
        None
    };
    // The mother's age, to place children.
    let mother_age = match (head_male, spouse_age) {
        (false, _) => head_age,
        (true, Some(s)) => s,
        (true, None) => head_age - 2,
    };
    let n_children = letters.matches('C').count();
    let married_child = letters.contains('O') || (letters.contains('G') && n_children > 0);
    // Children are 20–35 years younger than the head, and the mother was
    // at least 18 at their birth.
    let first_gap = if head_male {
        rng.range(22, 35)
    } else {
        rng.range(20, 33)
    } as i32;
    let mut child_age = head_age - first_gap;
    if mother_age - child_age < 18 {
        ok = false;
    }
    let mut married: Option<(bool, i32)> = None;
    for i in 0..n_children {
        if i > 0 {
            child_age -= rng.range(1, 6) as i32;
        }
        let is_married = married_child && i == 0;
        if is_married && child_age < 21 {
            ok = false;
        }
        let male = if is_married {
            rng.chance(0.8)
        } else {
            rng.chance(0.52)
        };
        let age = child_age.max(0);
        if child_age < 0 || head_age - child_age > 38 || mother_age - child_age > 42 {
            ok = false;
        }
        if is_married {
            married = Some((male, age));
        }
        out.push(Proto {
            relation: Relation::Child,
            male,
            age,
        });
    }
    if letters.contains('O') {
        let (cm, ca) = married.unwrap_or((true, 25));
        let age = (ca + (2.5 * rng.normal()).round() as i32 * if cm { -1 } else { 1 }).max(20);
        out.push(Proto {
            relation: Relation::Other,
            male: !cm,
            age,
        });
    }
    let n_grand = letters.matches('G').count();
    if n_grand > 0 {
        let mut g_age = match married {
            Some((male, age)) => (if male { age - 2 } else { age }) - rng.range(21, 33) as i32,
            None => head_age - rng.range(45, 62) as i32,
        };
        for i in 0..n_grand {
            if i > 0 {
                g_age -= rng.range(1, 6) as i32;
            }
            if g_age < 0 {
                ok = false;
            }
            out.push(Proto {
                relation: Relation::Grandchild,
                male: rng.chance(0.52),
                age: g_age.max(0),
            });
        }
    }
    let n_parents = letters.matches('P').count();
    if n_parents > 0 {
        let mother = head_age + rng.range(22, 34) as i32;
        if mother > 98 {
            ok = false;
        }
        if n_parents == 1 {
            let male = rng.chance(0.3);
            let age = if male { mother + 2 } else { mother };
            out.push(Proto {
                relation: Relation::Parent,
                male,
                age: age.min(100),
            });
        } else {
            let father = mother + rng.range(0, 4) as i32;
            if father > 98 {
                ok = false;
            }
            out.push(Proto {
                relation: Relation::Parent,
                male: true,
                age: father.min(100),
            });
            out.push(Proto {
                relation: Relation::Parent,
                male: false,
                age: mother.min(100),
            });
        }
    }
    if letters.contains('B') {
        let age = (head_age + rng.range(-10, 10) as i32).max(18);
        out.push(Proto {
            relation: Relation::Sibling,
            male: rng.chance(0.7),
            age,
        });
    }
    (out, ok)
}

/// Generates the household with sequence `seq` (1-based) in village `village`.
pub(crate) fn generate(
    rng: &mut Rng,
    ctx: &Context<'_>,
    village: usize,
    seq: u32,
    size: usize,
    ids: &mut HashSet<u64>,
) -> Household {
    let county = ctx.county;
    let v = &county.villages[village];
    let protos = compose(rng, size);

    // Surnames: the head's family name is usually one of the village's own.
    let family = if rng.chance(0.5) {
        *rng.choose(&v.surnames)
    } else {
        names::surname(rng)
    };
    let head_male = protos[0].male;
    let spouse_surname = if rng.chance(0.35) {
        *rng.choose(&v.surnames)
    } else {
        names::surname(rng)
    };
    let (father_line, mother_line) = if head_male {
        (family, spouse_surname)
    } else {
        (spouse_surname, family)
    };

    let mut members: Vec<Member> = Vec::with_capacity(protos.len());
    for p in &protos {
        let birth = birth_date(rng, ctx.reference, p.age);
        let surname = match p.relation {
            Relation::Head => family,
            Relation::Spouse => spouse_surname,
            Relation::Child | Relation::Grandchild => {
                if rng.chance(0.95) {
                    father_line
                } else {
                    mother_line
                }
            }
            Relation::Parent if p.male => family,
            Relation::Sibling => family,
            _ => names::surname(rng),
        };
        let given = names::given_name(rng, p.male, birth.year());
        let id = id_number(rng, county, birth, p.male, ids);
        members.push(Member {
            name: format!("{surname}{given}"),
            id,
            male: p.male,
            birth,
            age: p.age.max(0) as u32,
            relation: p.relation,
            groups: GroupSet::EMPTY,
            phone: None,
            status: PersonStatus::Active,
            exit: None,
            diagnoses: Vec::new(),
        });
    }

    // Diagnoses.
    let township = v.township;
    for m in &mut members {
        for spec in SPECS {
            if rng.chance(spec.chance(m.age, m.male))
                && let Some(d) = diagnose(rng, ctx, spec, m, township, None)
            {
                m.diagnoses.push(d);
            }
        }
    }

    // Household type: poverty is commoner for the old, for households
    // hit by a major disease, and in the poorer villages and resettlement
    // communities.
    let old_head = members[0].age >= 60;
    let mut risk = v.poverty;
    risk *= match (members.len(), old_head) {
        (1, true) => 1.6,
        (2, true) => 1.3,
        (1 | 2, false) => 0.8,
        (n, _) if n >= 5 => 0.9,
        _ => 1.0,
    };
    let major_in_household = members.iter().any(Member::has_major);
    if major_in_household {
        risk *= 1.8;
    }
    let kind = if rng.chance((0.175 * risk).min(0.92)) {
        if rng.chance(0.09) {
            HouseholdType::Unstable
        } else {
            HouseholdType::FormerlyPoor
        }
    } else {
        let sudden = 0.009 * if major_in_household { 3.0 } else { 1.0 };
        let x = rng.f64();
        if x < 0.02 * risk.sqrt() {
            HouseholdType::Edge
        } else if x < 0.02 * risk.sqrt() + sudden {
            HouseholdType::Sudden
        } else {
            HouseholdType::Ordinary
        }
    };
    // Nearly half of monitored households are at risk because of illness
    // (domain.md §6): give some of them a recently diagnosed major disease.
    if kind.is_monitored() && !major_in_household && rng.chance(0.25) {
        let adults: Vec<usize> = (0..members.len())
            .filter(|&i| members[i].age >= 35)
            .collect();
        if !adults.is_empty() {
            let i = *rng.choose(&adults);
            let m = &mut members[i];
            let options: &[(Dz, f64)] = &[
                (Dz::Cancer, 0.4),
                (Dz::Stroke, 0.25),
                (Dz::Esrd, 0.1),
                (Dz::Copd, 0.1),
                (Dz::Ami, 0.1),
                (Dz::Mental, 0.05),
            ];
            let dz = *rng.pick(options);
            if !m.has(dz)
                && let Some(d) = diagnose(rng, ctx, diseases::spec(dz), m, township, Some(3))
            {
                m.diagnoses.push(d);
            }
        }
    }

    // Categories held by the whole household.
    let poor = kind != HouseholdType::Ordinary;
    let returned = match kind {
        HouseholdType::Unstable => rng.chance(0.3),
        HouseholdType::Sudden => rng.chance(0.4),
        HouseholdType::Edge => rng.chance(0.1),
        _ => false,
    };
    let subsistence = rng.chance(match kind {
        HouseholdType::FormerlyPoor => 0.2,
        HouseholdType::Unstable => 0.35,
        HouseholdType::Edge => 0.22,
        HouseholdType::Sudden => 0.3,
        HouseholdType::Ordinary => 0.013,
    });
    let subsistence_edge = !subsistence
        && rng.chance(match kind {
            HouseholdType::FormerlyPoor => 0.02,
            HouseholdType::Unstable => 0.12,
            HouseholdType::Edge => 0.3,
            HouseholdType::Sudden => 0.2,
            HouseholdType::Ordinary => 0.004,
        });
    let alone = members.len() == 1;
    for m in &mut members {
        // 特困: mostly old people living alone without anyone to support them.
        let extreme = alone
            && match m.age {
                60.. => rng.chance(if poor { 0.32 } else { 0.12 }),
                40..60 => rng.chance(0.05),
                _ => false,
            };
        if extreme {
            m.groups.insert(Group::ExtremePoor);
        } else if subsistence && rng.chance(0.9) {
            m.groups.insert(Group::Subsistence);
        }
        if returned {
            m.groups.insert(Group::ReturnedPoor);
        }
        if subsistence_edge {
            m.groups.insert(Group::SubsistenceEdge);
        }
        if m.has_major() && rng.chance(if poor { 0.35 } else { 0.05 }) {
            m.groups.insert(Group::IllnessPoor);
        }
    }

    // Income per head, yuan; the monitoring line is 7,000.
    let (median, sigma, floor) = match kind {
        HouseholdType::Ordinary => (15_000.0, 0.4, 4_000.0),
        HouseholdType::FormerlyPoor => (12_500.0, 0.33, 5_500.0),
        HouseholdType::Unstable => (8_600.0, 0.3, 4_000.0),
        HouseholdType::Edge => (7_900.0, 0.3, 3_500.0),
        HouseholdType::Sudden => (6_600.0, 0.4, 2_000.0),
    };
    let mut income = rng.lognormal(median, sigma).max(floor);
    if subsistence {
        income *= 0.85;
    }
    if members[0].groups.contains(Group::ExtremePoor) {
        income = rng.lognormal(9_500.0, 0.15);
    }
    let income_fen = (income * 100.0).round() as i64;

    // Phones: the head nearly always, working-age adults sometimes.
    for (i, m) in members.iter_mut().enumerate() {
        let wants = if i == 0 {
            rng.chance(0.95)
        } else {
            (18..=60).contains(&m.age) && rng.chance(0.12)
        };
        if wants {
            m.phone = Some(phone(rng));
        }
    }

    // Deaths and moves during the claim years (never the head).
    for m in members.iter_mut().skip(1) {
        let mortality = m
            .diagnoses
            .iter()
            .map(|d| d.spec.claims.mortality)
            .fold(1.0, f64::max);
        let p_death = match m.age {
            0..50 => 0.003,
            50..65 => 0.012,
            65..75 => 0.045,
            75..85 => 0.12,
            _ => 0.25,
        } * mortality;
        let status = if rng.chance(p_death.min(0.6)) {
            PersonStatus::Deceased
        } else if (18..=40).contains(&m.age) && rng.chance(0.04) {
            PersonStatus::MovedOut
        } else {
            continue;
        };
        let latest = m
            .diagnoses
            .iter()
            .map(|d| d.on)
            .chain([m.birth])
            .max()
            .unwrap_or(m.birth);
        let from = ctx.period_start.max(latest + Days::new(1));
        if from > ctx.reference {
            continue;
        }
        m.status = status;
        m.exit = Some(uniform_date(rng, from, ctx.reference));
    }

    Household {
        number: format!("{}{seq:04}", v.code),
        kind,
        income_fen,
        members,
    }
}

/// A birth date such that the person is `age` on the reference date (31 December).
fn birth_date(rng: &mut Rng, reference: NaiveDate, age: i32) -> NaiveDate {
    let year_end = NaiveDate::from_ymd_opt(
        reference.year() - age.max(0),
        reference.month(),
        reference.day(),
    )
    .unwrap_or(reference);
    let year_start = NaiveDate::from_ymd_opt(year_end.year(), 1, 1).expect("1 January exists");
    uniform_date(rng, year_start, year_end)
}

/// A date in `from..=to` (`from` when the range is empty).
pub(crate) fn uniform_date(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        return from;
    }
    from + Days::new(rng.range(0, span) as u64)
}

/// An ID number: mostly with the county's own area code, sometimes a
/// neighbouring county's (people who married or moved in) or an obsolete
/// code of the county; unique within the run.
fn id_number(
    rng: &mut Rng,
    county: &County,
    birth: NaiveDate,
    male: bool,
    ids: &mut HashSet<u64>,
) -> IdCardNo {
    let x = rng.f64();
    let obsolete: Vec<&str> = county
        .obsolete_areas
        .iter()
        .filter(|(_, last)| birth.year() <= *last)
        .map(|(c, _)| *c)
        .collect();
    let area: &str = if x < 0.05 && !county.neighbour_areas.is_empty() {
        rng.choose(&county.neighbour_areas).as_str()
    } else if x < 0.13 && !obsolete.is_empty() {
        rng.choose::<&str>(&obsolete)
    } else {
        &county.code
    };
    let mut birth = birth;
    loop {
        for _ in 0..64 {
            let seq = (rng.below(500) * 2 + u64::from(male)) as u16;
            let id = IdCardNo::from_parts(area, birth, seq).expect("area codes are six digits");
            // Real numbers can end in 000, but importers warn about them (it
            // is what Excel leaves of a rounded number): keep demo data clean.
            if id.as_str().ends_with("000") {
                continue;
            }
            if ids.insert(id.packed()) {
                return id;
            }
        }
        // Every sequence of this day is taken (not seen in practice): use the day before.
        birth = birth
            .pred_opt()
            .expect("dates before 1850 are not generated");
    }
}

/// A mobile number: 11 digits, prefix 13x–19x.
fn phone(rng: &mut Rng) -> String {
    const PREFIXES: &[&str] = &[
        "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
        "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185",
        "186", "187", "188", "189", "191", "193", "198", "199",
    ];
    format!("{}{:08}", rng.choose(PREFIXES), rng.below(100_000_000))
}

/// A diagnosis of `spec` for `m`, within the spec's window or the last
/// `recent_years` years; `None` when the window is empty.
fn diagnose(
    rng: &mut Rng,
    ctx: &Context<'_>,
    spec: &'static Spec,
    m: &Member,
    township: usize,
    recent_years: Option<i64>,
) -> Option<Diagnosis> {
    let years = recent_years.unwrap_or(spec.years_back).min(10);
    let window_start = ctx.reference - Days::new((years * 365) as u64);
    let lower = m.birth.max(window_start);
    let mut upper = ctx.reference;
    if spec.congenital {
        let infancy = m.birth + Days::new(365);
        upper = upper.min(if infancy >= lower {
            infancy
        } else {
            lower + Days::new(730)
        });
    }
    if lower > upper {
        return None;
    }
    let on = uniform_date(rng, lower, upper);
    let code = diseases::pick_code(rng, spec.codes_for(m.male));
    let level = Level::from_index(rng.weighted(&spec.diag_levels));
    let facility = ctx.county.facility(rng, level, spec.specialty, township);
    Some(Diagnosis {
        spec,
        code,
        on,
        facility,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositions_are_plausible() {
        let mut rng = Rng::new(5);
        for size in 1..=7 {
            for _ in 0..500 {
                let m = compose(&mut rng, size);
                assert_eq!(m.len(), size);
                assert_eq!(m.iter().filter(|p| p.relation == Relation::Head).count(), 1);
                assert_eq!(m[0].relation, Relation::Head);
                let head = m[0];
                for p in &m {
                    assert!((0..=100).contains(&p.age), "{p:?}");
                    match p.relation {
                        Relation::Spouse => {
                            assert!((p.age - head.age).abs() <= 12);
                            assert_ne!(p.male, head.male);
                        }
                        Relation::Child => {
                            assert!((20..=38).contains(&(head.age - p.age)), "{m:?}")
                        }
                        Relation::Parent => assert!(p.age - head.age >= 18, "{m:?}"),
                        Relation::Grandchild => assert!(head.age - p.age >= 36, "{m:?}"),
                        _ => {}
                    }
                }
            }
        }
    }
}
