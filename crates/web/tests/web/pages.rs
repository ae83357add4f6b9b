//! The dashboard through the real router, on SQLite and PostgreSQL:
//! counts by region from the rollups, drill-down, export, and the
//! jurisdiction boundary.

use axum::http::StatusCode;
use chrono::NaiveDate;
use jianfu_domain::{
    GroupSet, HouseholdRecord, HouseholdType, IdCardNo, Money, PersonRecord, PersonStatus,
    RegionCode, Relation,
};
use jianfu_store::testing;

use crate::support;
use crate::support::Client;

fn person(no: &str, village: &str, seq: u16, relation: Relation) -> PersonRecord {
    PersonRecord {
        household: HouseholdRecord {
            household_no: no.into(),
            village: RegionCode::parse(village).unwrap(),
            household_type: HouseholdType::Edge,
            income_per_capita: Some(Money::from_yuan(6500)),
        },
        name: format!("测试{seq}"),
        id: IdCardNo::from_parts("130624", NaiveDate::from_ymd_opt(1970, 1, 2).unwrap(), seq)
            .unwrap(),
        relation,
        groups: GroupSet::EMPTY,
        phone: Some("13912345678".into()),
        status: PersonStatus::Active,
    }
}

#[tokio::test]
async fn overview_lookup_and_scope() {
    for t in testing::all().await {
        let mut tx = t.db.begin().await.unwrap();
        jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("1306"), |_| {})
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut imp = jianfu_store::RegistryImport::begin(&t.db, "persons", "p.csv", "tester")
            .await
            .unwrap();
        let rows = vec![
            (2, person("A1", "130624100200", 11, Relation::Head)),
            (3, person("A1", "130624100200", 12, Relation::Spouse)),
            // Another county of the same city: outside the jurisdiction.
            (4, person("B1", "130625100200", 13, Relation::Head)),
        ];
        imp.write_persons(&rows).await.unwrap();
        imp.commit(3, 0).await.unwrap();
        support::add_user(&t.db, "county", jianfu_domain::Role::CountyAdmin, "130624").await;
        let app = support::app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;
        let mut get = async |uri: &str| {
            let a = c.get(uri).await;
            (a.status, a.body)
        };

        let mut tx = t.db.begin().await.unwrap();
        jianfu_store::rollups::refresh_rollups(&mut tx, "130624")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        jianfu_store::rollups::refresh_rollups(&mut tx, "130625")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (status, html) = get("/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("阜平县"), "{html}");
        assert!(html.contains("阜平镇"));
        assert!(
            html.contains("<b id=\"households\">1</b>"),
            "one household in the county"
        );
        assert!(html.contains("<b id=\"persons\">2</b>"));
        let (_, town) = get("/?region=130624100000").await;
        assert!(town.contains("城厢村村民委员会"));
        // The child table exports.
        let (status, csv) = get("/?region=130624100000&format=csv").await;
        assert_eq!(status, StatusCode::OK);
        assert!(csv.contains("城厢村村民委员会"));
        // Outside the jurisdiction: not found.
        let (status, html) = get("/?region=130625000000").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!html.contains("130625100200"));
        let (status, _) = get("/?region=13").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = get("/?region=%3Cscript%3E").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
