//! Masking that holds: nothing shown beside a masked ID number lets the
//! full number be rebuilt (no birth date until unmasked), phones show
//! only three and four digits, and ID or phone numbers typed into an
//! unmask reason are masked wherever the audit log shows it.

use axum::http::StatusCode;
use jianfu_domain::{Role, mask_phone};
use jianfu_service::person_ref::PersonRefs;
use jianfu_store::registry::PersonRow;
use jianfu_store::{Db, testing};

use crate::support::{Client, add_user, app};

/// The members of the first household of the generated file that has a
/// member with a phone and more than one member.
async fn household_with_phone(db: &Db, dir: &std::path::Path) -> (String, Vec<PersonRow>) {
    let mut file = csv::Reader::from_path(dir.join("persons.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = file.records().map(Result::unwrap).collect();
    let mut c = db.read().await.unwrap();
    for r in rows.iter().filter(|r| !r[8].is_empty()) {
        let members = jianfu_store::registry::household_members(&mut c, "130624", &r[0])
            .await
            .unwrap();
        if members.len() > 1 {
            return (r[0].to_string(), members);
        }
    }
    panic!("no household with a phone");
}

/// What must never appear in a masked answer about `p`.
fn giveaways(p: &PersonRow) -> Vec<String> {
    let mut out = vec![
        p.id_number.clone(),
        p.birth_date.to_string(),
        p.birth_date.format("%Y%m%d").to_string(),
        p.birth_date.format("%Y年%m月%d日").to_string(),
    ];
    out.extend(p.phone.clone());
    out
}

fn assert_masked(what: &str, body: &str, members: &[PersonRow]) {
    for p in members {
        for g in giveaways(p) {
            assert!(!body.contains(&g), "{what} shows {g}");
        }
    }
}

#[tokio::test]
async fn masked_views_show_nothing_the_full_number_follows_from() {
    let dir = tempfile::tempdir().unwrap();
    let opts = jianfu_synth::GenerateOptions {
        county: "130624".into(),
        persons: 300,
        seed: 5,
        ..Default::default()
    };
    jianfu_synth::generate(&opts, dir.path(), &mut |_| {}).unwrap();
    for t in testing::all().await {
        crate::people::load(&t.db, dir.path()).await;
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let app = app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;
        let (no, members) = household_with_phone(&t.db, dir.path()).await;
        let refs = PersonRefs::load(&t.db).await.unwrap();
        let with_phone = members.iter().find(|m| m.phone.is_some()).unwrap();
        let phone = with_phone.phone.clone().unwrap();
        let person = format!("/persons/130624/{no}/{}", refs.of(&with_phone.id_number));

        let a = c.get(&format!("/households/130624/{no}")).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_masked("household page", &a.body, &members);
        assert!(a.body.contains(&mask_phone(&phone)));
        assert!(mask_phone(&phone).matches('*').count() >= 4);
        let a = c.get(&person).await;
        assert_masked("person page", &a.body, &members);
        assert!(a.body.contains("id=\"age\""));
        let surname: String = with_phone.name.chars().take(1).collect();
        let a = c
            .get(&format!("/search?name={}", crate::support::enc(&surname)))
            .await;
        assert_masked("search page", &a.body, &members);
        let a = c
            .get(&format!(
                "/search?name={}&format=csv",
                crate::support::enc(&surname)
            ))
            .await;
        assert_masked("search export", &a.body, &members);

        let a = c.get(&format!("/api/v1/households/130624/{no}")).await;
        assert_masked("household API", &a.body, &members);
        for m in a.json()["members"].as_array().unwrap() {
            assert!(m["birth_date"].is_null(), "{m}");
            assert!(m["age"].as_u64().is_some(), "{m}");
        }
        let a = c.get(&format!("/api/v1{person}")).await;
        assert_masked("person API", &a.body, &members);
        assert_eq!(a.json()["person"]["phone"], mask_phone(&phone));
        let a = c
            .get(&format!(
                "/api/v1/persons?name={}",
                crate::support::enc(&surname)
            ))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_masked("search API", &a.body, &members);

        // A look-up by a whole ID number is in the audit log (it tells
        // whether the number exists), shown masked.
        let a = c
            .get(&format!("/search?id_number={}", with_phone.id_number))
            .await;
        assert_eq!(a.status, StatusCode::OK);
        let a = c.get("/api/v1/audit?action=search.id_number").await;
        assert_eq!(a.json()["total"], 1, "{}", a.body);
        assert_eq!(
            a.json()["items"][0]["target_key"],
            jianfu_domain::mask_middle(&with_phone.id_number)
        );

        // Unmasking shows the birth date; the reason typed with someone's
        // numbers in it is masked wherever the log is read.
        let other = members.iter().find(|m| m.id_number != with_phone.id_number);
        let typed_id = other.map_or("130624197001020011".to_string(), |m| m.id_number.clone());
        let note = format!("家属{typed_id}来电{phone}");
        let a = c
            .post(
                &format!("{person}/unmask"),
                &[("reason", "入户核实"), ("note", &note)],
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.contains(&with_phone.birth_date.to_string()));
        for (what, uri) in [
            ("audit page", "/audit?action=unmask"),
            ("audit CSV", "/audit?action=unmask&format=csv"),
            ("audit API", "/api/v1/audit?action=unmask"),
        ] {
            let a = c.get(uri).await;
            assert_eq!(a.status, StatusCode::OK, "{what}");
            assert!(a.body.contains("入户核实"), "{what}: {}", a.body);
            assert!(!a.body.contains(&typed_id), "{what} shows the typed ID");
            assert!(!a.body.contains(&phone), "{what} shows the typed phone");
            assert!(
                !a.body.contains(&with_phone.id_number),
                "{what} shows the ID"
            );
        }
    }
}
