//! `[book]`: the current portfolio imported loan by loan from a CSV file
//! (or a Parquet file, with the `parquet` feature), instead of (or beside)
//! the synthetic segments.
//!
//! Every row is checked here, once: a bad value is refused with the file,
//! the line (a Parquet file: the data row) and the column named, and
//! nothing runs. The columns are
//! documented in `docs/scenario.md` ("Importing a book").

use serde::{Deserialize, Serialize};

use super::{Amortisation, CellKind, SCORE_MAX, SCORE_MIN, ScenarioError, TableFormat, TextRows};
use crate::population::Cents;

/// `[book]` in the scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookSection {
    /// Loan-level CSV of the current portfolio, relative to the scenario's folder.
    pub file: String,
}

/// Days-past-due state of an imported loan at the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StartState {
    /// Paying on time.
    Current,
    /// Delinquent in bucket 0 (30), 1 (60) or 2 (90+ days past due).
    Delinquent(u8),
}

/// The product of an imported loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportedProduct {
    /// A revolving line.
    Revolving,
    /// An installment loan with this amortisation.
    Installment(Amortisation),
}

/// One loan of an imported book, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedLoan {
    /// The loan's id as written in the file.
    pub loan_id: String,
    /// Key of the loan's random streams: the id itself when every id of the
    /// file is an integer below 2^32, else the loan's data row (0-based).
    pub stream_id: u32,
    /// Index of the loan's segment.
    pub segment: usize,
    /// Product.
    pub product: ImportedProduct,
    /// Outstanding (installment) or drawn (revolving) balance, cents.
    pub balance: Cents,
    /// Credit limit, cents.
    pub limit: Cents,
    /// Monthly interest rate.
    pub rate_monthly: f64,
    /// Contractual term in months (installment; 0 for revolving lines).
    pub term_months: u32,
    /// Scheduled payments already made (installment; 0 for revolving lines).
    pub payments_made: u32,
    /// Months since the loan was booked.
    pub months_on_book: u32,
    /// Days-past-due state at the start.
    pub state: StartState,
    /// Credit score.
    pub score: f64,
    /// PD over the scenario's PD period, overriding the segment's scorecard.
    pub pd: Option<f64>,
    /// Loss share at charge-off, overriding the segment's LGD distribution
    /// (fixed: no draw, no macro sensitivity).
    pub lgd: Option<f64>,
    /// A fraudulent account that will never pay.
    pub fraud: bool,
}

impl ImportedLoan {
    /// Payments still due on an installment loan (0 for revolving lines).
    pub fn remaining_term(&self) -> u32 {
        self.term_months - self.payments_made
    }
}

/// Columns a book file must have.
pub const REQUIRED_COLUMNS: [&str; 8] = [
    "loan_id",
    "segment",
    "product",
    "balance",
    "limit",
    "score",
    "term_months",
    "dpd",
];

/// Columns a book file may have (besides the required ones); exactly one of
/// `rate_monthly` and `rate_annual_nominal` is required.
pub const OPTIONAL_COLUMNS: [&str; 8] = [
    "amortisation",
    "rate_monthly",
    "rate_annual_nominal",
    "payments_made",
    "months_on_book",
    "pd",
    "lgd",
    "fraud",
];

/// What each column of a book may hold in a Parquet file.
pub fn book_cell_kind(column: &str) -> Option<CellKind> {
    Some(match column {
        "loan_id" => CellKind::Id,
        "segment" | "product" | "amortisation" => CellKind::Text,
        "balance" | "limit" | "score" | "rate_monthly" | "rate_annual_nominal" | "pd" | "lgd" => CellKind::Number,
        "term_months" | "dpd" | "payments_made" | "months_on_book" => CellKind::Whole,
        "fraud" => CellKind::Flag,
        _ => return None,
    })
}

/// Parses and checks a book file, CSV or Parquet by `file`'s extension
/// (Parquet cells are checked as the text of their CSV twin, see
/// [`TextRows`]). `file` is the name used in errors;
/// `segment_names` and `segment_amortisation` come from the scenario, and
/// `synthetic_ids` is the number of synthetic applicants (whose stream keys
/// are `0..synthetic_ids`): imported loans beside them are keyed after them.
pub fn parse_book(
    file: &str,
    bytes: &[u8],
    segment_names: &[String],
    segment_amortisation: &[Amortisation],
    synthetic_ids: u64,
) -> Result<Vec<ImportedLoan>, ScenarioError> {
    let format = TableFormat::of(file);
    check_book(file, format, bytes, segment_names, segment_amortisation, synthetic_ids).map_err(|e| format.locate(e))
}

/// [`parse_book`] with the positions of errors in lines (or data rows).
fn check_book(
    file: &str,
    format: TableFormat,
    bytes: &[u8],
    segment_names: &[String],
    segment_amortisation: &[Amortisation],
    synthetic_ids: u64,
) -> Result<Vec<ImportedLoan>, ScenarioError> {
    let error = |line: Option<u64>, column: Option<&str>, problem: String| ScenarioError::Data {
        file: file.to_string(),
        line,
        column: column.map(str::to_string),
        problem,
    };
    let header = format.header_position();
    let mut reader = TextRows::open(file, bytes, &book_cell_kind)?;
    let headers = reader.headers().clone();
    let mut index = std::collections::HashMap::new();
    for (i, name) in headers.iter().enumerate() {
        if !REQUIRED_COLUMNS.contains(&name) && !OPTIONAL_COLUMNS.contains(&name) {
            return Err(error(
                header,
                Some(name),
                format!(
                    "unknown column; the columns are {} (required) and {} (optional)",
                    REQUIRED_COLUMNS.join(", "),
                    OPTIONAL_COLUMNS.join(", ")
                ),
            ));
        }
        if index.insert(name.to_string(), i).is_some() {
            return Err(error(header, Some(name), "column given twice".into()));
        }
    }
    for name in REQUIRED_COLUMNS {
        if !index.contains_key(name) {
            return Err(error(header, Some(name), "required column missing".into()));
        }
    }
    let rate_column = match (
        index.contains_key("rate_monthly"),
        index.contains_key("rate_annual_nominal"),
    ) {
        (true, false) => "rate_monthly",
        (false, true) => "rate_annual_nominal",
        (true, true) => {
            return Err(error(
                header,
                Some("rate_annual_nominal"),
                "give rate_monthly or rate_annual_nominal, not both".into(),
            ));
        }
        (false, false) => {
            return Err(error(
                header,
                Some("rate_monthly"),
                "required column missing (or rate_annual_nominal, 12 times the monthly rate)".into(),
            ));
        }
    };

    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = reader.next_row(file, &mut record)? {
        let row = Row {
            file,
            record: &record,
            index: &index,
            line,
        };
        rows.push(parse_row(&row, rate_column, segment_names, segment_amortisation)?);
    }
    if rows.is_empty() {
        let problem = match format {
            TableFormat::Csv => "no loans (only a header row)",
            TableFormat::Parquet => "no loans (no rows)",
        };
        return Err(error(None, None, problem.into()));
    }
    assign_stream_ids(file, &mut rows, synthetic_ids)?;
    Ok(rows)
}

/// One data row and where it is.
struct Row<'a> {
    file: &'a str,
    record: &'a csv::StringRecord,
    index: &'a std::collections::HashMap<String, usize>,
    line: u64,
}

impl Row<'_> {
    /// The cell of column `name` ("" when the column is absent).
    fn cell(&self, name: &str) -> &str {
        self.index.get(name).and_then(|&i| self.record.get(i)).unwrap_or("")
    }

    /// The error for column `name` of this row.
    fn fail(&self, name: &str, problem: String) -> ScenarioError {
        ScenarioError::Data {
            file: self.file.to_string(),
            line: Some(self.line),
            column: Some(name.to_string()),
            problem,
        }
    }
}

/// One row, checked.
fn parse_row(
    row: &Row,
    rate_column: &str,
    segment_names: &[String],
    segment_amortisation: &[Amortisation],
) -> Result<ImportedLoan, ScenarioError> {
    let cell = |name: &str| row.cell(name);
    let fail = |name: &str, problem: String| row.fail(name, problem);
    let number = |name: &str| -> Result<f64, ScenarioError> {
        let text = cell(name);
        let value: f64 = text
            .parse()
            .map_err(|_| fail(name, format!("expected a number, got {text:?}")))?;
        if !value.is_finite() {
            return Err(fail(name, format!("must be finite, got {text}")));
        }
        Ok(value)
    };
    let optional_number = |name: &str| -> Result<Option<f64>, ScenarioError> {
        if cell(name).is_empty() {
            Ok(None)
        } else {
            number(name).map(Some)
        }
    };
    let whole = |name: &str, default: Option<u32>| -> Result<u32, ScenarioError> {
        let text = cell(name);
        if text.is_empty() {
            return default.ok_or_else(|| fail(name, "a value is required".into()));
        }
        text.parse::<u32>().map_err(|_| {
            fail(
                name,
                format!("expected a whole number of months (0 or more), got {text:?}"),
            )
        })
    };
    let money = |name: &str| -> Result<Cents, ScenarioError> {
        let value = number(name)?;
        if value < 0.0 {
            return Err(fail(name, format!("must be 0 or more, got {value}")));
        }
        if value > MAX_AMOUNT {
            return Err(fail(name, format!("at most {MAX_AMOUNT} per loan, got {value}")));
        }
        Ok(crate::population::to_cents(value))
    };

    let loan_id = cell("loan_id").to_string();
    if loan_id.is_empty() {
        return Err(fail("loan_id", "a value is required".into()));
    }
    let segment_text = cell("segment");
    let segment = segment_names.iter().position(|n| n == segment_text).ok_or_else(|| {
        fail(
            "segment",
            format!(
                "no segment named {segment_text:?} in the scenario (segments: {})",
                segment_names.join(", ")
            ),
        )
    })?;
    let product = match cell("product") {
        "revolving" => ImportedProduct::Revolving,
        "installment" => {
            let amortisation = match cell("amortisation") {
                "" => segment_amortisation[segment],
                "equal_installment" => Amortisation::EqualInstallment,
                "equal_principal" => Amortisation::EqualPrincipal,
                "bullet" => Amortisation::Bullet,
                other => {
                    return Err(fail(
                        "amortisation",
                        format!("expected equal_installment, equal_principal or bullet, got {other:?}"),
                    ));
                }
            };
            ImportedProduct::Installment(amortisation)
        }
        other => {
            return Err(fail(
                "product",
                format!("expected revolving or installment, got {other:?}"),
            ));
        }
    };
    if product == ImportedProduct::Revolving && !cell("amortisation").is_empty() {
        return Err(fail(
            "amortisation",
            "a revolving line has no amortisation; leave it empty".into(),
        ));
    }
    let balance = money("balance")?;
    let limit = money("limit")?;
    if balance > limit {
        return Err(fail(
            "balance",
            format!("{} is above the limit {}", balance as f64 / 100.0, limit as f64 / 100.0),
        ));
    }
    let rate = number(rate_column)?;
    let rate_monthly = if rate_column == "rate_monthly" {
        rate
    } else {
        rate / 12.0
    };
    if !(0.0..=MAX_MONTHLY_RATE).contains(&rate_monthly) {
        return Err(fail(
            rate_column,
            format!("the monthly rate must be in [0, {MAX_MONTHLY_RATE}], got {rate_monthly}"),
        ));
    }
    let (term_months, payments_made) = match product {
        ImportedProduct::Revolving => {
            for name in ["term_months", "payments_made"] {
                if !matches!(cell(name), "" | "0") {
                    return Err(fail(
                        name,
                        format!(
                            "a revolving line has no term; give 0 or leave it empty, got {:?}",
                            cell(name)
                        ),
                    ));
                }
            }
            (0, 0)
        }
        ImportedProduct::Installment(_) => {
            let term = whole("term_months", None)?;
            if !(1..=MAX_TERM_MONTHS).contains(&term) {
                return Err(fail(
                    "term_months",
                    format!("must be in 1..={MAX_TERM_MONTHS}, got {term}"),
                ));
            }
            let paid = whole("payments_made", Some(0))?;
            if paid >= term {
                return Err(fail(
                    "payments_made",
                    format!("must be below term_months ({term}); a repaid loan is not in the book, got {paid}"),
                ));
            }
            if balance < (term - paid) as Cents {
                return Err(fail(
                    "balance",
                    format!(
                        "an installment loan with {} payments to go needs at least one cent per payment",
                        term - paid
                    ),
                ));
            }
            (term, paid)
        }
    };
    let months_on_book = whole("months_on_book", Some(payments_made))?;
    let state = match cell("dpd") {
        "0" => StartState::Current,
        "30" => StartState::Delinquent(0),
        "60" => StartState::Delinquent(1),
        "90" => StartState::Delinquent(2),
        other => {
            return Err(fail(
                "dpd",
                format!("expected 0, 30, 60 or 90 (days past due), got {other:?}"),
            ));
        }
    };
    let score = number("score")?;
    if !(SCORE_MIN..=SCORE_MAX).contains(&score) {
        return Err(fail(
            "score",
            format!("must be in [{SCORE_MIN}, {SCORE_MAX}], got {score}"),
        ));
    }
    let pd = optional_number("pd")?;
    if let Some(p) = pd
        && !(p > 0.0 && p < 1.0)
    {
        return Err(fail("pd", format!("must be in (0, 1), got {p}")));
    }
    let lgd = optional_number("lgd")?;
    if let Some(l) = lgd
        && !(0.0..=1.0).contains(&l)
    {
        return Err(fail("lgd", format!("must be in [0, 1], got {l}")));
    }
    let fraud = match cell("fraud") {
        "" | "false" | "0" => false,
        "true" | "1" => true,
        other => return Err(fail("fraud", format!("expected true or false, got {other:?}"))),
    };
    Ok(ImportedLoan {
        loan_id,
        stream_id: 0,
        segment,
        product,
        balance,
        limit,
        rate_monthly,
        term_months,
        payments_made,
        months_on_book,
        state,
        score,
        pd,
        lgd,
        fraud,
    })
}

/// Largest balance or limit of one loan (currency units), the synthetic
/// segments' largest limit: cent totals stay exact.
pub const MAX_AMOUNT: f64 = super::validate::MAX_LIMIT;
/// Largest monthly rate (100% a month).
pub const MAX_MONTHLY_RATE: f64 = 1.0;
/// Longest installment term (months).
pub const MAX_TERM_MONTHS: u32 = 600;

/// Unique ids. Stream keys: the ids themselves when every id is a distinct
/// integer below 2^32 and no synthetic loan shares the keys (so an exported
/// synthetic book reproduces its run bitwise); else `synthetic_ids + row`.
fn assign_stream_ids(file: &str, rows: &mut [ImportedLoan], synthetic_ids: u64) -> Result<(), ScenarioError> {
    let mut seen = std::collections::HashMap::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if let Some(first) = seen.insert(row.loan_id.clone(), i) {
            return Err(ScenarioError::Data {
                file: file.to_string(),
                line: None,
                column: Some("loan_id".into()),
                problem: format!(
                    "loan_id {:?} appears twice (data rows {} and {})",
                    row.loan_id,
                    first + 1,
                    i + 1
                ),
            });
        }
    }
    if synthetic_ids + rows.len() as u64 > u32::MAX as u64 + 1 {
        return Err(ScenarioError::Data {
            file: file.to_string(),
            line: None,
            column: None,
            problem: format!(
                "at most {} loans in all, synthetic and imported",
                u64::from(u32::MAX) + 1
            ),
        });
    }
    let numeric: Option<Vec<u32>> = rows.iter().map(|r| r.loan_id.parse::<u32>().ok()).collect();
    let distinct = |ids: &[u32]| {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        sorted.windows(2).all(|w| w[0] != w[1])
    };
    match numeric {
        Some(ids) if synthetic_ids == 0 && distinct(&ids) => {
            rows.iter_mut().zip(ids).for_each(|(r, id)| r.stream_id = id)
        }
        _ => rows
            .iter_mut()
            .enumerate()
            .for_each(|(i, r)| r.stream_id = (synthetic_ids + i as u64) as u32),
    }
    Ok(())
}
