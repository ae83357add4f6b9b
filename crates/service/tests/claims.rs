//! A generated county's claims (late arrivals, reversals, groups left to
//! the registry) imported through the use case on SQLite and PostgreSQL:
//! every stored amount equals `settle_batch` over the file's standing
//! claims, and a second import changes nothing.

use std::collections::{HashMap, HashSet};

use jianfu_domain::{ClaimRecord, GroupSet};
use jianfu_ingest::{CheckOutcome, ClaimsReader, FileKind, ImportOptions, PersonsReader};
use jianfu_policy::{BatchClaim, ClaimInput, settle_batch};
use jianfu_service::{Actor, App, ImportRequest, import_file};
use jianfu_store::Db;
use jianfu_store::testing;

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

fn request(path: std::path::PathBuf, kind: FileKind) -> ImportRequest {
    let mut req = ImportRequest::new(path, kind, "tester");
    req.options = ImportOptions::new(today());
    req
}

/// Every row of a file, read with the import's own parser.
fn read_claims(path: &std::path::Path) -> Vec<ClaimRecord> {
    let opts = ImportOptions::new(today());
    let mut reader = ClaimsReader::open(path, &opts).unwrap();
    let all = CheckOutcome {
        kind: FileKind::Claims,
        header_row: 1,
        data_rows: 0,
        rejected: Default::default(),
        deferred: Default::default(),
        errors: 0,
        warnings: 0,
        households: 0,
        households_rejected: 0,
        fingerprint: reader.fingerprint(),
    };
    let mut out = Vec::new();
    while let Some((_, c)) = reader.next_accepted(&all).unwrap() {
        out.push(c);
    }
    out
}

fn registry_groups(path: &std::path::Path) -> HashMap<u64, GroupSet> {
    let reader = PersonsReader::open(path, &ImportOptions::new(today())).unwrap();
    reader
        .map(|r| {
            let p = r.unwrap().1.unwrap();
            (p.id.packed(), p.all_groups())
        })
        .collect()
}

/// The standing claims of 2023 and 2024 with their stored tiers.
async fn stored(db: &Db) -> HashMap<String, [i64; 5]> {
    let mut out = HashMap::new();
    for year in [2023, 2024] {
        for c in jianfu_store::claims::claims_of_year(&mut db.read().await.unwrap(), "130624", year)
            .await
            .unwrap()
        {
            let t = c.tiers();
            let fen = [
                t.basic,
                t.critical,
                t.assistance,
                t.supplementary,
                t.out_of_pocket,
            ]
            .map(|m| m.fen());
            out.insert(c.claim_id, fen);
        }
    }
    out
}

#[tokio::test]
async fn a_generated_county_is_stored_as_batch_settlement_says() {
    let dir = tempfile::tempdir().unwrap();
    let opts = jianfu_synth::GenerateOptions {
        county: "130624".into(),
        persons: 1500,
        seed: 7,
        ..Default::default()
    };
    let summary = jianfu_synth::generate(&opts, dir.path(), &mut |_| {}).unwrap();
    assert!(summary.reversals > 0, "the sample has reversals");
    let claims_csv = dir.path().join("claims.csv");
    let claims = read_claims(&claims_csv);
    let groups = registry_groups(&dir.path().join("persons.csv"));
    let text = std::fs::read_to_string(&claims_csv).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    let lines: Vec<&str> = body.lines().collect();
    let third = lines.len().div_ceil(3);
    let parts: Vec<std::path::PathBuf> = lines
        .chunks(third)
        .enumerate()
        .map(|(i, rows)| {
            let path = dir.path().join(format!("claims-{i}.csv"));
            std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
            path
        })
        .collect();

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
        let (app, cli) = (App::new(t.db.clone()), Actor::command_line());
        let persons = request(dir.path().join("persons.csv"), FileKind::Persons);
        assert!(
            import_file(&app, &cli, &persons, |_, _| {})
                .await
                .unwrap()
                .is_success()
        );
        let policy = jianfu_policy::Policy::built_in_text("reference-2023")
            .unwrap()
            .replace("valid_from = \"2023-01-01\"", "valid_from = \"2024-01-01\"")
            .replace("valid_to = \"2023-12-31\"", "valid_to = \"2024-12-31\"");
        jianfu_store::policies::add_policy(&t.db, &policy, "tester")
            .await
            .unwrap();
        // Three consecutive parts of the file, one import each: claims that
        // arrive late land on person-years stored by an earlier import.
        let mut created = 0;
        for part in &parts {
            let req = request(part.clone(), FileKind::Claims);
            let outcome = import_file(&app, &cli, &req, |_, _| {}).await.unwrap();
            assert!(outcome.is_success(), "{outcome:?}");
            created += outcome.stats.claims_created + outcome.stats.reversals_created;
        }
        assert_eq!(created, claims.len() as u64);
        let req = request(claims_csv.clone(), FileKind::Claims);

        let reversed: HashSet<&str> = claims
            .iter()
            .filter_map(|c| c.reverses.as_deref())
            .collect();
        let standing: Vec<&ClaimRecord> = claims
            .iter()
            .filter(|c| c.reverses.is_none() && !reversed.contains(c.claim_id.as_str()))
            .collect();
        let batch: Vec<BatchClaim> = standing
            .iter()
            .map(|c| BatchClaim {
                person: c.person.packed(),
                settled_at: c.settled_seconds(),
                year: c.year(),
                input: ClaimInput {
                    kind: c.kind,
                    level: c.level,
                    county_internal: c.county_internal,
                    groups: c.groups.unwrap_or_else(|| groups[&c.person.packed()]),
                    total: c.total,
                    policy_scope: c.policy_scope,
                },
            })
            .collect();
        let policies = jianfu_store::policies::policy_set(&mut t.db.read().await.unwrap())
            .await
            .unwrap();
        let expected = settle_batch(&batch, 2, |i, _| {
            &policies
                .choose("130624", standing[i].settled_at.date())
                .unwrap()
                .policy
        });
        let got = stored(&t.db).await;
        assert_eq!(got.len(), standing.len());
        for (c, e) in standing.iter().zip(&expected) {
            let want = [
                e.basic,
                e.critical,
                e.assistance,
                e.supplementary,
                e.out_of_pocket,
            ]
            .map(|m| m.fen());
            assert_eq!(got[&c.claim_id], want, "{} on {:?}", c.claim_id, t.engine());
        }

        let again = import_file(&app, &cli, &req, |_, _| {}).await.unwrap();
        assert!(again.is_success());
        assert_eq!(again.stats.claims_unchanged, claims.len() as u64);
        assert_eq!(stored(&t.db).await, got);
    }
}
