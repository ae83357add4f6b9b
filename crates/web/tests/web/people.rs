//! Household and person pages on a small generated county, on both
//! engines: members masked, claims with their tiers and explanation, the
//! change timeline, unmasking with a reason (audited), and the village
//! boundary for a village doctor.

use axum::http::StatusCode;
use jianfu_domain::{Role, Scope};
use jianfu_ingest::FileKind;
use jianfu_service::person_ref::PersonRefs;
use jianfu_service::{Actor, App, ImportRequest, import_file};
use jianfu_store::{AuditFilter, Db, testing};

use crate::support;
use crate::support::{Client, add_user, app};

pub(crate) async fn load(db: &Db, dir: &std::path::Path) {
    let mut tx = db.begin().await.unwrap();
    jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("130624"), |_| {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let reference = jianfu_policy::Policy::built_in_text("reference-2023").unwrap();
    let next = reference
        .replace("valid_from = \"2023-01-01\"", "valid_from = \"2024-01-01\"")
        .replace("valid_to = \"2023-12-31\"", "valid_to = \"2024-12-31\"")
        .replace("name = \"", "name = \"2024 ");
    jianfu_store::policies::add_policy(db, &next, "tester")
        .await
        .unwrap();
    for (file, kind) in [
        ("persons.csv", FileKind::Persons),
        ("diagnoses.csv", FileKind::Diagnoses),
        ("claims.csv", FileKind::Claims),
    ] {
        let req = ImportRequest::new(dir.join(file), kind, "tester");
        let (app, cli) = (App::new(db.clone()), Actor::command_line());
        let out = import_file(&app, &cli, &req, |_, _| {}).await.unwrap();
        assert!(out.is_success(), "{file}");
    }
}

/// The ID number and name of the head of household `no` of 130624.
async fn head_of(db: &Db, no: &str) -> (String, String) {
    let m = jianfu_store::registry::household_members(&mut db.read().await.unwrap(), "130624", no)
        .await
        .unwrap();
    let h = m.iter().find(|m| m.relation == "head").unwrap();
    (h.id_number.clone(), h.name.clone())
}

/// A person with standing claims, and someone of another village.
async fn pick(db: &Db) -> (String, String, String, String) {
    let claims =
        jianfu_store::claims::claims_of_year(&mut db.read().await.unwrap(), "130624", 2024)
            .await
            .unwrap();
    let c = claims
        .iter()
        .find(|c| c.basic > 0)
        .expect("a claim with basic insurance");
    let p = jianfu_store::registry::person(&mut db.read().await.unwrap(), "130624", &c.person_id)
        .await
        .unwrap()
        .unwrap();
    let (other_village, other_no) = {
        let all =
            jianfu_store::claims::claims_of_year(&mut db.read().await.unwrap(), "130624", 2023)
                .await
                .unwrap();
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
        let d = jianfu_store::rollups::dashboard(
            &mut t.db.read().await.unwrap(),
            &Scope::NATIONAL,
            &county_code,
            2024,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(d.figures.persons, 600);
        let claims =
            jianfu_store::claims::claims_of_year(&mut t.db.read().await.unwrap(), "130624", 2024)
                .await
                .unwrap();
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

        // The dashboard: amounts grouped, large sums in 万 with the whole
        // amount as the tooltip, the trend chart with its table, and the
        // export with whole amounts.
        let a = county.get("/?region=130624&year=2024").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let whole = jianfu_web::money::grouped(d.figures.total);
        assert!(a.body.contains(&format!("title=\"{whole} 元\"")), "{whole}");
        assert!(
            a.body.contains(&{
                let (number, unit) = jianfu_web::money::compact_parts(d.figures.total);
                format!("{number}<small>{unit}元</small>")
            }),
            "{}",
            a.body
        );
        assert!(a.body.contains("id=\"trends\"") && a.body.contains("<svg"));
        assert!(a.body.contains(&format!("<td class=\"num\">{whole}</td>")));
        let csv = county.get("/?region=130624&year=2024&format=csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(!csv.body.contains('万'), "exports keep whole amounts");
        let child_total = d.children.iter().map(|c| c.figures.total).max().unwrap();
        let plain = jianfu_domain::Money::from_fen(child_total).to_string();
        assert!(csv.body.contains(&plain), "{plain} in\n{}", csv.body);

        let a = county.get(&format!("/households/130624/{no}")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.contains(&jianfu_domain::mask_middle(&id)));
        assert!(
            !a.body.contains(&id),
            "full ID numbers never on the household page"
        );

        let refs = PersonRefs::load(&t.db).await.unwrap();
        let person = format!("/persons/130624/{no}/{}", refs.of(&id));
        let a = county.get(&format!("/households/130624/{no}")).await;
        assert!(
            a.body.contains(&format!("href=\"{person}\"")),
            "members link to their pages"
        );
        assert!(!person.contains(&id[14..]), "{person}");
        // Someone of another household, a position, a made-up reference:
        // nobody.
        let (other_head, _) = head_of(&t.db, &other_no).await;
        for r in [refs.of(&other_head).as_str(), "1", "000000000000"] {
            let a = county.get(&format!("/persons/130624/{no}/{r}")).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{r}");
        }
        let a = county.get(&format!("{person}?year=2024")).await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.body.contains("基本医保") && a.body.contains("个人自付"));
        assert!(!a.body.contains(&id));
        // The explanation of a claim.
        let claims = jianfu_store::claims::person_claims(
            &mut t.db.read().await.unwrap(),
            "130624",
            &id,
            2024,
        )
        .await
        .unwrap();
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
        let (rows, _) = jianfu_store::audit::search(
            &mut t.db.read().await.unwrap(),
            &Scope::NATIONAL,
            &filter,
            0,
            10,
        )
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
        let other_person = format!("/persons/130624/{other_no}/{}", refs.of(&other_head));
        assert_eq!(county.get(&other_person).await.status, StatusCode::OK);
        let a = doctor.get(&other_person).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        let a = doctor.get(&format!("/api/v1{other_person}")).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        let a = doctor.get(&format!("/households/130624/{other_no}")).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        assert!(!a.body.contains(&other_no));
        let (rows, _) = jianfu_store::audit::search(
            &mut t.db.read().await.unwrap(),
            &Scope::NATIONAL,
            &filter,
            0,
            10,
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 1, "refused requests log no unmasking");
    }
}

/// A person's address stays the same when members join the household
/// ahead of them, and a form opened before the change still reaches them.
#[tokio::test]
async fn addresses_survive_membership_changes() {
    const HEADER: &str = "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n";
    const HEAD: &str = "H1,130624100200,脱贫户,10230.76,孙文华,130624196603233058,户主,,,正常\n";
    const SPOUSE: &str = "H1,130624100200,脱贫户,10230.76,孙德明,130624196306305342,配偶,,,正常\n";
    // Born before the spouse, so listed before them.
    const PARENT: &str = "H1,130624100200,脱贫户,10230.76,孙老汉,130624194001010026,父母,,,正常\n";
    let dir = tempfile::tempdir().unwrap();
    for t in testing::all().await {
        let mut tx = t.db.begin().await.unwrap();
        jianfu_store::regions::load_regions(
            &mut tx,
            2023,
            jianfu_regions::regions("130624"),
            |_| {},
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let import = |name: &str, rows: &[&str]| {
            let path = dir.path().join(name);
            std::fs::write(
                &path,
                [HEADER].iter().chain(rows).copied().collect::<String>(),
            )
            .unwrap();
            let db = t.db.clone();
            async move {
                let req = ImportRequest::new(path, FileKind::Persons, "tester");
                assert!(
                    import_file(&App::new(db), &Actor::command_line(), &req, |_, _| {})
                        .await
                        .unwrap()
                        .is_success()
                );
            }
        };
        import("a.csv", &[HEAD, SPOUSE]).await;
        let app = app(&t.db);
        let mut county = Client::signed_in(&app, "county").await;
        let a = county.get("/api/v1/households/130624/H1").await;
        let members = a.json()["members"].clone();
        assert_eq!(members[1]["name"], "孙德明");
        let spouse = format!("/persons/130624/H1/{}", members[1]["ref"].as_str().unwrap());
        assert!(county.get(&spouse).await.body.contains("孙德明"));
        let form = county.get(&format!("{spouse}/unmask")).await;
        assert!(form.body.contains("孙德明"));

        import("b.csv", &[HEAD, PARENT, SPOUSE]).await;
        let a = county.get("/api/v1/households/130624/H1").await;
        let names: Vec<String> = a.json()["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            names,
            ["孙文华", "孙老汉", "孙德明"],
            "the parent comes before the spouse"
        );
        let page = county.get(&spouse).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("孙德明") && !page.body.contains("孙老汉"));
        // The form opened before the change unmasks the person it showed.
        let a = county
            .post(
                &format!("{spouse}/unmask"),
                &[("reason", "入户核实"), ("note", "")],
            )
            .await;
        assert_eq!(
            support::text_of(&a.body, "id-number").as_deref(),
            Some("130624196306305342")
        );
        // The API's search hit names the same address.
        let a = county.get("/api/v1/persons?name=孙德明").await;
        assert_eq!(
            a.json()["items"][0]["person"].as_str(),
            Some(format!("/api/v1{spouse}").as_str())
        );
        // The search page's name links to the person.
        let a = county.get("/search?name=孙德明").await;
        assert!(a.body.contains(&format!("href=\"{spouse}\"")), "{}", a.body);
    }
}
