//! Writing diagnoses: keyed by person, code and date; a changed name or
//! facility is an update. A diagnosis of a person the registry lacks is
//! refused.

use std::collections::HashMap;

use chrono::NaiveDate;
use jianfu_domain::DiagnosisRecord;

use super::changes::{Change, LogEntry, diff, log_changes};
use super::{Conflict, RegistryImport};
use crate::Result;
use crate::sql::{Tx, Value};

const DIAGNOSIS_COLUMNS: &[&str] = &[
    "county_code",
    "id_number",
    "icd10",
    "diagnosed_on",
    "disease_name",
    "facility",
    "created_batch",
];

#[derive(sqlx::FromRow)]
struct StoredDiagnosis {
    id_number: String,
    icd10: String,
    diagnosed_on: NaiveDate,
    disease_name: Option<String>,
    facility: Option<String>,
}

/// A diagnosis's key: ID number, ICD-10 code, date.
type DiagnosisKey = (String, String, NaiveDate);

/// The county of each registered person among `ids`, and what is stored
/// of their diagnoses (one keyed query per county).
async fn lookup(
    tx: &mut Tx,
    ids: &[String],
) -> Result<(
    HashMap<String, String>,
    HashMap<DiagnosisKey, StoredDiagnosis>,
)> {
    let counties: HashMap<String, String> = tx
        .all_in::<(String, String)>(
            "SELECT id_number, county_code FROM persons WHERE id_number",
            &[],
            ids,
        )
        .await?
        .into_iter()
        .collect();
    let mut by_county: HashMap<&str, Vec<String>> = HashMap::new();
    for (id, county) in &counties {
        by_county
            .entry(county.as_str())
            .or_default()
            .push(id.clone());
    }
    let mut stored = HashMap::new();
    for (county, ids) in by_county {
        let found = tx
            .all_in::<StoredDiagnosis>(
                "SELECT id_number, icd10, diagnosed_on, disease_name, facility FROM diagnoses \
                 WHERE county_code = $1 AND id_number",
                &[Value::Text(county)],
                &ids,
            )
            .await?;
        stored.extend(
            found
                .into_iter()
                .map(|d| ((d.id_number.clone(), d.icd10.clone(), d.diagnosed_on), d)),
        );
    }
    Ok((counties, stored))
}

impl RegistryImport {
    /// Writes a chunk of diagnoses rows.
    pub async fn write_diagnoses(
        &mut self,
        rows: &[(u64, DiagnosisRecord)],
    ) -> Result<Vec<Conflict>> {
        let ids: Vec<String> = rows
            .iter()
            .map(|(_, d)| d.id.as_str().to_string())
            .collect();
        let (counties, stored) = lookup(&mut self.tx, &ids).await?;
        let mut conflicts = Vec::new();
        let mut log = Vec::new();
        let mut new_rows: Vec<(&str, &DiagnosisRecord)> = Vec::new();
        for (row, d) in rows {
            let Some(county) = counties.get(d.id.as_str()) else {
                conflicts.push(Conflict {
                    row: *row,
                    code: "unknown_person",
                    other_household: None,
                    stored_head: None,
                });
                continue;
            };
            let key = (
                d.id.as_str().to_string(),
                d.icd10.as_str().to_string(),
                d.diagnosed_on,
            );
            match stored.get(&key) {
                None => {
                    self.stats.touched(county);
                    // A new diagnosis may raise R5; a changed name or
                    // facility changes nothing the rules read.
                    self.monitored.person(county, &d.id);
                    new_rows.push((county, d));
                }
                Some(s) => self.compare_diagnosis(county, s, d, &mut log).await?,
            }
        }
        self.insert_diagnoses(&new_rows).await?;
        self.write_log(log).await?;
        Ok(conflicts)
    }

    /// Updates a stored diagnosis whose name or facility differs, logging
    /// each changed field.
    async fn compare_diagnosis(
        &mut self,
        county: &str,
        s: &StoredDiagnosis,
        d: &DiagnosisRecord,
        log: &mut Vec<LogEntry>,
    ) -> Result<()> {
        let mut changes: Vec<Change> = Vec::new();
        let (name, facility) = (s.disease_name.clone(), s.facility.clone());
        diff(&mut changes, "disease_name", name, d.disease_name.clone());
        diff(&mut changes, "facility", facility, d.facility.clone());
        if changes.is_empty() {
            self.stats.diagnoses_unchanged += 1;
            return Ok(());
        }
        self.stats.diagnoses_updated += 1;
        self.stats.touched(county);
        self.update_diagnosis(county, d).await?;
        log_changes(log, (county, "diagnosis", d.id.as_str(), None), changes);
        Ok(())
    }

    async fn insert_diagnoses(&mut self, diagnoses: &[(&str, &DiagnosisRecord)]) -> Result<()> {
        let batch = self.batch_id;
        let rows: Vec<Vec<Value>> = diagnoses
            .iter()
            .map(|(county, d)| {
                vec![
                    Value::Text(county),
                    Value::Text(d.id.as_str()),
                    Value::Text(d.icd10.as_str()),
                    Value::Date(d.diagnosed_on),
                    d.disease_name.as_deref().into(),
                    d.facility.as_deref().into(),
                    Value::Int(batch),
                ]
            })
            .collect();
        self.tx
            .insert("diagnoses", DIAGNOSIS_COLUMNS, &rows)
            .await?;
        self.stats.diagnoses_created += diagnoses.len() as u64;
        Ok(())
    }

    async fn update_diagnosis(&mut self, county: &str, d: &DiagnosisRecord) -> Result<()> {
        let sql = "UPDATE diagnoses SET disease_name = $1, facility = $2 \
                   WHERE county_code = $3 AND id_number = $4 AND icd10 = $5 AND diagnosed_on = $6";
        let args = [
            d.disease_name.as_deref().into(),
            d.facility.as_deref().into(),
            Value::Text(county),
            Value::Text(d.id.as_str()),
            Value::Text(d.icd10.as_str()),
            Value::Date(d.diagnosed_on),
        ];
        self.tx.exec(sql, &args).await?;
        Ok(())
    }
}
