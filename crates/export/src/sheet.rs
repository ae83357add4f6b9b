//! What a sheet looks like: its title and columns (Chinese header, width,
//! kind, and the few per-column options the templates need). A
//! description holds no rows; rows are streamed to a writer.

use std::borrow::Cow;

/// What a column holds.
///
/// Each [`crate::Value`] is written by its own type, so a column of
/// measures may mix counts, money and ratios (the simulation summary
/// does); the kind is what the column holds otherwise: it decides masking
/// and the XLSX number format of the column, which Excel applies to cells
/// typed in later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// Text that must stay as written: region codes, household numbers,
    /// ICD-10 codes, and in templates dates typed by hand. XLSX formats
    /// the column as text (`@`) so Excel keeps every digit of what is
    /// typed into it.
    Code,
    /// ID numbers: masked unless the column is [`Column::unmasked`];
    /// formatted as text like [`Kind::Code`].
    IdNumber,
    /// Phone numbers: masked like ID numbers.
    Phone,
    /// Whole numbers (counts, row numbers), in Excel's general format.
    Integer,
    /// Money in fen, shown as yuan with two decimals (XLSX: `#,##0.00`).
    Money,
    /// Ratios as fractions (0.8523 is 85.23 %; XLSX: `0.00%`).
    Percent,
    /// Dates (XLSX: `yyyy-mm-dd`).
    Date,
    /// Dates with time (XLSX: `yyyy-mm-dd hh:mm:ss`).
    DateTime,
}

impl Kind {
    /// True for the kinds whose values are masked by default.
    pub fn is_personal(self) -> bool {
        matches!(self, Kind::IdNumber | Kind::Phone)
    }
}

/// What Excel does when a value outside a [`Dropdown`]'s list is typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnOther {
    /// Refuse it, with this title and message.
    Refuse {
        /// Title of the error box.
        title: String,
        /// Its message.
        message: String,
    },
    /// Accept it after an informational note (for columns where several
    /// values may be typed into one cell).
    Inform,
}

/// A drop-down list on every data row of a column (import templates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropdown {
    /// The values offered (Excel allows 255 characters in all).
    pub choices: Vec<String>,
    /// Title of the prompt shown when the cell is selected.
    pub title: String,
    /// The prompt.
    pub message: String,
    /// What happens to other values.
    pub on_other: OnOther,
}

/// One column of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub(crate) header: Cow<'static, str>,
    pub(crate) kind: Kind,
    pub(crate) width: Option<f64>,
    pub(crate) unmasked: bool,
    pub(crate) wrap: bool,
    pub(crate) emphasised: bool,
    pub(crate) dropdown: Option<Dropdown>,
}

impl Column {
    /// A column of `kind` whose XLSX width fits its content.
    pub fn new(header: impl Into<Cow<'static, str>>, kind: Kind) -> Column {
        Column {
            header: header.into(),
            kind,
            width: None,
            unmasked: false,
            wrap: false,
            emphasised: false,
            dropdown: None,
        }
    }

    /// A [`Kind::Text`] column.
    pub fn text(header: impl Into<Cow<'static, str>>) -> Column {
        Column::new(header, Kind::Text)
    }

    /// The width in Excel's character units instead of fitting the content.
    pub fn width(mut self, width: f64) -> Column {
        self.width = Some(width);
        self
    }

    /// Shows ID or phone numbers in full: only for a caller that has
    /// checked the reader may see them (and audited it).
    pub fn unmasked(mut self) -> Column {
        self.unmasked = true;
        self
    }

    /// XLSX: wraps long text within the column's width.
    pub fn wrap(mut self) -> Column {
        self.wrap = true;
        self
    }

    /// XLSX: the header in red (a template's required columns).
    pub fn emphasised(mut self) -> Column {
        self.emphasised = true;
        self
    }

    /// XLSX: offers a drop-down list on every data row.
    pub fn dropdown(mut self, dropdown: Dropdown) -> Column {
        self.dropdown = Some(dropdown);
        self
    }

    /// The header.
    pub fn header(&self) -> &str {
        &self.header
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// True when values are masked.
    pub fn masks(&self) -> bool {
        self.kind.is_personal() && !self.unmasked
    }
}

/// A table to write: a title (the XLSX sheet name) and columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub(crate) title: Cow<'static, str>,
    pub(crate) columns: Vec<Column>,
    pub(crate) autofilter: bool,
}

impl Sheet {
    /// A sheet with a filter on its header. The title becomes the XLSX
    /// sheet name, made valid: `[]:*?/\` become `_` and it is cut to
    /// Excel's 31 characters.
    pub fn new(title: impl Into<Cow<'static, str>>, columns: Vec<Column>) -> Sheet {
        Sheet {
            title: title.into(),
            columns,
            autofilter: true,
        }
    }

    /// No filter on the header (templates, key-value sheets).
    pub fn without_autofilter(mut self) -> Sheet {
        self.autofilter = false;
        self
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }
}
