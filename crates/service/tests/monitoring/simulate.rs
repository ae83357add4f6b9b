//! The threshold simulation on the worked examples: an alternative that
//! lowers the ordinary R3 line to 9,000.00 adds M5's household to R3
//! (9,999.99 out of pocket), and one that raises the income line to
//! 8,500.00 makes M3's household (income 8,000.00, an R5 alert) a
//! candidate. Nothing else changes, no alert is written, the audit entry
//! is, and the report carries masked household numbers only.

use jianfu_service::Actor;
use jianfu_service::monitoring::{self, simulate_report};
use jianfu_store::testing;

use crate::day;
use crate::examples::load_examples;

fn alternative() -> String {
    jianfu_monitoring::MonitoringParams::built_in_text("reference-2023")
        .unwrap()
        .replace("name = \"reference-2023\"", "name = \"测算方案\"")
        .replace(
            "absolute_other = \"10000.00\"",
            "absolute_other = \"9000.00\"",
        )
        .replace("line = \"7000.00\"", "line = \"8500.00\"")
}

#[tokio::test]
async fn simulation_finds_the_households_that_change() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let (v1, v2) = load_examples(&t.db, dir.path()).await;
        let (app, _) = crate::app(&t.db);
        let actor = Actor::command_line();
        let alt = alternative();
        assert!(alt.contains("9000.00") && alt.contains("8500.00"));
        let sim = monitoring::simulate(
            &app,
            &actor,
            None,
            Some(day(2023, 12, 31)),
            Some(2023),
            &alt,
        )
        .await
        .unwrap();
        assert_eq!((sim.households, sim.households_alternative), (5, 5));
        let got: Vec<(&str, bool, String)> = sim
            .changes
            .iter()
            .map(|c| (c.measure, c.added, c.household_no.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("R3", true, format!("{v2}0005")),
                ("candidate", true, format!("{v2}0003")),
            ]
        );
        assert!(
            sim.changes[0].explanation.contains("9000.00")
                || sim.changes[0].explanation.contains("9,000.00"),
            "{}",
            sim.changes[0].explanation
        );
        let totals = sim.totals();
        assert_eq!(totals.len(), 1);
        // R2, R3, R5, candidates: in force, then the alternative.
        assert_eq!(totals[0].current, [2, 2, 1, 2]);
        assert_eq!(totals[0].alternative, [2, 3, 1, 3]);
        let townships = sim.townships();
        assert_eq!(townships.len(), 2, "the two villages lie in two townships");
        let second = sim.villages.iter().find(|v| v.village == v2).unwrap();
        assert_eq!(
            (second.current, second.alternative),
            ([1, 1, 1, 1], [1, 2, 1, 2])
        );
        let first = sim.villages.iter().find(|v| v.village == v1).unwrap();
        assert_eq!(first.current, first.alternative);

        let mut r = t.db.read().await.unwrap();
        let alerts: i64 = r
            .scalar("SELECT COUNT(*) FROM monitoring_alerts", &[])
            .await
            .unwrap();
        assert_eq!(alerts, 0, "a simulation writes no alerts");
        let audited: i64 = r
            .scalar(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'monitoring.simulate'",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(audited, 1);
        drop(r);

        let csv = dir.path().join("sim.csv");
        simulate_report::write_report(&sim, &csv).unwrap();
        let changes = std::fs::read_to_string(simulate_report::changes_path(&csv)).unwrap();
        assert_eq!(changes.lines().count(), 3, "{changes}");
        assert!(changes.contains("130624******0005"), "{changes}");
        assert!(!changes.contains(&format!("{v2}0005")), "masked: {changes}");
        let summary = std::fs::read_to_string(&csv).unwrap();
        assert!(
            summary.contains(&v2) && summary.contains("合计"),
            "{summary}"
        );
        let xlsx = dir.path().join("sim.xlsx");
        simulate_report::write_report(&sim, &xlsx).unwrap();
        assert!(std::fs::metadata(&xlsx).unwrap().len() > 0);

        // Checked like `params add`: the key is named, nothing is audited.
        let bad = alt.replace("line = \"8500.00\"", "line = \"-1\"");
        let e = monitoring::simulate(&app, &actor, None, Some(day(2023, 12, 31)), None, &bad)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("income.line"), "{e}");
    }
}
