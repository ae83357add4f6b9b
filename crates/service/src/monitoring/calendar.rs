//! The working-day calendar (工作日历) as use cases: the calendar in force
//! for a region ([`work_calendar`], what every deadline is computed on),
//! adding a year's notice or a region's own days ([`add`], audited, a
//! replacement only when asked for), listing what is loaded ([`list`]) and
//! a due date ([`due`], `monitoring.md` §6).
//!
//! The national files 2022–2026 are compiled into `jianfu-monitoring`;
//! files added later are stored (`jianfu_store::monitoring::calendar_files`)
//! and loaded over them in the order added, so a stored file replaces a
//! built-in one of the same (region, year).

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::{Permission, RegionCode};
use jianfu_monitoring::calendar::{self as cal, CalendarError, WorkCalendar};
use jianfu_store::monitoring::{self as store, CalendarRow, NewCalendar};
use jianfu_store::{StoreError, audit};

use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App};

/// Who loaded the files shipped in the binary, as listed.
pub const BUILT_IN_USER: &str = "built-in";

/// The working-day calendar in force for `region`: the built-in national
/// files, then the stored files of the national calendar and of every
/// prefix of `region` (`""` for the national calendar alone; a 2–12 digit
/// prefix or code otherwise), in the order they were added, so a later
/// file of a (region, year) replaces an earlier one.
///
/// Ask it about a day with the region's code, so the region's own days
/// win over the national ones:
/// `work_calendar(&app, "653126").await?.add_working_days(d, 20, Some(&code))`.
/// No actor: the calendar is public data and this is a helper of other use
/// cases, which check their own permission. A year with no national file
/// answers `CalendarError::YearNotLoaded` when asked about.
pub async fn work_calendar(app: &App, region: &str) -> UseCaseResult<WorkCalendar> {
    let rows = store::calendar_files(&mut app.db.read().await?).await?;
    build(&rows, region)
}

/// [`work_calendar`] read in the caller's transaction (a step that writes
/// its deadlines reads the calendar it computes them on in the same
/// snapshot).
pub(crate) async fn work_calendar_in(
    tx: &mut jianfu_store::Tx,
    region: &str,
) -> UseCaseResult<WorkCalendar> {
    let rows = store::calendar_files(tx).await?;
    build(&rows, region)
}

/// The working-day calendar with every stored file, each region's own days
/// applying to that region only: for work that spans regions (the
/// deadline scan), asked about a day with the region's code like
/// [`work_calendar`].
pub async fn work_calendar_everywhere(app: &App) -> UseCaseResult<WorkCalendar> {
    let rows = store::calendar_files(&mut app.db.read().await?).await?;
    let mut calendar = WorkCalendar::built_in();
    for row in &rows {
        calendar.load(&row.file_name, &row.toml).map_err(|e| {
            StoreError::Corrupt(format!("工作日历（编号 {}）无法读取：{e}", row.id))
        })?;
    }
    Ok(calendar)
}

/// The built-in files, then the stored ones concerning `region` in order.
fn build(rows: &[CalendarRow], region: &str) -> UseCaseResult<WorkCalendar> {
    let mut calendar = WorkCalendar::built_in();
    for row in rows.iter().filter(|r| region.starts_with(&r.region_prefix)) {
        calendar.load(&row.file_name, &row.toml).map_err(|e| {
            StoreError::Corrupt(format!("工作日历（编号 {}）无法读取：{e}", row.id))
        })?;
    }
    Ok(calendar)
}

/// A calendar file stored by [`add`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarAdded {
    /// Its stored id (the one already there when `existed`).
    pub id: i64,
    /// The year.
    pub year: i32,
    /// Region prefix; empty for the national calendar.
    pub region: String,
    /// True when the same text was in force already: nothing was stored.
    pub existed: bool,
    /// What it replaced: a stored file's id, or `None` for a built-in one.
    pub replaced: Option<Replaced>,
    /// True when the national calendar of the year is loaded (a region's
    /// file alone does not make the year usable).
    pub national_loaded: bool,
}

/// The file a replacement took the place of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replaced {
    /// A file shipped in the binary.
    BuiltIn(String),
    /// A stored file, by id.
    Stored(i64),
}

/// Adds a calendar file for `actor` (`ManageMonitoringParams`; its region
/// inside the jurisdiction), checked strictly (`WorkCalendar::load`: every
/// error names the file and the key). A (region, year) that already has a
/// file, built-in or stored, is replaced only when `replace` is set; the
/// same text again stores nothing. The audit entry (`calendar.add` or
/// `calendar.replace`, naming the file replaced) commits with the row.
pub async fn add(
    app: &App,
    actor: &Actor,
    file_name: &str,
    text: &str,
    replace: bool,
) -> UseCaseResult<CalendarAdded> {
    actor.require(Permission::ManageMonitoringParams)?;
    let mut probe = WorkCalendar::new();
    probe.load(file_name, text).map_err(invalid)?;
    let loaded = probe.files()[0].clone();
    if !actor.scope.contains_str(&loaded.region) {
        return Err(UseCaseError::Invalid(format!(
            "工作日历文件 {file_name}：region = “{}” 不在您的管辖范围 {} 内",
            loaded.region, actor.scope
        )));
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    // The calendar checked the year to lie in 1900–2999.
    let year16 = i16::try_from(loaded.year).unwrap_or(i16::MAX);
    let stored = store::calendar_in_force(&mut tx, &loaded.region, year16).await?;
    let rows = store::calendar_files(&mut tx).await?;
    let national_loaded = build(&rows, "")?.years().any(|y| y == loaded.year);
    let mut added = CalendarAdded {
        id: 0,
        year: loaded.year,
        region: loaded.region.clone(),
        existed: false,
        replaced: None,
        national_loaded: national_loaded || loaded.region.is_empty(),
    };
    if let Some(row) = stored.as_ref().filter(|r| r.toml == text) {
        added.id = row.id;
        added.existed = true;
        return Ok(added);
    }
    added.replaced = previous(stored.as_ref(), &loaded);
    if let (Some(old), false) = (&added.replaced, replace) {
        return Err(UseCaseError::Invalid(already_loaded(
            file_name, &loaded, old,
        )));
    }
    let new = NewCalendar {
        year: year16,
        region_prefix: &loaded.region,
        source: &loaded.source,
        file_name,
        toml: text,
        replaces: stored.as_ref().map(|r| r.id),
    };
    added.id = store::add_calendar(&mut tx, &new, &actor.username, now).await?;
    audit::append_at(
        &mut tx,
        &entry(actor, &added, &loaded, stored.as_ref()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(added)
}

fn invalid(e: CalendarError) -> UseCaseError {
    UseCaseError::Invalid(e.to_string())
}

/// The file in force before: the stored one, else a built-in national one.
fn previous(stored: Option<&CalendarRow>, loaded: &cal::LoadedFile) -> Option<Replaced> {
    if let Some(row) = stored {
        return Some(Replaced::Stored(row.id));
    }
    let built_in = WorkCalendar::built_in();
    built_in
        .files()
        .iter()
        .find(|f| f.region == loaded.region && f.year == loaded.year)
        .map(|f| Replaced::BuiltIn(f.file.clone()))
}

fn region_label(region: &str) -> String {
    if region.is_empty() {
        "全国".into()
    } else {
        format!("地区 {region}")
    }
}

fn already_loaded(file: &str, loaded: &cal::LoadedFile, old: &Replaced) -> String {
    let which = match old {
        Replaced::BuiltIn(name) => format!("内置文件 {name}"),
        Replaced::Stored(id) => format!("已添加的文件（编号 {id}）"),
    };
    format!(
        "工作日历文件 {file}：{}{}年的工作日历已有{which}；确需替换请加 --replace",
        region_label(&loaded.region),
        loaded.year
    )
}

fn entry(
    actor: &Actor,
    added: &CalendarAdded,
    loaded: &cal::LoadedFile,
    stored: Option<&CalendarRow>,
) -> audit::AuditEntry {
    let action = if added.replaced.is_some() {
        "calendar.replace"
    } else {
        "calendar.add"
    };
    let region = if loaded.region.is_empty() {
        "national"
    } else {
        &loaded.region
    };
    let mut entry = actor.entry(action, region);
    entry.target_kind = Some("calendar".into());
    entry.target_key = Some(format!("{}:{}", region, loaded.year));
    entry.old_value = added.replaced.as_ref().map(|old| match old {
        Replaced::BuiltIn(name) => format!("built-in {name}"),
        Replaced::Stored(id) => {
            let source = stored.map(|r| r.source.as_str()).unwrap_or_default();
            format!("id={id} {source}")
        }
    });
    entry.new_value = Some(format!("id={} {}", added.id, loaded.source));
    entry.detail = Some(format!("file={}", loaded.file));
    entry
}

/// One calendar file as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// Stored id; `None` for a file shipped in the binary.
    pub id: Option<i64>,
    /// The year.
    pub year: i32,
    /// Region prefix; empty for the national calendar.
    pub region: String,
    /// The notice's number or title.
    pub source: String,
    /// The file name.
    pub file: String,
    /// When it was stored (`None` for a built-in file).
    pub loaded_at: Option<DateTime<Utc>>,
    /// Who stored it ([`BUILT_IN_USER`] for a built-in file).
    pub loaded_by: String,
    /// True when a later file of the same (region, year) replaced it.
    pub replaced: bool,
}

/// Every calendar file, built-in then stored, sorted by region and year;
/// replaced ones are listed too, marked. Calendars are public data, so
/// every role that sees monitoring may list them.
pub async fn list(app: &App, actor: &Actor) -> UseCaseResult<Vec<CalendarEntry>> {
    actor.require(Permission::ViewMonitoring)?;
    let rows = store::calendar_files(&mut app.db.read().await?).await?;
    let mut out: Vec<CalendarEntry> = WorkCalendar::built_in()
        .files()
        .iter()
        .map(|f| CalendarEntry {
            id: None,
            year: f.year,
            region: f.region.clone(),
            source: f.source.clone(),
            file: f.file.clone(),
            loaded_at: None,
            loaded_by: BUILT_IN_USER.into(),
            replaced: rows
                .iter()
                .any(|r| r.region_prefix == f.region && i32::from(r.year) == f.year),
        })
        .collect();
    for r in &rows {
        out.push(CalendarEntry {
            id: Some(r.id),
            year: i32::from(r.year),
            region: r.region_prefix.clone(),
            source: r.source.clone(),
            file: r.file_name.clone(),
            loaded_at: Some(r.loaded_at),
            loaded_by: r.loaded_by.clone(),
            replaced: rows.iter().any(|later| later.replaces == Some(r.id)),
        });
    }
    out.sort_by(|a, b| (&a.region, a.year, a.id).cmp(&(&b.region, b.year, b.id)));
    Ok(out)
}

/// How far a due date lies from its start (`monitoring.md` §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// The N-th working day strictly after the start.
    WorkingDays(u32),
    /// The start plus N calendar days.
    Days(u32),
}

/// The due date `span` after `from` in `region`'s calendar (national when
/// `None`). Working days walked over in a year with no national file are
/// an error naming the year, never a guess; calendar days need no loaded
/// year (holidays do not move them).
pub async fn due(
    app: &App,
    actor: &Actor,
    from: NaiveDate,
    span: Span,
    region: Option<&str>,
) -> UseCaseResult<NaiveDate> {
    actor.require(Permission::ViewMonitoring)?;
    let code = region
        .map(|r| {
            RegionCode::parse_prefix(r.trim()).map_err(|_| {
                UseCaseError::Invalid(format!("地区代码“{r}”无效：应为2、4、6、9或12位数字"))
            })
        })
        .transpose()?;
    match span {
        Span::Days(n) => cal::add_days(from, n).map_err(invalid),
        Span::WorkingDays(n) => {
            let prefix = region.map(str::trim).unwrap_or_default();
            let calendar = work_calendar(app, prefix).await?;
            calendar
                .add_working_days(from, n, code.as_ref())
                .map_err(invalid)
        }
    }
}
