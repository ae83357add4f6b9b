//! One active head per household across a persons import and what is
//! stored (finding 3 of the hardening issue): a file that would give a
//! stored household a second active head is refused for that row, and a
//! proper change of head (the old head stepping down in the same file,
//! before or after the new one) is written.

use chrono::NaiveDate;
use jianfu_domain::{PersonRecord, PersonStatus, Relation};
use jianfu_store::testing::{self, TestDb};
use jianfu_store::{Conflict, RegistryImport};

/// Village 0 of 阜平县; household `H` numbers are `{village}{h:05}`.
async fn village(t: &TestDb) -> Vec<String> {
    testing::villages_of(&t.db, "1306", &["130624"], 1)
        .await
        .remove(0)
}

fn row(i: usize, villages: &[String], relation: Relation) -> (u64, PersonRecord) {
    let birth = NaiveDate::from_ymd_opt(1970, 3, 1).unwrap();
    let (n, mut p) = testing::member(i, villages, format!("成员{i}"), birth);
    p.relation = relation;
    (n, p)
}

/// Imports `chunks` (one `write_persons` call each); the conflicts of
/// every chunk and the refused heads, and commits when there were none.
async fn import(t: &TestDb, chunks: &[Vec<(u64, PersonRecord)>]) -> Vec<Conflict> {
    let mut imp = RegistryImport::begin(&t.db, "persons", "p.csv", "tester")
        .await
        .unwrap();
    let mut conflicts = Vec::new();
    for chunk in chunks {
        conflicts.extend(imp.write_persons(chunk).await.unwrap());
    }
    conflicts.extend(imp.refused_heads());
    if conflicts.is_empty() {
        imp.commit(1, 0).await.unwrap();
    } else {
        imp.rollback(1, conflicts.len() as u64).await.unwrap();
    }
    conflicts
}

/// The active heads stored for household 0, by ID number.
async fn heads(t: &TestDb, villages: &[String]) -> Vec<String> {
    let no = format!("{}{:05}", villages[0], 0);
    let mut c = t.db.read().await.unwrap();
    jianfu_store::registry::household_members(&mut c, "130624", &no)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.relation == "head" && m.status == "active")
        .map(|m| m.id_number)
        .collect()
}

#[tokio::test]
async fn a_second_active_head_is_refused_naming_the_stored_one() {
    for t in testing::all().await {
        let v = village(&t).await;
        // Household 0: person 0 head, persons 1 and 2 children.
        let first: Vec<_> = (0..3)
            .map(|i| {
                testing::member(
                    i,
                    &v,
                    format!("成员{i}"),
                    NaiveDate::from_ymd_opt(1970, 3, 1).unwrap(),
                )
            })
            .collect();
        assert!(import(&t, std::slice::from_ref(&first)).await.is_empty());
        let stored_head = first[0].1.id.as_str().to_string();

        // Another person (not in the household) as its head, the stored
        // head not in the file: refused, nothing written.
        let mut other = row(30, &v, Relation::Head);
        other.1.household = first[0].1.household.clone();
        let refused = import(&t, &[vec![other.clone()]]).await;
        assert_eq!(refused.len(), 1, "{:?}", t.engine());
        assert_eq!(refused[0].code, "two_heads");
        assert_eq!(refused[0].row, other.0);
        let named = refused[0].stored_head.as_ref().unwrap();
        assert_eq!(named.id_number, stored_head);
        assert_eq!(heads(&t, &v).await, [stored_head]);
    }
}

#[tokio::test]
async fn a_change_of_head_in_one_file_is_written_in_either_order() {
    for t in testing::all().await {
        let v = village(&t).await;
        let birth = NaiveDate::from_ymd_opt(1970, 3, 1).unwrap();
        let first: Vec<_> = (0..3)
            .map(|i| testing::member(i, &v, format!("成员{i}"), birth))
            .collect();
        assert!(import(&t, std::slice::from_ref(&first)).await.is_empty());

        // Person 1 becomes head in the first chunk; person 0 steps down
        // to spouse in a later chunk.
        let mut new_head = first[1].clone();
        new_head.1.relation = Relation::Head;
        let mut old_head = first[0].clone();
        old_head.1.relation = Relation::Spouse;
        let done = import(&t, &[vec![new_head.clone()], vec![old_head.clone()]]).await;
        assert!(done.is_empty(), "{done:?}");
        assert_eq!(heads(&t, &v).await, [new_head.1.id.as_str().to_string()]);

        // Back again, the old head listed first and dying rather than
        // stepping down by relation.
        let mut died = new_head.clone();
        died.1.relation = Relation::Other;
        died.1.status = PersonStatus::Deceased;
        let mut back = first[0].clone();
        back.1.relation = Relation::Head;
        let done = import(&t, &[vec![died, back.clone()]]).await;
        assert!(done.is_empty(), "{done:?}");
        assert_eq!(heads(&t, &v).await, [back.1.id.as_str().to_string()]);
    }
}
