//! Who may run and export monitoring, and where: a township worker's run
//! touches only the township's households and alerts, a village doctor
//! may not run, an actor of another county cannot name this one.

use jianfu_domain::{Role, Scope};
use jianfu_service::monitoring;
use jianfu_service::{Actor, UseCaseError};
use jianfu_store::testing;

use crate::examples::load_examples;
use crate::{app, csv_lines, day};

fn actor(role: Role, region: &str) -> Actor {
    Actor {
        user_id: None,
        username: format!("{}-{region}", role.code()),
        role,
        scope: Scope::parse(region).unwrap(),
        client_ip: None,
    }
}

#[tokio::test]
async fn runs_and_exports_stay_inside_the_jurisdiction() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let (v1, v2) = load_examples(&t.db, dir.path()).await;
        let (app, _) = app(&t.db);
        let as_of = Some(day(2023, 12, 31));
        let township = actor(Role::TownshipWorker, &v2[..9]);
        let s = monitoring::run(&app, &township, None, as_of, None)
            .await
            .unwrap();
        assert_eq!(s.households, 3, "only the households of {}", &v2[..9]);
        let mut out = Vec::new();
        monitoring::export(&app, &township, None, None, as_of, &mut out)
            .await
            .unwrap();
        let lines = csv_lines(&out);
        assert_eq!(lines.len(), 1 + 3);
        assert!(lines[1..].iter().all(|l| l.contains(&v2)), "{lines:?}");

        // The other township is not the worker's to name.
        let outside = monitoring::run(&app, &township, Some(&v1[..9]), as_of, None).await;
        assert!(
            matches!(outside, Err(UseCaseError::Invalid(_))),
            "{outside:?}"
        );
        let doctor = actor(Role::VillageDoctor, &v2);
        let denied = monitoring::run(&app, &doctor, None, as_of, None).await;
        assert!(matches!(denied, Err(UseCaseError::Denied(_))));
        let export = monitoring::export(&app, &doctor, None, None, as_of, Vec::new()).await;
        assert!(
            matches!(export, Err(UseCaseError::Denied(_))),
            "no personal lists"
        );
        let other = actor(Role::CountyAdmin, "130623");
        let run = monitoring::run(&app, &other, Some("130624"), as_of, None).await;
        assert!(matches!(run, Err(UseCaseError::Invalid(_))));
        let bad = monitoring::run(&app, &Actor::command_line(), Some("13062"), as_of, None).await;
        assert!(matches!(bad, Err(UseCaseError::Invalid(_))), "five digits");

        // The county's run sees the rest; the township's alerts are unchanged.
        let county = actor(Role::CountyAdmin, "130624");
        let s = monitoring::run(&app, &county, None, as_of, None)
            .await
            .unwrap();
        assert_eq!(s.households, 5);
        assert_eq!(s.rules["R2"].raised + s.rules["R2"].unchanged, 2);
        assert_eq!(s.rules["R3"].unchanged, 1, "M4 was the township's");
        // Each run and export that happened is audited; refusals wrote nothing.
        let mut c = t.db.read().await.unwrap();
        for (action, n) in [("monitoring.run", 2), ("monitoring.export", 1)] {
            let filter = jianfu_store::AuditFilter {
                action: Some(action.into()),
                ..Default::default()
            };
            let (_, total) = jianfu_store::audit::search(&mut c, &Scope::NATIONAL, &filter, 0, 10)
                .await
                .unwrap();
            assert_eq!(total, n, "{action}");
        }
    }
}

#[tokio::test]
async fn a_household_that_moves_in_keeps_its_alert() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let (v1, v2) = load_examples(&t.db, dir.path()).await;
        let (app, _) = app(&t.db);
        let as_of = Some(day(2023, 12, 31));
        monitoring::run(&app, &Actor::command_line(), None, as_of, None)
            .await
            .unwrap();
        // M4's household moves to the first township.
        let persons = std::fs::read_to_string(dir.path().join("persons.csv")).unwrap();
        let mut lines = persons.lines();
        let mut moved = format!("{}\n", lines.next().unwrap());
        for l in lines.filter(|l| l.starts_with(&format!("{v2}0004"))) {
            moved.push_str(&l.replacen(&format!(",{v2},"), &format!(",{v1},"), 1));
            moved.push('\n');
        }
        let file = dir.path().join("moved.csv");
        std::fs::write(&file, moved).unwrap();
        crate::import(&t.db, &file, jianfu_ingest::FileKind::Persons).await;
        let township = actor(Role::TownshipWorker, &v1[..9]);
        let s = monitoring::run(&app, &township, None, as_of, None)
            .await
            .unwrap();
        assert_eq!(
            (s.households, s.rules["R3"].updated),
            (3, 1),
            "{:?}",
            t.engine()
        );
        let mut c = t.db.read().await.unwrap();
        let rows = jianfu_store::monitoring::alerts_under(&mut c, "130624", (2023, 2023))
            .await
            .unwrap();
        let m4 = rows
            .iter()
            .find(|r| r.household_no == format!("{v2}0004"))
            .unwrap();
        assert_eq!(
            (m4.village_code.as_str(), m4.status.as_str(), m4.holds),
            (v1.as_str(), "open", true)
        );
        assert_eq!(rows.len(), 5, "no second row for the moved household");
    }
}
