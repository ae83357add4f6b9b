//! Parameter files: the reference set, strict checking with dotted keys,
//! and the choice of the set in force.

use jianfu_domain::{Group, HouseholdType, Money, Ratio};
use jianfu_monitoring::params::{MonitoringParams, ParamsError, ValueProblem, select};

use crate::support::day;

fn text() -> String {
    MonitoringParams::built_in_text("reference-2023")
        .unwrap()
        .to_string()
}

fn refused(t: &str) -> ParamsError {
    MonitoringParams::from_toml(t).expect_err("should be refused")
}

fn key_of(e: &ParamsError) -> String {
    match e {
        ParamsError::Value { key, .. }
        | ParamsError::UnknownHouseholdType { key, .. }
        | ParamsError::UnknownGroup { key, .. }
        | ParamsError::Duplicate { key, .. }
        | ParamsError::Empty { key } => key.clone(),
        other => format!("{other:?}"),
    }
}

#[test]
fn reference_set_reads() {
    let p = MonitoringParams::built_in("reference-2023").unwrap();
    assert_eq!(p.name, "reference-2023");
    assert_eq!(p.region, "");
    assert_eq!(p.valid_to, None);
    assert_eq!(p.income.line, Money::from_yuan(7000));
    assert_eq!(p.relative_threshold(), Money::from_yuan(8000));
    assert_eq!(p.burden.absolute_vulnerable, Money::from_yuan(5000));
    assert_eq!(p.burden.absolute_other, Money::from_yuan(10000));
    assert!(
        p.burden
            .vulnerable_household_types
            .contains(HouseholdType::Sudden)
    );
    assert!(
        !p.burden
            .vulnerable_household_types
            .contains(HouseholdType::Ordinary)
    );
    assert!(p.burden.vulnerable_groups.contains(Group::SubsistenceEdge));
    assert_eq!(p.diagnosis.list, "major30");
    assert!(!p.diagnosis.household_types.contains(HouseholdType::Sudden));
    assert!(p.anomaly.poor_groups.contains(Group::Monitored));
    assert_eq!(
        p.anomaly.min_actual_ratio,
        Ratio::from_ten_thousandths(8500)
    );
    assert_eq!(p.timers.procedure_working_days, 20);
    assert_eq!(p.timers.amber_share, Ratio::from_ten_thousandths(2500));
    assert_eq!(p.timers.follow_on_months, 12);
    assert!(matches!(
        MonitoringParams::built_in("nope"),
        Err(ParamsError::UnknownBuiltIn { .. })
    ));
}

#[test]
fn r2_threshold_rounds_half_up() {
    let t = text().replace("relative_share = \"0.50\"", "relative_share = \"0.3333\"");
    let t = t.replace("\"16000.00\"", "\"16000.15\"");
    let p = MonitoringParams::from_toml(&t).unwrap();
    // 1,600,015 fen × 0.3333 = 533,284.9995 fen → 533,285.
    assert_eq!(p.relative_threshold(), Money::from_fen(533_285));
}

#[test]
fn errors_name_the_key() {
    let cases: Vec<(String, &str)> = vec![
        (
            text().replace("line = \"7000.00\"", "line = \"-1\""),
            "income.line",
        ),
        (
            text().replace("line = \"7000.00\"", "line = \"7000.001\""),
            "income.line",
        ),
        (
            text().replace("relative_share = \"0.50\"", "relative_share = \"1.5\""),
            "burden.relative_share",
        ),
        (
            text().replace("relative_share = \"0.50\"", "relative_share = \"0.12345\""),
            "burden.relative_share",
        ),
        (
            text().replace(
                "min_actual_ratio = \"0.85\"",
                "min_actual_ratio = \"-0.85\"",
            ),
            "anomaly.min_actual_ratio",
        ),
        (
            text().replace("\"edge\", \"sudden\"]", "\"edge\", \"poor\"]"),
            "burden.vulnerable_household_types[3]",
        ),
        (
            text().replace("\"edge\", \"sudden\"]", "\"edge\", \"edge\"]"),
            "burden.vulnerable_household_types[3]",
        ),
        (
            text().replace(
                "\"returned_poor\", \"subsistence_edge\"]",
                "\"returned_poor\", \"x\"]",
            ),
            "burden.vulnerable_groups[3]",
        ),
        (
            text().replace(
                "poor_groups = [\"formerly_poor\",",
                "poor_groups = [\"monitored\",",
            ),
            "anomaly.poor_groups[1]",
        ),
        (
            text().replace("list = \"major30\"", "list = \" \""),
            "diagnosis.list",
        ),
        (
            text().replace("procedure_working_days = 20", "procedure_working_days = 0"),
            "timers.procedure_working_days",
        ),
        (
            text().replace("verify_days = 7", "verify_days = -7"),
            "timers.verify_days",
        ),
        (
            text().replace("amber_share = \"0.25\"", "amber_share = \"2\""),
            "timers.amber_share",
        ),
        (
            text().replace("# valid_to = \"2023-12-31\"", "valid_to = \"2022-12-31\""),
            "valid_to",
        ),
        (
            text().replace("valid_from = \"2023-01-01\"", "valid_from = \"2023-13-01\""),
            "valid_from",
        ),
        (
            text().replace("name = \"reference-2023\"", "name = \"\""),
            "name",
        ),
    ];
    for (t, key) in cases {
        let e = refused(&t);
        assert_eq!(key_of(&e), key, "{e}");
        assert!(e.to_string().contains(key), "{e}");
    }
    let e = refused(&text().replace("region = \"\"", "region = \"130\""));
    assert!(matches!(e, ParamsError::Region { .. }), "{e}");
    let e = refused(&text().replace("stable_months = 6", "stable_months = 6\nstabel = 1"));
    assert!(
        matches!(&e, ParamsError::Syntax { message } if message.contains("stabel")),
        "{e}"
    );
    let e = refused(&text().replace("[anomaly]", "[anomaly]\nextra = 1"));
    assert!(matches!(e, ParamsError::Syntax { .. }), "{e}");
    let e = refused(&text().replace("stable_months = 6", "stable_months = \"6\""));
    assert!(matches!(e, ParamsError::Syntax { .. }), "{e}");
    let e = refused(&text().replace("line = \"7000.00\"", "line = \"-1\""));
    assert!(matches!(
        e,
        ParamsError::Value {
            problem: ValueProblem::Negative,
            ..
        }
    ));
}

#[test]
fn dates_may_be_toml_dates() {
    let t = text().replace(
        "valid_from = \"2023-01-01\"",
        "valid_from = 2023-01-01\nvalid_to = 2023-12-31",
    );
    let p = MonitoringParams::from_toml(&t).unwrap();
    assert_eq!(p.valid_to, Some(day(2023, 12, 31)));
    assert!(p.applies_to("130624100200", day(2023, 12, 31)));
    assert!(!p.applies_to("130624100200", day(2024, 1, 1)));
}

fn set(name: &str, region: &str, from: &str, to: Option<&str>) -> MonitoringParams {
    let mut t = text()
        .replace("name = \"reference-2023\"", &format!("name = \"{name}\""))
        .replace("region = \"\"", &format!("region = \"{region}\""))
        .replace(
            "valid_from = \"2023-01-01\"",
            &format!("valid_from = \"{from}\""),
        );
    if let Some(to) = to {
        t = t.replace(
            "# valid_to = \"2023-12-31\"",
            &format!("valid_to = \"{to}\""),
        );
    }
    MonitoringParams::from_toml(&t).unwrap()
}

#[test]
fn selection_longest_prefix_then_latest_added() {
    let sets = vec![
        set("national", "", "2023-01-01", None),
        set("hebei", "13", "2023-01-01", None),
        set("county-2023", "130624", "2023-01-01", Some("2023-12-31")),
        set("county-2024", "130624", "2024-01-01", None),
        set("county-2024-fix", "130624", "2024-01-01", None),
    ];
    let pick = |code: &str, on| select(&sets, code, on).map(|p| p.name.as_str());
    assert_eq!(pick("130624100200", day(2023, 6, 1)), Some("county-2023"));
    assert_eq!(
        pick("130624100200", day(2024, 6, 1)),
        Some("county-2024-fix")
    );
    assert_eq!(pick("130625100200", day(2024, 6, 1)), Some("hebei"));
    assert_eq!(pick("650000000000", day(2024, 6, 1)), Some("national"));
    assert_eq!(pick("650000000000", day(2022, 6, 1)), None);
}
