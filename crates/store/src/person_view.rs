//! Small reads for the person page: the years in which a person has
//! claims.

use crate::{Db, Result};

impl Db {
    /// Years in which the person has stored claims, newest first.
    pub async fn claim_years_of(&self, county: &str, person_id: &str) -> Result<Vec<i32>> {
        let sql = "SELECT DISTINCT year FROM claims WHERE county_code = $1 AND person_id = $2 \
                   ORDER BY year DESC";
        let years: Vec<i16> = on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(county).bind(person_id).fetch_all(p).await?);
        Ok(years.into_iter().map(i32::from).collect())
    }
}
