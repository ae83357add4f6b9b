//! Household and person pages on a small generated county, on both
//! engines: members masked, claims with their tiers and explanation, the
//! change timeline, unmasking with a reason (audited), and the village
//! boundary for a village doctor.

use axum::http::StatusCode;
use jianfu_domain::{Role, Scope};
use jianfu_ingest::FileKind;
use jianfu_service::{ImportRequest, import_file};
use jianfu_store::{AuditFilter, Db, testing};

mod support;
use support::{Client, add_user, app};

async fn load(db: &Db, dir: &std::path::Path) {
    db.load_regions(2023, jianfu_regions::regions("130624"), |_| {})
        .await
        .unwrap();
    let reference = jianfu_policy::Policy::built_in_text("reference-2023").unwrap();
    let next = reference
        .replace("valid_from = \"2023-01-01\"", "valid_from = \"2024-01-01\"")
        .replace("valid_to = \"2023-12-31\"", "valid_to = \"2024-12-31\"")
        .replace("name = \"", "name = \"2024 ");
    db.add_policy(&next, "tester").await.unwrap();
    for (file, kind) in [
        ("persons.csv", FileKind::Persons),
        ("diagnoses.csv", FileKind::Diagnoses),
        ("claims.csv", FileKind::Claims),
    ] {
        let req = ImportRequest::new(dir.join(file), kind, "tester");
        let out = import_file(db, &req, |_, _| {}).await.unwrap();
        assert!(out.is_success(), "{file}");
    }
}

/// A person with standing claims, and someone of another village.
async fn pick(db: &Db) -> (String, String, String, String) {
    let claims = db.claims_of_year("130624", 2024).await.unwrap();
    let c = claims
        .iter()
        .find(|c| c.basic > 0)
        .expect("a claim with basic insurance");
    let p = db.person("130624", &c.person_id).await.unwrap().unwrap();
    let (other_village, other_no) = {
        let all = db.claims_of_year("130624", 2023).await.unwrap();
        let o = all
            .iter()
            .find(|o| o.village_code != p.village_code)
            .unwrap();
        (o.village_code.clone(), o.household_no.clone())
    };
    assert_ne!(other_village, p.village_code);
    (p.id_number, p.household_no, p.village_code, other_no)
}

#[tokio::test]
async fn household_person_claims_and_unmasking() {
    let dir = tempfile::tempdir().unwrap();
    let opts = jianfu_synth::GenerateOptions {
        county: "130624".into(),
        persons: 600,
        seed: 3,
        ..Default::default()
    };
    jianfu_synth::generate(&opts, dir.path(), &mut |_| {}).unwrap();
    for t in testing::all().await {
        load(&t.db, dir.path()).await;
        let (id, no, village, other_no) = pick(&t.db).await;
        // The rollups the imports refreshed agree with the stored rows.
        let county_code = jianfu_domain::RegionCode::parse_prefix("130624").unwrap();
        let d =
            t.db.dashboard(&Scope::NATIONAL, &county_code, 2024)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(d.figures.persons, 600);
        let claims = t.db.claims_of_year("130624", 2024).await.unwrap();
        assert_eq!(d.figures.claims, claims.len() as i64);
        assert_eq!(d.figures.total, claims.iter().map(|c| c.total).sum::<i64>());
        assert_eq!(
            d.figures.out_of_pocket,
            claims.iter().map(|c| c.out_of_pocket).sum::<i64>()
        );
        let by_child: i64 = d.children.iter().map(|c| c.figures.persons).sum();
        assert_eq!(by_child, 600, "every village falls under one township");
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        add_user(&t.db, "doctor", Role::VillageDoctor, &village).await;
        add_user(&t.db, "auditor", Role::Auditor, "130624").await;
        let app = app(&t.db);
        let mut county = Client::signed_in(&app, "county").await;

        let a = county.get(&format!("/households/130624/{no}")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.contains(&jianfu_domain::mask_middle(&id)));
        assert!(
            !a.body.contains(&id),
            "full ID numbers never on the household page"
        );

        let mut members = t.db.household_members("130624", &no).await.unwrap();
        members.sort_by(|a, b| {
            (a.relation != "head", a.birth_date, &a.id_number).cmp(&(
                b.relation != "head",
                b.birth_date,
                &b.id_number,
            ))
        });
        let k = members.iter().position(|m| m.id_number == id).unwrap() + 1;
        let person = format!("/persons/130624/{no}/{k}");
        let a = county.get(&format!("/households/130624/{no}")).await;
        assert!(
            a.body.contains(&format!("href=\"{person}\"")),
            "members link to their pages"
        );
        // Past the last member: nobody.
        let past = format!("/persons/130624/{no}/{}", members.len() + 1);
        assert_eq!(county.get(&past).await.status, StatusCode::NOT_FOUND);
        let a = county.get(&format!("{person}?year=2024")).await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.body.contains("基本医保") && a.body.contains("个人自付"));
        assert!(!a.body.contains(&id));
        // The explanation of a claim.
        let claims = t.db.person_claims("130624", &id, 2024).await.unwrap();
        let c = claims
            .iter()
            .find(|c| c.reverses.is_none() && c.reversed_by.is_none())
            .unwrap();
        let a = county
            .get(&format!("{person}/claims/{}?year=2024", c.claim_id))
            .await;
        assert_eq!(a.status, StatusCode::OK);
        let text = support::text_of(&a.body, "explanation").expect("explanation shown");
        assert!(text.contains("基本医保") || text.contains("起付"), "{text}");

        // Unmasking needs a reason and is audited.
        let a = county.get(&format!("{person}/unmask")).await;
        assert_eq!(a.status, StatusCode::OK);
        let a = county
            .post(
                &format!("{person}/unmask"),
                &[("reason", "入户核实"), ("note", "")],
            )
            .await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(
            support::text_of(&a.body, "id-number").as_deref(),
            Some(id.as_str())
        );
        let filter = AuditFilter {
            action: Some("unmask".into()),
            ..Default::default()
        };
        let (rows, _) =
            t.db.audit_search(&Scope::NATIONAL, &filter, 0, 10)
                .await
                .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].target_key.as_deref(), Some(id.as_str()));
        assert_eq!(rows[0].reason.as_deref(), Some("入户核实"));
        // Without the token it is refused and nothing is logged.
        let a = county
            .post_raw(&format!("{person}/unmask"), &[("reason", "x")])
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        // An auditor may not unmask at all.
        let mut auditor = Client::signed_in(&app, "auditor").await;
        assert_eq!(
            auditor.get(&format!("{person}/unmask")).await.status,
            StatusCode::FORBIDDEN
        );
        let a = auditor
            .post(&format!("{person}/unmask"), &[("reason", "x")])
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);

        // The village doctor sees their own village and nothing else.
        let mut doctor = Client::signed_in(&app, "doctor").await;
        assert_eq!(
            doctor.get(&format!("/households/130624/{no}")).await.status,
            StatusCode::OK
        );
        assert_eq!(doctor.get(&person).await.status, StatusCode::OK);
        let a = doctor.get(&format!("/persons/130624/{other_no}/1")).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        let a = doctor.get(&format!("/households/130624/{other_no}")).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        assert!(!a.body.contains(&other_no));
        let (rows, _) =
            t.db.audit_search(&Scope::NATIONAL, &filter, 0, 10)
                .await
                .unwrap();
        assert_eq!(rows.len(), 1, "refused requests log no unmasking");
    }
}
