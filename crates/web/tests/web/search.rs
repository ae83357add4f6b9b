//! Search and dashboard through the real router, on both engines: the
//! page and `GET /api/v1/persons` find the same people, mask ID numbers,
//! keep a village doctor inside the village whatever is typed, treat SQL
//! metacharacters as text in every field, audit exports; and
//! `GET /api/v1/dashboard` answers the jurisdiction's figures only.

use axum::http::StatusCode;
use jianfu_domain::{Role, Scope, mask_middle};
use jianfu_ingest::FileKind;
use jianfu_service::{Actor, App, ImportRequest, import_file};
use jianfu_store::{AuditFilter, testing};

use crate::support::{Client, add_user, app, enc};

const PERSONS: usize = 400;

#[tokio::test]
async fn search_and_dashboard_inside_the_jurisdiction() {
    let dir = tempfile::tempdir().unwrap();
    let opts = jianfu_synth::GenerateOptions {
        county: "130624".into(),
        persons: PERSONS as u64,
        seed: 11,
        ..Default::default()
    };
    jianfu_synth::generate(&opts, dir.path(), &mut |_| {}).unwrap();
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
        let req = ImportRequest::new(dir.path().join("persons.csv"), FileKind::Persons, "tester");
        assert!(
            import_file(
                &App::new(t.db.clone()),
                &Actor::command_line(),
                &req,
                |_, _| {}
            )
            .await
            .unwrap()
            .is_success()
        );
        // Someone, and someone of another village.
        let everyone = jianfu_store::registry::search_persons(
            &mut t.db.read().await.unwrap(),
            &Scope::NATIONAL,
            &jianfu_store::registry::PersonSearch {
                region: Some("130624".into()),
                ..Default::default()
            },
            None,
            0,
            1000,
        )
        .await
        .unwrap()
        .hits;
        assert_eq!(everyone.len(), PERSONS);
        let me = &everyone[0];
        let other = everyone
            .iter()
            .find(|p| p.village_code != me.village_code)
            .unwrap();
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        add_user(&t.db, "doctor", Role::VillageDoctor, &me.village_code).await;
        add_user(&t.db, "nation", Role::NationalAdmin, "national").await;
        let app = app(&t.db);
        let mut county = Client::signed_in(&app, "county").await;
        let mut doctor = Client::signed_in(&app, "doctor").await;

        // By surname: the page and the API list the same people, masked.
        let surname: String = me.name.chars().take(1).collect();
        let expected = everyone
            .iter()
            .filter(|p| p.name.starts_with(&surname))
            .count();
        let a = county.get(&format!("/search?name={}", enc(&surname))).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.contains(&format!("共 {expected} 条")), "count shown");
        assert!(!a.body.contains(&me.id_number), "no full ID numbers");
        let a = county
            .get(&format!("/api/v1/persons?name={}&per=200", enc(&surname)))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let j = a.json();
        assert_eq!(j["total"], expected as i64);
        assert_eq!(j["more"], false);
        assert_eq!(j["sort"], "name", "a name search lists by name");
        let items = j["items"].as_array().unwrap();
        assert_eq!(items.len(), expected.min(200));
        let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
        assert!(names.windows(2).all(|w| w[0] <= w[1]), "in name order");
        assert!(!a.body.contains(&me.id_number));
        let mine = items
            .iter()
            .find(|i| i["id_number"] == mask_middle(&me.id_number))
            .expect("the person is found");
        // The household link of a hit opens the household.
        let a = county.get(mine["household"].as_str().unwrap()).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);

        // Other orders, pages and a bad sort key.
        let a = county
            .get("/api/v1/persons?village=130624&sort=birth&dir=desc&per=50&page=2")
            .await;
        let j = a.json();
        assert_eq!(
            (j["total"].as_i64(), j["sort"].as_str()),
            (Some(PERSONS as i64), Some("birth"))
        );
        // Masked hits carry an age, not the birth date.
        let ages: Vec<u64> = j["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["age"].as_u64().unwrap())
            .collect();
        assert_eq!(ages.len(), 50);
        assert!(ages.windows(2).all(|w| w[0] <= w[1]), "youngest first");
        let a = county.get("/api/v1/persons?village=130624&sort=x'--").await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(a.json()["error"]["code"], "bad_request");
        let a = county.get("/api/v1/persons").await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "a criterion is needed");

        // The village doctor: the own village only, whatever is asked.
        for q in [
            format!("id_number={}", other.id_number),
            format!("household_no={}", enc(&other.household_no)),
            format!("village={}", other.village_code),
            format!("village={}", &other.village_code[..9]),
            "village=130624".to_string(),
            format!("name={}", enc(&surname)),
        ] {
            let a = doctor.get(&format!("/api/v1/persons?{q}&per=200")).await;
            assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.body);
            let j = a.json();
            for i in j["items"].as_array().unwrap() {
                assert_eq!(i["village_code"], me.village_code.as_str(), "{q}");
            }
            assert!(!a.body.contains(&mask_middle(&other.id_number)), "{q}");
            let a = doctor.get(&format!("/search?{q}")).await;
            assert_eq!(a.status, StatusCode::OK);
            assert!(!a.body.contains(&mask_middle(&other.id_number)), "{q}");
            assert!(
                !a.body
                    .contains(&format!("/households/130624/{}", other.household_no)),
                "{q}"
            );
        }
        let a = doctor
            .get(&format!(
                "/api/v1/persons?household_no={}",
                enc(&me.household_no)
            ))
            .await;
        assert!(
            a.json()["total"].as_i64().unwrap() >= 1,
            "own village found"
        );

        // Metacharacters in every field are text: nothing found, nothing
        // broken, nothing changed.
        for hostile in [
            "' OR '1'='1",
            "%",
            "_",
            "\"; DROP TABLE persons; --",
            "王%",
            "\\",
        ] {
            for field in ["name", "household_no"] {
                let q = format!("{field}={}", enc(hostile));
                let a = county.get(&format!("/api/v1/persons?{q}")).await;
                assert_eq!(a.status, StatusCode::OK, "{q}");
                assert_eq!(a.json()["total"], 0, "{q}");
                let a = county.get(&format!("/search?{q}")).await;
                assert_eq!(a.status, StatusCode::OK, "{q}");
                assert!(a.body.contains("没有符合条件的记录"), "{q}");
            }
            for field in ["id_number", "village"] {
                let q = format!("{field}={}", enc(hostile));
                let a = county.get(&format!("/api/v1/persons?{q}")).await;
                assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}");
                let a = county.get(&format!("/search?{q}")).await;
                assert_eq!(a.status, StatusCode::OK, "{q}");
                assert!(a.body.contains("role=\"alert\""), "{q}: the form says why");
            }
        }
        let (_, persons) =
            jianfu_store::registry::totals(&mut t.db.read().await.unwrap(), "130624")
                .await
                .unwrap();
        assert_eq!(persons, PERSONS as i64, "nothing written");

        // An export of a search is masked and audited.
        let a = county
            .get(&format!("/search?name={}&format=csv", enc(&surname)))
            .await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.body.contains(&mask_middle(&me.id_number)));
        assert!(!a.body.contains(&me.id_number));
        let filter = AuditFilter {
            action: Some("export".into()),
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
        assert_eq!(rows[0].username, "county");

        // The dashboard API: own figures, nothing outside, a national user
        // names the region.
        let a = county.get("/api/v1/dashboard").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let j = a.json();
        assert_eq!(j["code"], "130624000000", "{}", a.body);
        assert_eq!(j["figures"]["persons"], PERSONS as i64, "{}", a.body);
        let by_child: i64 = j["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["figures"]["persons"].as_i64().unwrap())
            .sum();
        assert_eq!(by_child, PERSONS as i64);
        let a = doctor.get("/api/v1/dashboard").await;
        let own = everyone
            .iter()
            .filter(|p| p.village_code == me.village_code)
            .count();
        assert_eq!(a.json()["figures"]["persons"], own as i64);
        for region in [
            "130624",
            "130600000000",
            other.village_code.as_str(),
            "x'--",
        ] {
            let a = doctor
                .get(&format!("/api/v1/dashboard?region={}", enc(region)))
                .await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{region}");
            assert_eq!(a.json()["error"]["code"], "not_found");
        }
        let mut nation = Client::signed_in(&app, "nation").await;
        assert_eq!(
            nation.get("/api/v1/dashboard").await.status,
            StatusCode::BAD_REQUEST
        );
        let a = nation
            .get("/api/v1/dashboard?region=130624&year=2024")
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.json()["figures"]["persons"], PERSONS as i64);
        assert_eq!(a.json()["year"], 2024);
    }
}
