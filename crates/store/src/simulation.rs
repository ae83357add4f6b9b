//! The read behind policy simulation: every standing claim of a year under
//! a region, with the person's household, village and household type,
//! streamed in one query (no per-claim round trip).

use chrono::NaiveDateTime;
use futures::TryStreamExt;

use crate::{Db, Result, prefix_range};

/// One standing claim of the year with its household.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct YearClaimRow {
    /// ID number: personal data, never log it.
    pub person_id: String,
    /// 结算时间 (local time as written).
    pub settled_at: NaiveDateTime,
    /// Kind code.
    pub kind: String,
    /// Level code.
    pub level: String,
    /// Facility inside the insured county.
    pub county_internal: bool,
    /// Group codes joined by `|`, as settled.
    pub groups: String,
    /// Total cost, fen.
    pub total: i64,
    /// Policy-scope cost, fen.
    pub policy_scope: i64,
    /// The household's county (partition key).
    pub county_code: String,
    /// 户编号.
    pub household_no: String,
    /// The household's village.
    pub village_code: String,
    /// The household type code.
    pub household_type: String,
}

const YEAR_CLAIMS: &str = "\
SELECT c.person_id, c.settled_at, c.kind, c.level, c.county_internal, c.groups, \
       c.total, c.policy_scope, h.county_code, h.household_no, h.village_code, h.household_type \
FROM claims c \
JOIN persons p ON p.county_code = c.county_code AND p.id_number = c.person_id \
JOIN households h ON h.county_code = p.county_code AND h.household_no = p.household_no \
WHERE c.county_code >= $1 AND c.county_code < $2 \
  AND h.village_code >= $3 AND h.village_code < $4 \
  AND c.year = $5 AND c.reverses IS NULL AND c.reversed_by IS NULL \
ORDER BY c.county_code, c.person_id, c.settled_at, c.input_seq";

impl Db {
    /// Streams the standing claims (neither a reversal nor reversed) of
    /// `year` whose person lives under `region_prefix`, in settlement
    /// order per person, to `each`.
    pub async fn year_claims(
        &self,
        region_prefix: &str,
        year: i32,
        mut each: impl FnMut(YearClaimRow),
    ) -> Result<u64> {
        let county_prefix = &region_prefix[..region_prefix.len().min(6)];
        let (clo, chi) = prefix_range(county_prefix);
        let (vlo, vhi) = prefix_range(region_prefix);
        let year = year as i16;
        let mut n = 0;
        match self {
            Db::Sqlite(p) => {
                let mut rows = sqlx::query_as::<_, YearClaimRow>(YEAR_CLAIMS)
                    .bind(clo)
                    .bind(chi)
                    .bind(vlo)
                    .bind(vhi)
                    .bind(year)
                    .fetch(p);
                while let Some(r) = rows.try_next().await? {
                    each(r);
                    n += 1;
                }
            }
            Db::Postgres(p) => {
                let mut rows = sqlx::query_as::<_, YearClaimRow>(YEAR_CLAIMS)
                    .bind(clo)
                    .bind(chi)
                    .bind(vlo)
                    .bind(vhi)
                    .bind(year)
                    .fetch(p);
                while let Some(r) = rows.try_next().await? {
                    each(r);
                    n += 1;
                }
            }
        }
        Ok(n)
    }
}
