//! Values in and out of both engines: [`Value`], what a statement binds,
//! and the bounds a decoded row ([`Row`]) or column ([`Scalar`]) meets on
//! SQLite and PostgreSQL alike.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Decode, FromRow, Postgres, Sqlite, Type};

use crate::Result;

/// A row type both engines decode: `#[derive(sqlx::FromRow)]` structs and
/// tuples of [`Scalar`]s.
pub trait Row: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> {}

impl<T> Row for T where T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>
{}

/// A single column both engines decode (`i64`, `String`, `Option<…>`, …).
pub trait Scalar:
    Send
    + Unpin
    + for<'r> Decode<'r, Sqlite>
    + Type<Sqlite>
    + for<'r> Decode<'r, Postgres>
    + Type<Postgres>
{
}

impl<T> Scalar for T where
    T: Send
        + Unpin
        + for<'r> Decode<'r, Sqlite>
        + Type<Sqlite>
        + for<'r> Decode<'r, Postgres>
        + Type<Postgres>
{
}

/// A bound value. Each variant binds exactly the Rust type the column
/// or function argument expects, because PostgreSQL types its parameters
/// from the binding (`substr(text, $1)` needs an `INTEGER`, not a
/// `BIGINT`; a `NULL` compared with a `TIMESTAMPTZ` must be one).
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// `TEXT`.
    Text(&'a str),
    /// `BIGINT`.
    Int(i64),
    /// `INTEGER`.
    Int32(i32),
    /// `SMALLINT`.
    Int16(i16),
    /// `BOOLEAN`.
    Bool(bool),
    /// `DATE`.
    Date(NaiveDate),
    /// `TIMESTAMPTZ`.
    Timestamp(DateTime<Utc>),
    /// A local time without zone (`TIMESTAMP`).
    LocalTime(NaiveDateTime),
    /// Bytes (`BLOB` on SQLite, `BYTEA` on PostgreSQL).
    Bytes(&'a [u8]),
    /// `NULL` of a type.
    Null(Kind),
}

/// The type of a `NULL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `TEXT`.
    Text,
    /// `BIGINT`.
    Int,
    /// `BOOLEAN`.
    Bool,
    /// `DATE`.
    Date,
    /// `TIMESTAMPTZ`.
    Timestamp,
    /// `TIMESTAMP`.
    LocalTime,
}

macro_rules! from_plain {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Value<'_> {
            fn from(v: $t) -> Self {
                Value::$variant(v)
            }
        }
    )*};
}

from_plain!(
    i64 => Int,
    i32 => Int32,
    i16 => Int16,
    bool => Bool,
    NaiveDate => Date,
    DateTime<Utc> => Timestamp,
    NaiveDateTime => LocalTime,
);

macro_rules! from_option {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<Option<$t>> for Value<'_> {
            fn from(v: Option<$t>) -> Self {
                v.map_or(Value::Null(Kind::$variant), Value::$variant)
            }
        }
    )*};
}

from_option!(
    i64 => Int,
    bool => Bool,
    NaiveDate => Date,
    DateTime<Utc> => Timestamp,
    NaiveDateTime => LocalTime,
);

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(s)
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(s: &'a String) -> Self {
        Value::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Value::Null(Kind::Text), Value::Text)
    }
}

impl<'a> From<&'a Option<String>> for Value<'a> {
    fn from(s: &'a Option<String>) -> Self {
        s.as_deref().into()
    }
}

/// The arguments of a SQLite statement.
pub(super) fn sqlite_args<'v, 'a: 'v>(
    values: impl IntoIterator<Item = &'v Value<'a>>,
) -> Result<SqliteArguments> {
    let mut args = SqliteArguments::default();
    for v in values {
        let added = match *v {
            Value::Text(s) => args.add(s),
            Value::Int(i) => args.add(i),
            Value::Int32(i) => args.add(i),
            Value::Int16(i) => args.add(i),
            Value::Bool(b) => args.add(b),
            Value::Date(d) => args.add(d),
            Value::Timestamp(t) => args.add(t),
            Value::LocalTime(t) => args.add(t),
            Value::Bytes(b) => args.add(b),
            // SQLite's NULL has no type.
            Value::Null(_) => args.add(Option::<String>::None),
        };
        added.map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

/// The arguments of a PostgreSQL statement.
pub(super) fn pg_args(values: &[Value<'_>]) -> Result<PgArguments> {
    let mut args = PgArguments::default();
    for v in values {
        let added = match *v {
            Value::Text(s) => args.add(s),
            Value::Int(i) => args.add(i),
            Value::Int32(i) => args.add(i),
            Value::Int16(i) => args.add(i),
            Value::Bool(b) => args.add(b),
            Value::Date(d) => args.add(d),
            Value::Timestamp(t) => args.add(t),
            Value::LocalTime(t) => args.add(t),
            Value::Bytes(b) => args.add(b),
            Value::Null(kind) => pg_null(&mut args, kind),
        };
        added.map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

fn pg_null(
    args: &mut PgArguments,
    kind: Kind,
) -> std::result::Result<(), sqlx::error::BoxDynError> {
    match kind {
        Kind::Text => args.add(Option::<String>::None),
        Kind::Int => args.add(Option::<i64>::None),
        Kind::Bool => args.add(Option::<bool>::None),
        Kind::Date => args.add(Option::<NaiveDate>::None),
        Kind::Timestamp => args.add(Option::<DateTime<Utc>>::None),
        Kind::LocalTime => args.add(Option::<NaiveDateTime>::None),
    }
}
