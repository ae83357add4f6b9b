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

struct HouseholdIn {
    no: String,
    village: RegionCode,
    kind: HouseholdType,
    income: Option<Money>,
}

struct PersonIn {
    household: u32,
    id: IdCardNo,
    status: PersonStatus,
    groups: GroupSet,
    birth: NaiveDate,
}

struct ClaimIn {
    person: u32,
    facts: ClaimFacts,
    id_end: u32,
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}“{value}”无法识别"))
}

/// Reads the county's households with their members, standing claims of
/// the years up to `as_of` and every diagnosis, as one batch sorted by
/// 户编号 (members by ID number, claims by settlement time).
pub async fn household_inputs(tx: &mut Tx, q: &InputQuery<'_>) -> Result<Households> {
    let (lo, hi) = prefix_range(q.region);
    let households = read_households(tx, q.county, &lo, &hi).await?;
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
    let (claims, claim_ids) = read_claims(tx, q, &position).await?;
    let diagnoses = read_diagnoses(tx, q.county, &position).await?;
    Ok(assemble(
        &households,
        &persons,
        &claims,
        &claim_ids,
        &diagnoses,
    ))
}

async fn read_households(
    tx: &mut Tx,
    county: &str,
    lo: &str,
    hi: &str,
) -> Result<Vec<HouseholdIn>> {
    let sql = "SELECT household_no, village_code, household_type, income_per_capita \
        FROM households WHERE county_code = $1 AND village_code >= $2 AND village_code < $3";
    let args = [Value::Text(county), Value::Text(lo), Value::Text(hi)];
    let mut out = Vec::new();
    tx.each(
        sql,
        &args,
        |(no, village, kind, income): (String, String, String, Option<i64>)| {
            out.push(HouseholdIn {
                village: RegionCode::parse(&village).map_err(|_| corrupt("村代码", &village))?,
                kind: HouseholdType::from_code(&kind).ok_or_else(|| corrupt("户类别", &kind))?,
                income: income.map(Money::from_fen),
                no,
            });
            Ok(())
        },
    )
    .await?;
    // Byte order of the 户编号, as both engines sort codes.
    out.sort_unstable_by(|a, b| a.no.cmp(&b.no));
    Ok(out)
}

async fn read_persons(
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
    type Row = (String, String, String, String, NaiveDate);
    tx.each(sql, &args, |(no, id, status, groups, birth): Row| {
        // A person whose household lies outside the prefix is not read.
        let Some(&household) = index.get(no.as_str()) else {
            return Ok(());
        };
        let kind = households[household as usize].kind;
        let own = GroupSet::parse_list(&groups).map_err(|_| corrupt("人员类别", &groups))?;
        out.push(PersonIn {
            household,
            id: IdCardNo::parse(&id).map_err(|_| corrupt("身份证号", "…"))?,
            status: PersonStatus::from_code(&status).ok_or_else(|| corrupt("人员状态", &status))?,
            // The rules take full sets: those the household type implies too.
            groups: own.union(kind.implied_groups()),
            birth,
        });
        Ok(())
    })
    .await?;
    out.sort_unstable_by_key(|p| (p.household, p.id.packed()));
    Ok(out)
}

async fn read_claims(
    tx: &mut Tx,
    q: &InputQuery<'_>,
    position: &HashMap<u64, u32>,
) -> Result<(Vec<ClaimIn>, String)> {
    let sql = "SELECT person_id, claim_id, settled_at, kind, total, out_of_pocket, one_stop, groups \
        FROM claims WHERE county_code = $1 AND year >= $2 AND year <= $3 AND settled_at < $4 \
        AND reverses IS NULL AND reversed_by IS NULL";
    let end = q
        .as_of
        .succ_opt()
        .unwrap_or(q.as_of)
        .and_time(chrono::NaiveTime::MIN);
    let years = (
        q.years.0.clamp(0, 9999) as i16,
        q.years.1.clamp(0, 9999) as i16,
    );
    let args = [
        Value::Text(q.county),
        Value::Int16(years.0),
        Value::Int16(years.1),
        Value::LocalTime(end),
    ];
    let (mut out, mut ids) = (Vec::new(), String::new());
    type Row = (
        String,
        String,
        NaiveDateTime,
        String,
        i64,
        Option<i64>,
        Option<bool>,
        String,
    );
    tx.each(
        sql,
        &args,
        |(person, claim_id, settled_at, kind, total, oop, one_stop, groups): Row| {
            let packed = IdCardNo::parse(&person)
                .map_err(|_| corrupt("身份证号", "…"))?
                .packed();
            let Some(&person) = position.get(&packed) else {
                return Ok(()); // insured here, living outside the prefix read
            };
            ids.push_str(&claim_id);
            out.push(ClaimIn {
                person,
                facts: ClaimFacts {
                    settled_at,
                    kind: ClaimKind::from_code(&kind).ok_or_else(|| corrupt("就诊类型", &kind))?,
                    total: Money::from_fen(total),
                    out_of_pocket: Money::from_fen(oop.unwrap_or(0)),
                    one_stop,
                    groups: GroupSet::parse_list(&groups)
                        .map_err(|_| corrupt("人员类别", &groups))?,
                },
                id_end: u32::try_from(ids.len()).map_err(|_| corrupt("结算单号", "过多"))?,
            });
            Ok(())
        },
    )
    .await?;
    Ok((out, ids))
}

async fn read_diagnoses(
    tx: &mut Tx,
    county: &str,
    position: &HashMap<u64, u32>,
) -> Result<Vec<(u32, Diagnosis)>> {
    let sql = "SELECT id_number, icd10, diagnosed_on FROM diagnoses WHERE county_code = $1";
    let mut out = Vec::new();
    tx.each(
        sql,
        &[Value::Text(county)],
        |(id, icd10, on): (String, String, NaiveDate)| {
            let packed = IdCardNo::parse(&id)
                .map_err(|_| corrupt("身份证号", "…"))?
                .packed();
            if let Some(&person) = position.get(&packed) {
                let icd10 = Icd10::parse(&icd10).map_err(|_| corrupt("疾病编码", "…"))?;
                out.push((
                    person,
                    Diagnosis {
                        icd10,
                        diagnosed_on: on,
                    },
                ));
            }
            Ok(())
        },
    )
    .await?;
    out.sort_by(|a, b| {
        (a.0, a.1.diagnosed_on, a.1.icd10.as_str()).cmp(&(
            b.0,
            b.1.diagnosed_on,
            b.1.icd10.as_str(),
        ))
    });
    Ok(out)
}

/// Pushes everything into the batch in household order.
fn assemble(
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
