//! The inputs of the household-years of one county (`monitoring.md` §2),
//! read set-wise: one query per table for the whole county (or the part
//! of it under a township or village prefix), never one per household,
//! and assembled into the engine's flat batch (`Households`).
//!
//! Claims and diagnoses are staged with the position of their person and
//! put in order in memory: the tables' indexes lead with the county, not
//! with the household, and sorting a few million small rows here is
//! cheaper than making either engine sort wide rows.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use jianfu_domain::{
    ClaimKind, GroupSet, HouseholdType, Icd10, IdCardNo, Money, PersonStatus, RegionCode,
};
use jianfu_monitoring::{ClaimFacts, Diagnosis, Households};

use crate::sql::{Tx, Value};
use crate::{Result, StoreError, prefix_range};

/// What to read: a county, the village prefix inside it (the county code
/// itself for all of it), the claim years and the evaluation date.
#[derive(Debug, Clone, Copy)]
pub struct InputQuery<'a> {
    /// Six-digit county code.
    pub county: &'a str,
    /// Region prefix at least as long as the county code.
    pub region: &'a str,
    /// First and last year whose claims are read (inclusive).
    pub years: (i32, i32),
    /// Claims settled after this day are not read.
    pub as_of: NaiveDate,
}

pub(super) struct HouseholdIn {
    pub(super) no: String,
    village: RegionCode,
    kind: HouseholdType,
    income: Option<Money>,
}

pub(super) struct PersonIn {
    household: u32,
    pub(super) id: IdCardNo,
    status: PersonStatus,
    groups: GroupSet,
    birth: NaiveDate,
}

pub(super) struct ClaimIn {
    pub(super) person: u32,
    pub(super) facts: ClaimFacts,
    pub(super) id_end: u32,
}

pub(super) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}“{value}”无法识别"))
}

/// Reads the county's households with their members, standing claims of
/// the years up to `as_of` and every diagnosis, as one batch sorted by
/// 户编号 (members by ID number, claims by settlement time).
pub async fn household_inputs(tx: &mut Tx, q: &InputQuery<'_>) -> Result<Households> {
    let (lo, hi) = prefix_range(q.region);
    let started = std::time::Instant::now();
    let households = read_households(tx, q.county, &lo, &hi).await?;
    let households_at = started.elapsed();
    let index: HashMap<&str, u32> = households
        .iter()
        .enumerate()
        .map(|(i, h)| (h.no.as_str(), i as u32))
        .collect();
    let persons = read_persons(tx, q.county, &lo, &hi, &households, &index).await?;
    let position: HashMap<u64, u32> = persons
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.packed(), i as u32))
        .collect();
    let persons_at = started.elapsed();
    let (claims, claim_ids) = read_claims(tx, q, &position).await?;
    let claims_at = started.elapsed();
    let diagnoses = read_diagnoses(tx, q.county, &position).await?;
    let diagnoses_at = started.elapsed();
    let batch = assemble(&households, &persons, &claims, &claim_ids, &diagnoses);
    tracing::debug!(
        households_ms = households_at.as_millis() as u64,
        persons_ms = (persons_at - households_at).as_millis() as u64,
        claims_ms = (claims_at - persons_at).as_millis() as u64,
        diagnoses_ms = (diagnoses_at - claims_at).as_millis() as u64,
        assemble_ms = (started.elapsed() - diagnoses_at).as_millis() as u64,
        claims = claims.len(),
        "monitoring inputs read"
    );
    Ok(batch)
}

pub(super) async fn read_households(
    tx: &mut Tx,
    county: &str,
    lo: &str,
    hi: &str,
) -> Result<Vec<HouseholdIn>> {
    let sql = "SELECT household_no, village_code, household_type, income_per_capita \
        FROM households WHERE county_code = $1 AND village_code >= $2 AND village_code < $3";
    let args = [Value::Text(county), Value::Text(lo), Value::Text(hi)];
    let mut out = Vec::new();
    tx.each(sql, &args, |row: HouseholdSql| {
        out.push(household_in(row)?);
        Ok(())
    })
    .await?;
    // Byte order of the 户编号, as both engines sort codes.
    out.sort_unstable_by(|a, b| a.no.cmp(&b.no));
    Ok(out)
}

type HouseholdSql = (String, String, String, Option<i64>);

fn household_in((no, village, kind, income): HouseholdSql) -> Result<HouseholdIn> {
    Ok(HouseholdIn {
        village: RegionCode::parse(&village).map_err(|_| corrupt("村代码", &village))?,
        kind: HouseholdType::from_code(&kind).ok_or_else(|| corrupt("户类别", &kind))?,
        income: income.map(Money::from_fen),
        no,
    })
}

pub(super) async fn read_persons(
    tx: &mut Tx,
    county: &str,
    lo: &str,
    hi: &str,
    households: &[HouseholdIn],
    index: &HashMap<&str, u32>,
) -> Result<Vec<PersonIn>> {
    let sql = "SELECT household_no, id_number, status, groups, birth_date \
        FROM persons WHERE county_code = $1 AND village_code >= $2 AND village_code < $3";
    let args = [Value::Text(county), Value::Text(lo), Value::Text(hi)];
    let mut out = Vec::new();
    tx.each(sql, &args, |row: PersonSql| {
        if let Some(p) = person_in(row, households, index)? {
            out.push(p);
        }
        Ok(())
    })
    .await?;
    out.sort_unstable_by_key(|p| (p.household, p.id.packed()));
    Ok(out)
}

type PersonSql = (String, String, String, String, NaiveDate);

/// A member of one of `households`; `None` when the household was not
/// read (it lies outside the prefix).
fn person_in(
    (no, id, status, groups, birth): PersonSql,
    households: &[HouseholdIn],
    index: &HashMap<&str, u32>,
) -> Result<Option<PersonIn>> {
    let Some(&household) = index.get(no.as_str()) else {
        return Ok(None);
    };
    let kind = households[household as usize].kind;
    let own = GroupSet::parse_list(&groups).map_err(|_| corrupt("人员类别", &groups))?;
    Ok(Some(PersonIn {
        household,
        id: IdCardNo::parse(&id).map_err(|_| corrupt("身份证号", "…"))?,
        status: PersonStatus::from_code(&status).ok_or_else(|| corrupt("人员状态", &status))?,
        // The rules take full sets: those the household type implies too.
        groups: own.union(kind.implied_groups()),
        birth,
    }))
}

async fn read_claims(
    tx: &mut Tx,
    q: &InputQuery<'_>,
    position: &HashMap<u64, u32>,
) -> Result<(Vec<ClaimIn>, String)> {
    let sql = "SELECT person_id, claim_id, settled_at, kind, total, out_of_pocket, one_stop, groups \
        FROM claims WHERE county_code = $1 AND year >= $2 AND year <= $3 AND settled_at < $4 \
        AND reverses IS NULL AND reversed_by IS NULL";
    let (first, last) = (year16(q.years.0), year16(q.years.1));
    let args = [
        Value::Text(q.county),
        Value::Int16(first),
        Value::Int16(last),
        Value::LocalTime(end_of(q.as_of)),
    ];
    let mut claims = Claims::default();
    tx.each(sql, &args, |row: ClaimSql| claims.push(row, position))
        .await?;
    Ok((claims.rows, claims.ids))
}

pub(super) fn year16(y: i32) -> i16 {
    y.clamp(0, 9999) as i16
}

/// The first instant after `as_of`: claims settled before it are read.
pub(super) fn end_of(as_of: NaiveDate) -> NaiveDateTime {
    as_of
        .succ_opt()
        .unwrap_or(as_of)
        .and_time(chrono::NaiveTime::MIN)
}

type ClaimSql = (
    String,
    String,
    NaiveDateTime,
    String,
    i64,
    Option<i64>,
    Option<bool>,
    String,
);

/// Claims staged with their person's position, numbers in one buffer.
#[derive(Default)]
pub(super) struct Claims {
    pub(super) rows: Vec<ClaimIn>,
    pub(super) ids: String,
}

impl Claims {
    fn push(&mut self, row: ClaimSql, position: &HashMap<u64, u32>) -> Result<()> {
        let (person, claim_id, settled_at, kind, total, oop, one_stop, groups) = row;
        let packed = IdCardNo::parse(&person)
            .map_err(|_| corrupt("身份证号", "…"))?
            .packed();
        let Some(&person) = position.get(&packed) else {
            return Ok(()); // insured here, living outside the prefix read
        };
        self.ids.push_str(&claim_id);
        self.rows.push(ClaimIn {
            person,
            facts: ClaimFacts {
                settled_at,
                kind: ClaimKind::from_code(&kind).ok_or_else(|| corrupt("就诊类型", &kind))?,
                total: Money::from_fen(total),
                out_of_pocket: Money::from_fen(oop.unwrap_or(0)),
                one_stop,
                groups: GroupSet::parse_list(&groups).map_err(|_| corrupt("人员类别", &groups))?,
            },
            id_end: u32::try_from(self.ids.len()).map_err(|_| corrupt("结算单号", "过多"))?,
        });
        Ok(())
    }
}

pub(super) async fn read_diagnoses(
    tx: &mut Tx,
    county: &str,
    position: &HashMap<u64, u32>,
) -> Result<Vec<(u32, Diagnosis)>> {
    let sql = "SELECT id_number, icd10, diagnosed_on FROM diagnoses WHERE county_code = $1";
    let mut out = Vec::new();
    tx.each(sql, &[Value::Text(county)], |row: DiagnosisSql| {
        out.extend(diagnosis_in(row, position)?);
        Ok(())
    })
    .await?;
    sort_diagnoses(&mut out);
    Ok(out)
}

type DiagnosisSql = (String, String, NaiveDate);

fn diagnosis_in(
    (id, icd10, on): DiagnosisSql,
    position: &HashMap<u64, u32>,
) -> Result<Option<(u32, Diagnosis)>> {
    let packed = IdCardNo::parse(&id)
        .map_err(|_| corrupt("身份证号", "…"))?
        .packed();
    let Some(&person) = position.get(&packed) else {
        return Ok(None);
    };
    let icd10 = Icd10::parse(&icd10).map_err(|_| corrupt("疾病编码", "…"))?;
    Ok(Some((
        person,
        Diagnosis {
            icd10,
            diagnosed_on: on,
        },
    )))
}

fn sort_diagnoses(out: &mut [(u32, Diagnosis)]) {
    out.sort_by(|a, b| {
        (a.0, a.1.diagnosed_on, a.1.icd10.as_str()).cmp(&(
            b.0,
            b.1.diagnosed_on,
            b.1.icd10.as_str(),
        ))
    });
}

/// Reads the given households of `county` (户编号, any order) as
/// [`household_inputs`] reads a county: the same rows, found by key
/// instead of by range, for the evaluation of the few households an
/// import touched. Numbers not stored are left out.
pub async fn household_inputs_of(
    tx: &mut Tx,
    county: &str,
    numbers: &[String],
    years: (i32, i32),
    as_of: NaiveDate,
) -> Result<Households> {
    let sql = "SELECT household_no, village_code, household_type, income_per_capita \
        FROM households WHERE county_code = $1 AND household_no";
    let rows: Vec<HouseholdSql> = tx.all_in(sql, &[Value::Text(county)], numbers).await?;
    let mut households = rows
        .into_iter()
        .map(household_in)
        .collect::<Result<Vec<_>>>()?;
    households.sort_unstable_by(|a, b| a.no.cmp(&b.no));
    let index: HashMap<&str, u32> = households
        .iter()
        .enumerate()
        .map(|(i, h)| (h.no.as_str(), i as u32))
        .collect();
    let sql = "SELECT household_no, id_number, status, groups, birth_date \
        FROM persons WHERE county_code = $1 AND household_no";
    let rows: Vec<PersonSql> = tx.all_in(sql, &[Value::Text(county)], numbers).await?;
    let mut persons = Vec::with_capacity(rows.len());
    for row in rows {
        persons.extend(person_in(row, &households, &index)?);
    }
    persons.sort_unstable_by_key(|p| (p.household, p.id.packed()));
    let position: HashMap<u64, u32> = persons
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.packed(), i as u32))
        .collect();
    let ids: Vec<String> = persons.iter().map(|p| p.id.as_str().to_string()).collect();
    let claims = claims_of(tx, county, &ids, years, as_of, &position).await?;
    let sql = "SELECT id_number, icd10, diagnosed_on FROM diagnoses \
        WHERE county_code = $1 AND id_number";
    let rows: Vec<DiagnosisSql> = tx.all_in(sql, &[Value::Text(county)], &ids).await?;
    let mut diagnoses = Vec::with_capacity(rows.len());
    for row in rows {
        diagnoses.extend(diagnosis_in(row, &position)?);
    }
    sort_diagnoses(&mut diagnoses);
    Ok(assemble(
        &households,
        &persons,
        &claims.rows,
        &claims.ids,
        &diagnoses,
    ))
}

/// The standing claims of the persons `ids` of the years, one keyed query
/// a year (the index leads with county, year, person).
pub(super) async fn claims_of(
    tx: &mut Tx,
    county: &str,
    ids: &[String],
    (first, last): (i32, i32),
    as_of: NaiveDate,
    position: &HashMap<u64, u32>,
) -> Result<Claims> {
    let sql = "SELECT person_id, claim_id, settled_at, kind, total, out_of_pocket, one_stop, \
        groups FROM claims WHERE county_code = $1 AND year = $2 AND settled_at < $3 \
        AND reverses IS NULL AND reversed_by IS NULL AND person_id";
    let mut claims = Claims::default();
    for year in first..=last {
        let args = [
            Value::Text(county),
            Value::Int16(year16(year)),
            Value::LocalTime(end_of(as_of)),
        ];
        for row in tx.all_in::<ClaimSql>(sql, &args, ids).await? {
            claims.push(row, position)?;
        }
    }
    Ok(claims)
}

/// Pushes everything into the batch in household order.
pub(super) fn assemble(
    households: &[HouseholdIn],
    persons: &[PersonIn],
    claims: &[ClaimIn],
    claim_ids: &str,
    diagnoses: &[(u32, Diagnosis)],
) -> Households {
    let id_of = |i: usize| {
        let start = if i == 0 {
            0
        } else {
            claims[i - 1].id_end as usize
        };
        &claim_ids[start..claims[i].id_end as usize]
    };
    // Claims in person order, then by settlement time and number.
    let mut order: Vec<u32> = (0..claims.len() as u32).collect();
    order.sort_unstable_by_key(|&i| {
        let c = &claims[i as usize];
        (c.person, c.facts.settled_at, id_of(i as usize))
    });
    let mut b = Households::with_capacity(households.len(), persons.len(), claims.len());
    let (mut p, mut c, mut d) = (0, 0, 0);
    for (h, row) in households.iter().enumerate() {
        b.push_household(row.village, &row.no, row.kind, row.income);
        while p < persons.len() && persons[p].household as usize == h {
            let person = &persons[p];
            b.push_person(person.id, person.status, person.groups, person.birth);
            while c < order.len() && claims[order[c] as usize].person as usize == p {
                let i = order[c] as usize;
                b.push_claim(id_of(i), claims[i].facts);
                c += 1;
            }
            while d < diagnoses.len() && diagnoses[d].0 as usize == p {
                b.push_diagnosis(diagnoses[d].1.clone());
                d += 1;
            }
            p += 1;
        }
    }
    b
}
