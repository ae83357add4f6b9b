//! Person-year state: the engine's accumulators after the last standing
//! claim and the year's sums (`person_years`), read per (county, year)
//! for a chunk, kept in memory for the batch and written once at its end.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use jianfu_domain::{IdCardNo, Money};
use jianfu_policy::{Tiers, YearState};

use super::Settler;
use super::line::{ClaimLine, PyKey};
use crate::sql::{Tx, Value};
use crate::{Result, StoreError};

/// Person-year accumulators kept in memory before they are written.
pub(super) const MAX_YEARS_IN_MEMORY: usize = 200_000;

/// Year sums of the standing claims of a person-year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sums {
    pub claims: i64,
    pub total: i64,
    pub policy_scope: i64,
    pub basic: i64,
    pub critical: i64,
    pub assistance: i64,
    pub supplementary: i64,
    pub out_of_pocket: i64,
}

impl Sums {
    pub(super) fn add(&mut self, line: &ClaimLine, t: &Tiers) {
        self.claims += 1;
        self.total += line.total;
        self.policy_scope += line.policy_scope;
        self.basic += t.basic.fen();
        self.critical += t.critical.fen();
        self.assistance += t.assistance.fen();
        self.supplementary += t.supplementary.fen();
        self.out_of_pocket += t.out_of_pocket.fen();
    }
}

/// A person-year's accumulators and sums.
#[derive(Debug, Clone, Default)]
pub(crate) struct PyState {
    pub state: YearState,
    /// Order key of the last standing claim.
    pub last: Option<(NaiveDateTime, i64)>,
    pub sums: Sums,
    /// A row exists in `person_years` (it must be replaced, not added).
    pub in_db: bool,
    /// Changed since read or written.
    pub dirty: bool,
}

#[derive(sqlx::FromRow)]
struct PyRow {
    person_id: String,
    admissions: i64,
    basic_used_inpatient: i64,
    basic_used_chronic: i64,
    basic_used_outpatient: i64,
    critical_base: i64,
    assistance_base: i64,
    supplementary_base: i64,
    last_settled_at: Option<NaiveDateTime>,
    last_input_seq: Option<i64>,
    claims: i64,
    total: i64,
    policy_scope: i64,
    basic: i64,
    critical: i64,
    assistance: i64,
    supplementary: i64,
    out_of_pocket: i64,
}

impl PyRow {
    fn state(self) -> PyState {
        let m = Money::from_fen;
        PyState {
            state: YearState {
                admissions: u32::try_from(self.admissions).unwrap_or(u32::MAX),
                basic_used: [
                    m(self.basic_used_inpatient),
                    m(self.basic_used_chronic),
                    m(self.basic_used_outpatient),
                ],
                critical_base: m(self.critical_base),
                assistance_base: m(self.assistance_base),
                supplementary_base: m(self.supplementary_base),
            },
            last: self.last_settled_at.zip(self.last_input_seq),
            sums: Sums {
                claims: self.claims,
                total: self.total,
                policy_scope: self.policy_scope,
                basic: self.basic,
                critical: self.critical,
                assistance: self.assistance,
                supplementary: self.supplementary,
                out_of_pocket: self.out_of_pocket,
            },
            in_db: true,
            dirty: false,
        }
    }
}

const PY_COLUMNS: &[&str] = &[
    "county_code",
    "person_id",
    "year",
    "admissions",
    "basic_used_inpatient",
    "basic_used_chronic",
    "basic_used_outpatient",
    "critical_base",
    "assistance_base",
    "supplementary_base",
    "last_settled_at",
    "last_input_seq",
    "claims",
    "total",
    "policy_scope",
    "basic",
    "critical",
    "assistance",
    "supplementary",
    "out_of_pocket",
    "updated_batch",
];

pub(super) fn county_text(county: u32) -> String {
    format!("{county:06}")
}

pub(super) fn person_text(packed: u64) -> Result<String> {
    IdCardNo::from_packed(packed)
        .map(|id| id.as_str().to_string())
        .ok_or_else(|| StoreError::Corrupt("身份证号".into()))
}

impl Settler {
    pub(super) async fn load_states(&mut self, tx: &mut Tx, keys: &HashSet<PyKey>) -> Result<()> {
        let mut groups: HashMap<(u32, i16), Vec<(u64, String)>> = HashMap::new();
        for &(county, person, year) in keys {
            if !self.years.contains_key(&(county, person, year)) {
                groups
                    .entry((county, year))
                    .or_default()
                    .push((person, person_text(person)?));
            }
        }
        for ((county, year), persons) in groups {
            let county_code = county_text(county);
            let ids: Vec<String> = persons.iter().map(|p| p.1.clone()).collect();
            let rows: Vec<PyRow> = tx
                .all_in(
                    "SELECT person_id, admissions, basic_used_inpatient, basic_used_chronic, \
                 basic_used_outpatient, critical_base, assistance_base, supplementary_base, \
                 last_settled_at, last_input_seq, claims, total, policy_scope, basic, critical, \
                 assistance, supplementary, out_of_pocket FROM person_years \
                 WHERE county_code = $1 AND year = $2 AND person_id",
                    &[Value::Text(&county_code), Value::Int(i64::from(year))],
                    &ids,
                )
                .await?;
            let mut found: HashMap<String, PyRow> =
                rows.into_iter().map(|r| (r.person_id.clone(), r)).collect();
            for (packed, id) in persons {
                let st = found.remove(&id).map(PyRow::state).unwrap_or_default();
                self.years.insert((county, packed, year), st);
            }
        }
        Ok(())
    }

    /// Writes the changed accumulators and sums to `person_years`.
    pub async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        let batch = self.batch_id;
        let mut stale: HashMap<(u32, i16), Vec<String>> = HashMap::new();
        let mut rows_owned: Vec<(String, String, i16, PyState)> = Vec::new();
        for (&(county, person, year), st) in self.years.iter_mut() {
            if !st.dirty {
                continue;
            }
            let person = person_text(person)?;
            if st.in_db {
                stale
                    .entry((county, year))
                    .or_default()
                    .push(person.clone());
            }
            st.in_db = true;
            st.dirty = false;
            rows_owned.push((county_text(county), person, year, st.clone()));
        }
        for ((county, year), persons) in stale {
            let county_code = county_text(county);
            tx.exec_in(
                "DELETE FROM person_years WHERE county_code = $1 AND year = $2 AND person_id",
                &[Value::Text(&county_code), Value::Int(i64::from(year))],
                &persons,
            )
            .await?;
        }
        rows_owned.sort_unstable_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
        let rows: Vec<Vec<Value>> = rows_owned
            .iter()
            .map(|(county, person, year, st)| {
                let s = &st.state;
                let m = &st.sums;
                vec![
                    Value::Text(county),
                    Value::Text(person),
                    Value::Int(i64::from(*year)),
                    Value::Int(i64::from(s.admissions)),
                    Value::Int(s.basic_used[0].fen()),
                    Value::Int(s.basic_used[1].fen()),
                    Value::Int(s.basic_used[2].fen()),
                    Value::Int(s.critical_base.fen()),
                    Value::Int(s.assistance_base.fen()),
                    Value::Int(s.supplementary_base.fen()),
                    st.last.map(|l| l.0).into(),
                    st.last.map(|l| l.1).into(),
                    Value::Int(m.claims),
                    Value::Int(m.total),
                    Value::Int(m.policy_scope),
                    Value::Int(m.basic),
                    Value::Int(m.critical),
                    Value::Int(m.assistance),
                    Value::Int(m.supplementary),
                    Value::Int(m.out_of_pocket),
                    Value::Int(batch),
                ]
            })
            .collect();
        tx.insert("person_years", PY_COLUMNS, &rows).await?;
        self.stats.person_years += rows.len() as u64;
        Ok(())
    }
}
