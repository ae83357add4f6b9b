//! `jianfu monitor` end to end on SQLite and PostgreSQL: parameter files
//! (refused with the file and key named, stored once, listed), a run and
//! its export, and the exit codes of a refusal (1) and of unusable input
//! (2).

use std::path::Path;
use std::process::{Command, Output};

use jianfu_store::testing;

fn jianfu(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jianfu"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("CI", "1")
        .output()
        .expect("run jianfu")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn reference() -> String {
    jianfu_monitoring::MonitoringParams::built_in_text("reference-2023")
        .unwrap()
        .to_string()
}

fn examples(name: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/ingest/tests/data");
    dir.join(name).to_str().unwrap().to_string()
}

#[tokio::test]
async fn monitor_commands() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.toml");
        std::fs::write(
            &bad,
            reference().replace("relative_share = \"0.50\"", "relative_share = \"1.50\""),
        )
        .unwrap();
        let o = jianfu(&t.url, &["monitor", "params", "add", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("bad.toml") && text(&o).contains("burden.relative_share"));

        let good = dir.path().join("county.toml");
        let county = reference()
            .replace("name = \"reference-2023\"", "name = \"阜平县2023\"")
            .replace("region = \"\"", "region = \"130624\"");
        std::fs::write(&good, county).unwrap();
        let args = ["monitor", "params", "add", good.to_str().unwrap()];
        assert!(jianfu(&t.url, &args).status.success());
        assert!(text(&jianfu(&t.url, &args)).contains("已存在"));
        let list = text(&jianfu(&t.url, &["monitor", "params", "list"]));
        assert!(
            list.contains("reference-2023") && list.contains("阜平县2023"),
            "{list}"
        );

        let o = jianfu(&t.url, &["regions", "load", "--prefix", "1306"]);
        assert!(o.status.success(), "{}", text(&o));
        for (kind, file) in [
            ("persons", "persons-good.csv"),
            ("diagnoses", "diagnoses-good.csv"),
        ] {
            let report = dir.path().join(format!("{kind}.report.csv"));
            let args = [
                "import",
                kind,
                &examples(file),
                "--report",
                report.to_str().unwrap(),
            ];
            let o = jianfu(&t.url, &args);
            assert!(o.status.success(), "{}", text(&o));
        }
        let o = jianfu(&t.url, &["monitor", "run", "--as-of", "2023-12-31"]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("年度 2022–2023"), "{}", text(&o));
        let out = dir.path().join("alerts.csv");
        let args = [
            "monitor",
            "export",
            "--as-of",
            "2023-12-31",
            "--out",
            out.to_str().unwrap(),
        ];
        let o = jianfu(&t.url, &args);
        assert!(o.status.success(), "{}", text(&o));
        let csv = std::fs::read_to_string(&out).unwrap();
        let stored: i64 =
            t.db.read()
                .await
                .unwrap()
                .scalar("SELECT COUNT(*) FROM monitoring_alerts", &[])
                .await
                .unwrap();
        assert!(stored > 0, "the examples raise R5 alerts");
        assert_eq!(csv.lines().count() as i64, 1 + stored);
        assert!(csv.starts_with("\u{feff}rule,county_code,household_no,year,"));
        let listed: Vec<&str> = csv.lines().skip(1).collect();
        assert!(
            listed.iter().all(|l| l.contains("阜平县2023")),
            "{listed:?}"
        );

        // A simulation prints its summary, writes its report and no alerts.
        let alt = dir.path().join("alt.toml");
        std::fs::write(
            &alt,
            reference().replace("line = \"7000.00\"", "line = \"9000.00\""),
        )
        .unwrap();
        let xlsx = dir.path().join("sim.xlsx");
        let args = [
            "monitor",
            "simulate",
            "--alternative",
            alt.to_str().unwrap(),
            "--as-of",
            "2023-12-31",
            "--out",
            xlsx.to_str().unwrap(),
        ];
        let o = jianfu(&t.url, &args);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("阈值测算") && text(&o).contains("R5"),
            "{}",
            text(&o)
        );
        assert!(std::fs::metadata(&xlsx).unwrap().len() > 0);
        let after: i64 =
            t.db.read()
                .await
                .unwrap()
                .scalar("SELECT COUNT(*) FROM monitoring_alerts", &[])
                .await
                .unwrap();
        assert_eq!(after, stored);
        let o = jianfu(
            &t.url,
            &[
                "monitor",
                "simulate",
                "--alternative",
                bad.to_str().unwrap(),
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("burden.relative_share"), "{}", text(&o));

        // A village doctor may look but not run: refused, exit 1.
        let add = [
            "user",
            "add",
            "cunyi_li",
            "--role",
            "village_doctor",
            "--region",
            "130624102201",
            "--password",
            "Cunyi-2026-village",
        ];
        assert!(jianfu(&t.url, &add).status.success());
        let o = jianfu(&t.url, &["monitor", "run", "--as", "cunyi_li"]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains("运行防返贫监测"), "{}", text(&o));
        let o = jianfu(&t.url, &["monitor", "run", "--region", "13062"]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("13062"), "{}", text(&o));
    }
}

/// `jianfu calendar`: due dates across 调休 days, a deadline reaching an
/// unloaded 2027 (an error, exit 2) until a 2027 file is added, the
/// explicit and audited replacement, a region's own days, and the list.
#[tokio::test]
async fn calendar_commands() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let due = |args: &[&str]| {
            let mut all = vec!["calendar", "due"];
            all.extend_from_slice(args);
            jianfu(&t.url, &all)
        };
        // M6: 02-04 and 02-18 are make-up working days, 02-10..02-17 off.
        let o = due(&["--from", "2024-02-02", "--working-days", "20"]);
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "2024-03-06\n",
            "{}",
            text(&o)
        );
        // Friday 2024-10-11: the next working day is Saturday 10-12 (调休).
        let o = due(&["--from", "2024-10-11", "--working-days", "1"]);
        assert_eq!(String::from_utf8_lossy(&o.stdout), "2024-10-12\n");
        let o = due(&["--from", "2024-12-28", "--days", "7"]);
        assert_eq!(String::from_utf8_lossy(&o.stdout), "2025-01-04\n");

        let o = due(&["--from", "2026-12-20", "--working-days", "20"]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(o.stdout.is_empty(), "no guessed date: {}", text(&o));
        assert!(text(&o).contains("2027"), "{}", text(&o));

        let bad = dir.path().join("cn-2027-bad.toml");
        std::fs::write(&bad, "year = 2027\nday_off = []\n").unwrap();
        let o = jianfu(&t.url, &["calendar", "add", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("cn-2027-bad.toml") && text(&o).contains("day_off"));
        std::fs::write(
            &bad,
            "year = 2027\nmake_up_working_days = [\"2027-02-03\"]\n",
        )
        .unwrap();
        let o = jianfu(&t.url, &["calendar", "add", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("make_up_working_days"), "{}", text(&o));

        let y2027 = dir.path().join("cn-2027.toml");
        std::fs::write(
            &y2027,
            "year = 2027\nsource = \"测试通知\"\ndays_off = [\"2027-01-01\"]\n",
        )
        .unwrap();
        let add = ["calendar", "add", y2027.to_str().unwrap()];
        let o = jianfu(&t.url, &add);
        assert!(o.status.success(), "{}", text(&o));
        // 2026-12-31 is a Thursday; 2027-01-01 is off, 01-02/03 a weekend.
        let o = due(&["--from", "2026-12-31", "--working-days", "1"]);
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "2027-01-04\n",
            "{}",
            text(&o)
        );
        assert!(text(&jianfu(&t.url, &add)).contains("未重复添加"));

        // Another 2027 file replaces only when asked for.
        std::fs::write(&y2027, "year = 2027\nsource = \"更正\"\n").unwrap();
        let o = jianfu(&t.url, &add);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("--replace"), "{}", text(&o));
        let o = jianfu(
            &t.url,
            &["calendar", "add", "--replace", y2027.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", text(&o));
        let o = due(&["--from", "2026-12-31", "--working-days", "1"]);
        assert_eq!(String::from_utf8_lossy(&o.stdout), "2027-01-01\n");
        let replaced: i64 =
            t.db.read()
                .await
                .unwrap()
                .scalar(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'calendar.replace'",
                    &[],
                )
                .await
                .unwrap();
        assert_eq!(replaced, 1);

        // A region's own day off counts there only.
        let own = dir.path().join("130624-2024.toml");
        std::fs::write(
            &own,
            "year = 2024\nregion = \"130624\"\nsource = \"县通知\"\ndays_off = [\"2024-03-04\"]\n",
        )
        .unwrap();
        let o = jianfu(&t.url, &["calendar", "add", own.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        let args = ["--from", "2024-03-01", "--working-days", "1"];
        let o = due(&args);
        assert_eq!(String::from_utf8_lossy(&o.stdout), "2024-03-04\n");
        let o = due(&[&args[..], &["--region", "130624100200"]].concat());
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "2024-03-05\n",
            "{}",
            text(&o)
        );
        let o = due(&[&args[..], &["--region", "130625"]].concat());
        assert_eq!(String::from_utf8_lossy(&o.stdout), "2024-03-04\n");

        let list = text(&jianfu(&t.url, &["calendar", "list"]));
        assert!(
            list.contains("国办发明电〔2023〕7号") && list.contains("县通知"),
            "{list}"
        );
        assert!(list.contains("已替换") && list.contains("更正"), "{list}");
    }
}

/// `jianfu case`: an alert's case opened, a step with a photo, a step the
/// role may not take (exit 2, the procedure's message), a refusal of
/// permission (exit 1), list and show.
#[tokio::test]
async fn case_commands() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let o = jianfu(&t.url, &["regions", "load", "--prefix", "1306"]);
        assert!(o.status.success(), "{}", text(&o));
        for (kind, file) in [
            ("persons", "persons-good.csv"),
            ("diagnoses", "diagnoses-good.csv"),
        ] {
            let report = dir.path().join(format!("{kind}.report.csv"));
            let args = [
                "import",
                kind,
                &examples(file),
                "--report",
                report.to_str().unwrap(),
            ];
            assert!(jianfu(&t.url, &args).status.success());
        }
        assert!(
            jianfu(&t.url, &["monitor", "run", "--as-of", "2023-12-31"])
                .status
                .success()
        );
        let out = dir.path().join("alerts.csv");
        let args = [
            "monitor",
            "export",
            "--as-of",
            "2023-12-31",
            "--out",
            out.to_str().unwrap(),
        ];
        assert!(jianfu(&t.url, &args).status.success());
        let csv = std::fs::read_to_string(&out).unwrap();
        let f: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
        let alert = format!("{}/{}/{}/{}", f[1], f[2], f[3], f[0]);
        let o = jianfu(
            &t.url,
            &["case", "open", "--alert", &alert, "--note", "数据比对"],
        );
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("已立案：案件 1"), "{}", text(&o));
        let photo = dir.path().join("入户.jpg");
        std::fs::write(&photo, b"\xff\xd8\xff\xe0\x00\x10JFIF\x00").unwrap();
        let args = [
            "case",
            "act",
            "1",
            "start_verification",
            "--note",
            "入户",
            "--attach",
        ];
        let o = jianfu(&t.url, &[&args[..], &[photo.to_str().unwrap()]].concat());
        assert!(o.status.success(), "{}", text(&o));
        let text_file = dir.path().join("note.jpg");
        std::fs::write(&text_file, "not a photo").unwrap();
        let args = [
            "case",
            "act",
            "1",
            "confirm_risk",
            "--note",
            "x",
            "--attach",
        ];
        let o = jianfu(
            &t.url,
            &[&args[..], &[text_file.to_str().unwrap()]].concat(),
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("不是 JPEG"), "{}", text(&o));
        let o = jianfu(
            &t.url,
            &["case", "act", "1", "close_no_risk", "--note", "x"],
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("须填写理由"), "{}", text(&o));
        let add = [
            "user",
            "add",
            "shenji",
            "--role",
            "auditor",
            "--region",
            "130624000000",
            "--password",
            "Audit-2026-reader",
        ];
        assert!(jianfu(&t.url, &add).status.success());
        let o = jianfu(
            &t.url,
            &[
                "--as",
                "shenji",
                "case",
                "act",
                "1",
                "close_no_risk",
                "--note",
                "x",
                "--reason",
                "y",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let show = text(&jianfu(&t.url, &["--as", "shenji", "case", "show", "1"]));
        assert!(
            show.contains("入户核查") && show.contains("入户.jpg"),
            "{show}"
        );
        assert!(!show.contains("您可办理"), "auditors read only: {show}");
        let list = text(&jianfu(&t.url, &["case", "list"]));
        assert!(list.contains(f[2]) && list.contains("预警核查"), "{list}");
        let o = jianfu(
            &t.url,
            &[
                "case",
                "act",
                "1",
                "close_no_risk",
                "--note",
                "核查",
                "--reason",
                "已兜底",
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        let list = text(&jianfu(&t.url, &["case", "list", "--state", "closed"]));
        assert!(list.contains(f[2]), "{list}");
    }
}
