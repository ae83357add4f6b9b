//! The monitoring batch's fast read: a county's households with each
//! person-year's standing claims as **one** summed claim, and then, for
//! the few households the rules alert, their claims one by one.
//!
//! Every rule decides on sums alone (R2–R4 on the year's out-of-pocket up
//! to the evaluation date, R5 on diagnoses), so the alerts found on the
//! sums are exactly those found on the claims; only the explanations,
//! which name the claims, need the claims themselves. Rows crossing from
//! the database to Rust are the cost of a run (each one decoded by sqlx),
//! so the sums come from `person_years` (the settlement's own year sums
//! of the standing claims) when every one of them is older than the
//! evaluation date's end, and from the claims added up by the database
//! otherwise (an evaluation date inside a year whose later claims are
//! stored).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use jianfu_domain::{ClaimKind, GroupSet, IdCardNo, Money};
use jianfu_monitoring::{ClaimFacts, Households};

use super::inputs::{
    ClaimIn, Claims, InputQuery, assemble, claims_of, corrupt, end_of, read_diagnoses,
    read_households, read_persons, year16,
};
use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// Reads the county as `household_inputs` does, except that each
/// person-year's standing claims up to `as_of` come as one claim: the sum
/// of their totals and out-of-pocket, settled at the latest of them, with
/// no number. Also returns how many claims the sums cover.
pub async fn household_sums(tx: &mut Tx, q: &InputQuery<'_>) -> Result<(Households, u64)> {
    read(tx, q, true).await
}

/// As [`household_sums`], always adding up the claims themselves: for a
/// claims import evaluating inside its transaction, whose `person_years`
/// are written only when it commits.
pub async fn household_claim_sums(tx: &mut Tx, q: &InputQuery<'_>) -> Result<(Households, u64)> {
    read(tx, q, false).await
}

async fn read(tx: &mut Tx, q: &InputQuery<'_>, stored: bool) -> Result<(Households, u64)> {
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
    let from_years = if stored {
        stored_sums(tx, q, &position).await?
    } else {
        None
    };
    let sums = match from_years {
        Some(sums) => sums,
        None => added_sums(tx, q, &position).await?,
    };
    let diagnoses = read_diagnoses(tx, q.county, &position).await?;
    let batch = assemble(&households, &persons, &sums.0.rows, &sums.0.ids, &diagnoses);
    Ok((batch, sums.1))
}

/// `person_id, year, claims, total, out_of_pocket, latest settlement`.
type SumSql = (String, i16, i64, i64, i64, Option<NaiveDateTime>);

/// The settlement's year sums, or `None` when one of them has a claim at
/// or after the end of the evaluation date (it would count too much).
async fn stored_sums(
    tx: &mut Tx,
    q: &InputQuery<'_>,
    position: &HashMap<u64, u32>,
) -> Result<Option<(Claims, u64)>> {
    let sql = "SELECT person_id, year, claims, total, out_of_pocket, last_settled_at \
        FROM person_years WHERE county_code = $1 AND year >= $2 AND year <= $3 AND claims > 0";
    let args = [
        Value::Text(q.county),
        Value::Int16(year16(q.years.0)),
        Value::Int16(year16(q.years.1)),
    ];
    let cut = end_of(q.as_of);
    let mut sums = Sums::default();
    let mut too_late = false;
    tx.each(sql, &args, |row: SumSql| {
        too_late |= row.5.is_none_or(|at| at >= cut);
        if !too_late {
            sums.push(row, position)?;
        }
        Ok(())
    })
    .await?;
    Ok((!too_late).then_some((sums.claims, sums.count)))
}

/// The standing claims up to the end of the evaluation date, added up per
/// person and year by the database.
async fn added_sums(
    tx: &mut Tx,
    q: &InputQuery<'_>,
    position: &HashMap<u64, u32>,
) -> Result<(Claims, u64)> {
    let sql = "SELECT person_id, year, COUNT(*), CAST(SUM(total) AS BIGINT), \
        CAST(SUM(COALESCE(out_of_pocket, 0)) AS BIGINT), MAX(settled_at) FROM claims \
        WHERE county_code = $1 AND year >= $2 AND year <= $3 \
        AND settled_at < $4 AND reverses IS NULL AND reversed_by IS NULL \
        GROUP BY person_id, year";
    let args = [
        Value::Text(q.county),
        Value::Int16(year16(q.years.0)),
        Value::Int16(year16(q.years.1)),
        Value::LocalTime(end_of(q.as_of)),
    ];
    let mut sums = Sums::default();
    tx.each(sql, &args, |row: SumSql| sums.push(row, position))
        .await?;
    Ok((sums.claims, sums.count))
}

/// Summed claims being read.
#[derive(Default)]
struct Sums {
    claims: Claims,
    count: u64,
}

impl Sums {
    fn push(&mut self, row: SumSql, position: &HashMap<u64, u32>) -> Result<()> {
        let (person, _year, n, total, oop, latest) = row;
        let Some(latest) = latest else {
            return Ok(());
        };
        self.count += u64::try_from(n).unwrap_or_default();
        let packed = IdCardNo::parse(&person)
            .map_err(|_| corrupt("身份证号", "…"))?
            .packed();
        let Some(&person) = position.get(&packed) else {
            return Ok(()); // insured here, living outside the prefix read
        };
        self.claims.rows.push(ClaimIn {
            person,
            facts: ClaimFacts {
                settled_at: latest,
                kind: ClaimKind::Inpatient,
                total: Money::from_fen(total),
                out_of_pocket: Money::from_fen(oop),
                one_stop: None,
                groups: GroupSet::default(),
            },
            id_end: u32::try_from(self.claims.ids.len()).unwrap_or(u32::MAX),
        });
        Ok(())
    }
}

/// The households `which` (indices into `summed`, ascending) of a batch
/// read by [`household_sums`], with their standing claims one by one
/// instead of summed: what the explanations of their alerts name.
pub async fn with_claims(
    tx: &mut Tx,
    q: &InputQuery<'_>,
    summed: &Households,
    which: &[usize],
) -> Result<Households> {
    let persons: Vec<usize> = which.iter().flat_map(|&h| summed.persons_of(h)).collect();
    let position: HashMap<u64, u32> = persons
        .iter()
        .enumerate()
        .map(|(i, &p)| (summed.person(p).id.packed(), i as u32))
        .collect();
    let ids: Vec<String> = persons
        .iter()
        .map(|&p| summed.person(p).id.as_str().to_string())
        .collect();
    let claims = claims_of(tx, q.county, &ids, q.years, q.as_of, &position).await?;
    Ok(rebuild(summed, which, &claims))
}

/// The households `which` of `summed` with `claims` (keyed by their
/// position among those households' persons) instead of the sums.
fn rebuild(summed: &Households, which: &[usize], claims: &Claims) -> Households {
    let id_of = |i: usize| {
        let start = if i == 0 {
            0
        } else {
            claims.rows[i - 1].id_end as usize
        };
        &claims.ids[start..claims.rows[i].id_end as usize]
    };
    let mut order: Vec<usize> = (0..claims.rows.len()).collect();
    order.sort_unstable_by_key(|&i| {
        let c = &claims.rows[i];
        (c.person, c.facts.settled_at, id_of(i))
    });
    let mut b = Households::with_capacity(which.len(), 0, claims.rows.len());
    let (mut at, mut c) = (0u32, 0usize);
    for &h in which {
        let row = summed.household(h);
        let no = summed.household_no(h);
        b.push_household(row.village, no, row.household_type, row.income_per_capita);
        for p in summed.persons_of(h) {
            let person = summed.person(p);
            b.push_person(person.id, person.status, person.groups, person.birth_date);
            while c < order.len() && claims.rows[order[c]].person == at {
                b.push_claim(id_of(order[c]), claims.rows[order[c]].facts);
                c += 1;
            }
            for d in summed.diagnoses_of(p) {
                b.push_diagnosis(summed.diagnosis(d).clone());
            }
            at += 1;
        }
    }
    b
}
