//! One-off data upgrades run by `Db::open`: the Tier-3 base rule of
//! settlement.md §3 step 4, applied to claims settled under the old rule.

use jianfu_domain::{Group, GroupSet, HouseholdType};
use jianfu_store::testing;
use jianfu_store::{Db, Value};

use crate::claims::{at, claim, count, id, import, person, reasons, register, stored};

async fn exec(db: &Db, sql: &'static str, person_id: &str) {
    let mut c = db.read().await.unwrap();
    c.exec(sql, &[Value::Text(person_id)]).await.unwrap();
}

async fn kept_base(db: &Db, person_id: &str) -> i64 {
    let sql = "SELECT assistance_base FROM person_years WHERE person_id = $1";
    let mut c = db.read().await.unwrap();
    c.scalar(sql, &[Value::Text(person_id)]).await.unwrap()
}

/// A database as the old rule left it: 低保 from June after an ordinary
/// March bill (the June claim got only 19,500.00 of Tier 3, because the
/// March residual had counted), and an ordinary person whose kept base
/// counts a claim without a group. Opening it with this version re-settles
/// once: the June claim gets the whole limit with a `rule_change`
/// adjustment, the kept bases follow the rule, nothing else is rewritten,
/// and a second opening does nothing.
#[tokio::test]
async fn claims_settled_under_the_old_assistance_rule_are_resettled_once() {
    for t in testing::all().await {
        let recognised = person("130624", 1, HouseholdType::Ordinary, GroupSet::EMPTY);
        let ordinary = person("130624", 2, HouseholdType::Ordinary, GroupSet::EMPTY);
        register(&t.db, &[recognised.clone(), ordinary.clone()]).await;
        let mut march = claim("M1", recognised.id, at("2023-03-01 10:00:00"), 30_000_000);
        march.groups = Some(GroupSet::EMPTY);
        march.level = jianfu_domain::FacilityLevel::Province;
        march.county_internal = false;
        march.policy_scope = march.total;
        let mut june = march.clone();
        june.claim_id = "J1".into();
        june.settled_at = at("2023-06-01 10:00:00");
        june.groups = Some(GroupSet::of(&[Group::Subsistence]));
        june.total = jianfu_domain::Money::from_yuan(600_000);
        june.policy_scope = june.total;
        let mut other = claim("O1", ordinary.id, at("2023-05-01 10:00:00"), 6_000_000);
        other.groups = Some(GroupSet::EMPTY);
        assert!(import(&t.db, &[march, june, other], 10).await.is_empty());
        let right = stored(&t.db).await;

        // What the old rule stored: J1's Tier 3 was G(144,000) − G(54,000)
        // = 60,000 − 40,500, and both kept bases counted every residual
        // (O1: (54,000 − 500) × 80% leaves 11,200.00 after Tier 1).
        let (p1, p2) = (id("130624", 1), id("130624", 2));
        exec(
            &t.db,
            "UPDATE claims SET assistance = 1950000, out_of_pocket = 7050000 \
             WHERE claim_id = 'J1' AND person_id = $1",
            p1.as_str(),
        )
        .await;
        exec(
            &t.db,
            "UPDATE person_years SET assistance_base = 14400000, assistance = 1950000, \
             out_of_pocket = 12450000 WHERE person_id = $1",
            p1.as_str(),
        )
        .await;
        exec(
            &t.db,
            "UPDATE person_years SET assistance_base = 1120000 WHERE person_id = $1",
            p2.as_str(),
        )
        .await;
        exec(
            &t.db,
            "INSERT INTO pending_upgrades (name, created_at) \
             SELECT 'assistance_base_rule', CURRENT_TIMESTAMP WHERE $1 <> ''",
            p1.as_str(),
        )
        .await;
        let adjustments_before = count(&t.db, "claim_adjustments").await;

        let db = Db::open(&t.url).await.unwrap();
        assert_eq!(stored(&db).await, right, "{:?}", t.engine());
        assert_eq!(
            reasons(&db).await,
            [("J1".to_string(), "rule_change".to_string())],
            "only the claim whose amounts change is adjusted"
        );
        assert_eq!(
            count(&db, "claim_adjustments").await,
            adjustments_before + 1
        );
        assert_eq!(kept_base(&db, p1.as_str()).await, 9_000_000);
        assert_eq!(kept_base(&db, p2.as_str()).await, 0);
        assert_eq!(count(&db, "pending_upgrades").await, 0);
        let year = jianfu_store::claims::person_year(
            &mut db.read().await.unwrap(),
            "130624",
            p1.as_str(),
            2023,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            (year.assistance, year.out_of_pocket),
            (6_000_000, 8_400_000)
        );

        // Once only.
        let again = Db::open(&t.url).await.unwrap();
        assert_eq!(
            count(&again, "claim_adjustments").await,
            adjustments_before + 1
        );
        assert_eq!(stored(&again).await, right);
    }
}
