//! Person search against a plain model of it, on SQLite and PostgreSQL:
//! every criterion, every sort, pages, the jurisdiction, and the capped
//! count of a search that matches more than can be listed.

use chrono::{Days, NaiveDate};
use jianfu_domain::{PersonRecord, Scope};
use jianfu_store::registry::{COUNT_CAP, PersonPage, PersonSearch, PersonSort};
use jianfu_store::{Db, testing};

/// What the model knows of a person.
#[derive(Debug, Clone)]
struct Model {
    id: String,
    name: String,
    village: String,
    household: String,
    birth: NaiveDate,
}

const SURNAMES: [&str; 4] = ["王", "李", "张", "赵"];

/// `n` persons in households of three over `villages`; most are called
/// 王 so that a search for the surname matches more than the count cap.
fn people(villages: &[String], n: usize, wang: usize) -> Vec<(u64, PersonRecord)> {
    let start = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    (0..n)
        .map(|i| {
            let birth = start.checked_add_days(Days::new((i / 900) as u64 * 37 + (i % 7) as u64));
            let surname = if i < wang { "王" } else { SURNAMES[i % 4] };
            let name = format!("{surname}{}", ["一", "二", "三", "四", "五"][i % 5]);
            testing::member(i, villages, name, birth.unwrap())
        })
        .collect()
}

fn model_of(rows: &[(u64, PersonRecord)]) -> Vec<Model> {
    rows.iter()
        .map(|(_, p)| Model {
            id: p.id.as_str().to_string(),
            name: p.name.clone(),
            village: p.household.village.as_str().to_string(),
            household: p.household.household_no.clone(),
            birth: p.id.birth_date(),
        })
        .collect()
}

/// The search as plain filtering and sorting of every person.
fn expected(
    all: &[Model],
    scope: &Scope,
    q: &PersonSearch,
    sort: Option<(PersonSort, bool)>,
    offset: usize,
    limit: usize,
) -> (Vec<String>, i64, bool, (PersonSort, bool)) {
    let mut found: Vec<&Model> = all
        .iter()
        .filter(|m| scope.contains_str(&m.village))
        .filter(|m| q.id_number.as_ref().is_none_or(|id| &m.id == id))
        .filter(|m| {
            q.name
                .as_ref()
                .is_none_or(|n| m.name.starts_with(n.as_str()))
        })
        .filter(|m| q.household_no.as_ref().is_none_or(|h| &m.household == h))
        .filter(|m| {
            q.region
                .as_ref()
                .is_none_or(|r| m.village.starts_with(r.as_str()))
        })
        .collect();
    let more = found.len() as i64 > COUNT_CAP;
    let natural = if q.name.is_some() && q.id_number.is_none() && q.household_no.is_none() {
        PersonSort::Name
    } else {
        PersonSort::Village
    };
    let sort = match sort {
        Some(s) if !more || s.0 == natural => s,
        _ => (natural, false),
    };
    found.sort_by(|a, b| {
        let o = match sort.0 {
            PersonSort::Village => {
                (&a.village, &a.household, &a.id).cmp(&(&b.village, &b.household, &b.id))
            }
            PersonSort::Name => (&a.name, &a.id).cmp(&(&b.name, &b.id)),
            PersonSort::HouseholdNo => (&a.household, &a.id).cmp(&(&b.household, &b.id)),
            PersonSort::BirthDate => (a.birth, &a.id).cmp(&(b.birth, &b.id)),
        };
        if sort.1 { o.reverse() } else { o }
    });
    let total = (found.len() as i64).min(COUNT_CAP);
    let ids = found
        .iter()
        .skip(offset)
        .take(limit)
        .map(|m| m.id.clone())
        .collect();
    (ids, total, more, sort)
}

async fn check(
    db: &Db,
    all: &[Model],
    scope: &Scope,
    q: &PersonSearch,
    sort: Option<(PersonSort, bool)>,
    offset: usize,
) -> PersonPage {
    let got = jianfu_store::registry::search_persons(
        &mut db.read().await.unwrap(),
        scope,
        q,
        sort,
        offset as i64,
        50,
    )
    .await
    .unwrap();
    let (ids, total, more, used) = expected(all, scope, q, sort, offset, 50);
    let got_ids: Vec<String> = got.hits.iter().map(|h| h.id_number.clone()).collect();
    let what = format!("{q:?} in {} sorted {sort:?} from {offset}", scope.code());
    assert_eq!(got_ids, ids, "rows of {what}");
    assert_eq!((got.total, got.more), (total, more), "count of {what}");
    assert_eq!(got.sort, used, "order of {what}");
    got
}

fn search() -> PersonSearch {
    PersonSearch::default()
}

#[tokio::test]
async fn search_matches_its_model() {
    for t in testing::all().await {
        let db = &t.db;
        let [a, b]: [Vec<String>; 2] = testing::villages_of(db, "1306", &["130624", "130626"], 40)
            .await
            .try_into()
            .unwrap();
        let rows_a = people(&a, COUNT_CAP as usize + 1500, COUNT_CAP as usize + 300);
        let rows_b = people(&b, 600, 100);
        for rows in [&rows_a, &rows_b] {
            let mut imp = jianfu_store::RegistryImport::begin(db, "persons", "p.csv", "tester")
                .await
                .unwrap();
            imp.write_persons(rows).await.unwrap();
            imp.commit(rows.len() as u64, 0).await.unwrap();
        }
        let mut all = model_of(&rows_a);
        all.extend(model_of(&rows_b));
        let county = Scope::parse("130624").unwrap();
        let city = Scope::parse("1306").unwrap();
        let other = Scope::parse("130626").unwrap();
        let sorts = [
            None,
            Some((PersonSort::Village, false)),
            Some((PersonSort::Name, true)),
            Some((PersonSort::HouseholdNo, false)),
            Some((PersonSort::BirthDate, true)),
        ];

        // More than the cap: counted to the cap, listed in name order
        // whatever sort is asked for, pages further on still in order.
        let wang = PersonSearch {
            name: Some("王".into()),
            ..search()
        };
        for sort in sorts {
            let page = check(db, &all, &county, &wang, sort, 0).await;
            assert!(page.more && page.total == COUNT_CAP);
        }
        check(db, &all, &county, &wang, None, 500).await;
        // Fewer: every sort is honoured.
        let li = PersonSearch {
            name: Some("李".into()),
            ..search()
        };
        let town = PersonSearch {
            region: Some(a[3][..9].to_string()),
            ..search()
        };
        let village = PersonSearch {
            region: Some(a[5].clone()),
            name: Some("赵".into()),
            ..search()
        };
        for q in [&li, &town, &village] {
            for sort in sorts {
                let page = check(db, &all, &county, q, sort, 0).await;
                assert!(!page.more);
                assert!(!page.hits.is_empty(), "{q:?} finds someone");
                check(db, &all, &city, q, sort, 50).await;
            }
        }
        // A whole city's surname search crosses counties.
        check(db, &all, &city, &li, None, 0).await;
        // One person by ID number, one household by 户编号, from any scope
        // that holds them and from none that does not.
        let someone = &all[all.len() - 7];
        let by_id = PersonSearch {
            id_number: Some(someone.id.clone()),
            ..search()
        };
        let by_household = PersonSearch {
            household_no: Some(someone.household.clone()),
            ..search()
        };
        for q in [&by_id, &by_household] {
            assert!(!check(db, &all, &other, q, None, 0).await.hits.is_empty());
            assert!(!check(db, &all, &city, q, None, 0).await.hits.is_empty());
            assert!(check(db, &all, &county, q, None, 0).await.hits.is_empty());
        }
        // A region outside the jurisdiction finds nobody, even one that
        // overlaps it only by its digits.
        let outside = PersonSearch {
            region: Some(b[0].clone()),
            ..search()
        };
        let page = check(db, &all, &county, &outside, None, 0).await;
        assert_eq!((page.hits.len(), page.total), (0, 0));
        // A village doctor sees the own village only.
        let doctor = Scope::parse(&a[5]).unwrap();
        for q in [&wang, &li, &town] {
            for sort in sorts {
                check(db, &all, &doctor, q, sort, 0).await;
            }
        }
    }
}
