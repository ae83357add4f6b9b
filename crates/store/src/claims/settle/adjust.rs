//! Adjustments (`claim_adjustments`): the old and new tiers of a stored
//! claim of an earlier batch whose amounts changed, and why.

use jianfu_policy::Tiers;

use super::Settler;
use super::line::{ClaimLine, Reason};
use crate::Result;
use crate::sql::{Tx, Value};

const ADJUSTMENT_COLUMNS: &[&str] = &[
    "county_code",
    "batch_id",
    "seq",
    "claim_id",
    "person_id",
    "year",
    "reason",
    "old_basic",
    "old_critical",
    "old_assistance",
    "old_supplementary",
    "old_out_of_pocket",
    "new_basic",
    "new_critical",
    "new_assistance",
    "new_supplementary",
    "new_out_of_pocket",
];

/// An adjustment before it is written.
pub(super) struct Adjustment {
    county_code: String,
    claim_id: String,
    person_id: String,
    year: i16,
    reason: Reason,
    old: Tiers,
    new: Tiers,
}

impl Settler {
    /// Writes adjustments, numbered after those of the batch so far.
    pub(super) async fn write_adjustments(
        &mut self,
        tx: &mut Tx,
        list: Vec<Adjustment>,
    ) -> Result<()> {
        let batch = self.batch_id;
        let first = self.adjustment_seq;
        self.adjustment_seq += list.len() as i64;
        self.stats.adjustments += list.len() as u64;
        let rows: Vec<Vec<Value>> = list
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut row = vec![
                    Value::Text(&a.county_code),
                    Value::Int(batch),
                    Value::Int(first + i as i64 + 1),
                    Value::Text(&a.claim_id),
                    Value::Text(&a.person_id),
                    Value::Int(i64::from(a.year)),
                    Value::Text(a.reason.code()),
                ];
                for t in [&a.old, &a.new] {
                    row.extend(
                        [
                            t.basic,
                            t.critical,
                            t.assistance,
                            t.supplementary,
                            t.out_of_pocket,
                        ]
                        .map(|m| Value::Int(m.fen())),
                    );
                }
                row
            })
            .collect();
        tx.insert("claim_adjustments", ADJUSTMENT_COLUMNS, &rows)
            .await
    }
}

/// The adjustment of `line` from `old` (none: zero) to `new`.
pub(super) fn adjustment(
    line: &ClaimLine,
    reason: Reason,
    old: Option<Tiers>,
    new: Tiers,
) -> Adjustment {
    Adjustment {
        county_code: line.county_code.clone(),
        claim_id: line.claim_id.clone(),
        person_id: line.person_id.clone(),
        year: line.year,
        reason,
        old: old.unwrap_or_default(),
        new,
    }
}
