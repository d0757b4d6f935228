//! Reads a loan-level history (a book at month 0 and a monthly tape, in
//! the schema `run --emit-tape` writes) into what the estimators take: per
//! segment, the monthly transition counts of the factor model, the
//! revolving lines' repayment, draw and drawdown-at-miss ratios, and every
//! charge-off with its recoveries by lag.
//!
//! Pure: the caller passes the files' bytes, CSV or (with the `parquet`
//! feature) Parquet. Errors name the file, the line (Parquet: the data row)
//! and the column.

use std::collections::HashMap;

use super::factor_model::{CurrentCounts, FactorPanel, MonthCounts, PathCounts};
use crate::loan::tape::TapeState;
use crate::population::{Cents, to_cents};
use crate::scenario::{
    Amortisation, CellKind, ImportedLoan, ImportedProduct, MAX_HORIZON_MONTHS, ScenarioError, ScoreBands, StartState,
    TableFormat, TextRows, book_cell_kind, parse_book,
};

/// The columns of a tape file.
pub const TAPE_COLUMNS: [&str; 10] = [
    "path",
    "loan_id",
    "month",
    "state",
    "balance",
    "principal_paid",
    "interest_paid",
    "drawn",
    "charge_off",
    "recovery",
];

/// A book file read without a scenario: the segments are the names it uses,
/// in order of first appearance.
#[derive(Debug, Clone)]
pub struct HistoryBook {
    /// Segment names.
    pub segments: Vec<String>,
    /// The loans, checked as an imported book is.
    pub loans: Vec<ImportedLoan>,
}

/// Reads a book file (CSV or Parquet, by its extension) for calibration.
pub fn read_history_book(file: &str, bytes: &[u8]) -> Result<HistoryBook, ScenarioError> {
    // The segment names, in order of first appearance; a file that cannot
    // be read is refused by `parse_book` below, with the place.
    let mut segments: Vec<String> = Vec::new();
    if let Ok(mut reader) = TextRows::open(file, bytes, &book_cell_kind)
        && let Some(col) = reader.headers().iter().position(|c| c == "segment")
    {
        let mut record = csv::StringRecord::new();
        while let Ok(Some(_)) = reader.next_row(file, &mut record) {
            if let Some(name) = record.get(col)
                && !name.is_empty()
                && !segments.iter().any(|s| s == name)
            {
                segments.push(name.to_string());
            }
        }
    }
    // Rows without an amortisation take the annuity (the tape's writer
    // always names it for installment loans).
    let amortisation = vec![Amortisation::EqualInstallment; segments.len()];
    let loans = parse_book(file, bytes, &segments, &amortisation, 0)?;
    Ok(HistoryBook { segments, loans })
}

/// What each column of a tape may hold in a Parquet file.
pub fn tape_cell_kind(column: &str) -> Option<CellKind> {
    Some(match column {
        "path" | "month" => CellKind::Whole,
        "loan_id" => CellKind::Id,
        "state" => CellKind::Text,
        "balance" | "principal_paid" | "interest_paid" | "drawn" | "charge_off" | "recovery" => CellKind::Number,
        _ => return None,
    })
}

/// One charge-off of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargeOff {
    /// Month of the charge-off (1-based).
    pub month: u32,
    /// Exposure at default, currency units.
    pub ead: f64,
    /// Recovery cash by months after the charge-off (index 0: its own month).
    pub recoveries: Vec<f64>,
}

/// What one segment's history holds.
#[derive(Debug, Clone, Default)]
pub struct SegmentHistory {
    /// Monthly transition counts per path, grades = score bands.
    pub panel: FactorPanel,
    /// Whether any loan was ever delinquent (buckets in the data).
    pub delinquency: bool,
    /// Revolving current months of lines never delinquent before: sum of balances at the start.
    pub revolving_balance: f64,
    /// Revolving current months: sum of principal repaid.
    pub revolving_repaid: f64,
    /// Revolving current months: sum of undrawn limit at the start.
    pub revolving_undrawn: f64,
    /// Revolving current months: sum of draws.
    pub revolving_drawn: f64,
    /// Revolving first misses (the line's first delinquency): sum of undrawn limit before the miss.
    pub miss_undrawn: f64,
    /// Revolving first misses: sum of the balance increase at the miss.
    pub miss_drawdown: f64,
    /// Charge-offs of non-fraudulent loans.
    pub charge_offs: Vec<ChargeOff>,
    /// Loans of the segment in the book (all, fraud included).
    pub loans: u64,
}

/// A tape read against its book.
#[derive(Debug, Clone)]
pub struct History {
    /// Per segment, in the book's order.
    pub segments: Vec<SegmentHistory>,
    /// Months of the tape (its largest month).
    pub months: usize,
    /// Path labels in order of appearance.
    pub paths: Vec<u64>,
    /// Rows read.
    pub rows: u64,
}

/// One row of a tape, parsed.
struct Row {
    path: u64,
    loan: usize,
    month: u32,
    state: TapeState,
    balance: Cents,
    principal_paid: Cents,
    drawn: Cents,
    charge_off: Cents,
    recovery: f64,
    line: u64,
}

/// Reads `tape` (CSV or Parquet, by `file`'s extension) against `book`;
/// `bands` grade the loans by score. Rows must be grouped by path, then by
/// loan, months increasing within a loan.
pub fn read_history(
    file: &str,
    bytes: &[u8],
    book: &HistoryBook,
    bands: &ScoreBands,
) -> Result<History, ScenarioError> {
    let format = TableFormat::of(file);
    check_history(file, format, bytes, book, bands).map_err(|e| format.locate(e))
}

/// [`read_history`] with the positions of errors in lines (or data rows).
fn check_history(
    file: &str,
    format: TableFormat,
    bytes: &[u8],
    book: &HistoryBook,
    bands: &ScoreBands,
) -> Result<History, ScenarioError> {
    let error = |line: Option<u64>, column: Option<&str>, problem: String| ScenarioError::Data {
        file: file.to_string(),
        line,
        column: column.map(str::to_string),
        problem,
    };
    let by_id: HashMap<&str, usize> = book
        .loans
        .iter()
        .enumerate()
        .map(|(i, l)| (l.loan_id.as_str(), i))
        .collect();
    let mut reader = TextRows::open(file, bytes, &tape_cell_kind)?;
    let headers = reader.headers().clone();
    let mut index = [0usize; TAPE_COLUMNS.len()];
    for (k, name) in TAPE_COLUMNS.iter().enumerate() {
        index[k] = headers
            .iter()
            .position(|h| h == *name)
            .ok_or_else(|| error(format.header_position(), Some(name), "required column missing".into()))?;
    }
    // First pass: parse and check every row.
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = reader.next_row(file, &mut record)? {
        let cell = |k: usize| record.get(index[k]).unwrap_or("");
        let fail = |k: usize, problem: String| error(Some(line), Some(TAPE_COLUMNS[k]), problem);
        let whole = |k: usize| {
            cell(k)
                .parse::<u64>()
                .map_err(|_| fail(k, format!("expected a whole number, got {:?}", cell(k))))
        };
        let amount = |k: usize| -> Result<f64, ScenarioError> {
            let v: f64 = cell(k)
                .parse()
                .map_err(|_| fail(k, format!("expected a number, got {:?}", cell(k))))?;
            if !v.is_finite() || v < 0.0 {
                return Err(fail(k, format!("must be a finite amount, 0 or more, got {v}")));
            }
            Ok(v)
        };
        let loan = *by_id
            .get(cell(1))
            .ok_or_else(|| fail(1, format!("loan {:?} is not in the book", cell(1))))?;
        let month = whole(2)?;
        if month == 0 || month > u64::from(MAX_HORIZON_MONTHS) {
            return Err(fail(2, format!("must be in 1..={MAX_HORIZON_MONTHS}, got {month}")));
        }
        let state = TapeState::parse(cell(3)).ok_or_else(|| {
            fail(
                3,
                format!(
                    "expected current, dpd30, dpd60, dpd90, charged_off, recovery, prepaid, repaid or plan, got {:?}",
                    cell(3)
                ),
            )
        })?;
        rows.push(Row {
            path: whole(0)?,
            loan,
            month: month as u32,
            state,
            balance: to_cents(amount(4)?),
            principal_paid: to_cents(amount(5)?),
            drawn: to_cents(amount(7)?),
            charge_off: to_cents(amount(8)?),
            recovery: amount(9)?,
            line,
        });
        let _ = amount(6)?;
    }
    if rows.is_empty() {
        let problem = match format {
            TableFormat::Csv => "no rows (only a header row)",
            TableFormat::Parquet => "no rows",
        };
        return Err(error(None, None, problem.into()));
    }
    let months = rows.iter().map(|r| r.month).max().unwrap_or(0) as usize;
    let grades = bands.len();
    let empty_month = || MonthCounts {
        current: vec![CurrentCounts::default(); grades],
        buckets: Default::default(),
    };
    let mut segments: Vec<SegmentHistory> = (0..book.segments.len()).map(|_| SegmentHistory::default()).collect();
    for l in &book.loans {
        segments[l.segment].loans += 1;
    }
    let mut paths: Vec<u64> = Vec::new();
    let mut seen_groups: HashMap<(u64, usize), u64> = HashMap::new();

    // Second pass: one (path, loan) group at a time.
    let mut start = 0;
    while start < rows.len() {
        let (path, loan) = (rows[start].path, rows[start].loan);
        let mut end = start + 1;
        while end < rows.len() && rows[end].path == path && rows[end].loan == loan {
            end += 1;
        }
        if let Some(first) = seen_groups.insert((path, loan), rows[start].line) {
            return Err(error(
                Some(rows[start].line),
                Some("loan_id"),
                format!(
                    "rows of loan {:?} on path {path} are not together (also at {} {first}); sort the tape by path, loan and month",
                    book.loans[loan].loan_id,
                    format.position_word()
                ),
            ));
        }
        let path_index = match paths.iter().position(|&p| p == path) {
            Some(i) => i,
            None => {
                paths.push(path);
                for seg in &mut segments {
                    seg.panel.paths.push(PathCounts {
                        months: (0..months).map(|_| empty_month()).collect(),
                    });
                }
                paths.len() - 1
            }
        };
        let l = &book.loans[loan];
        let grade = bands.band_of(l.score);
        let seg = &mut segments[l.segment];
        walk_loan(l, grade, &rows[start..end], path_index, seg, months)
            .map_err(|(line, column, problem)| error(Some(line), Some(column), problem))?;
        start = end;
    }
    Ok(History {
        segments,
        months,
        paths,
        rows: rows.len() as u64,
    })
}

/// Where a loan is at the end of a month, for counting.
#[derive(Clone, Copy, PartialEq)]
enum Status {
    Current,
    Bucket(usize),
    Closed,
}

/// Adds one loan's months on one path to the counts.
fn walk_loan(
    loan: &ImportedLoan,
    grade: usize,
    rows: &[Row],
    path: usize,
    seg: &mut SegmentHistory,
    months: usize,
) -> Result<(), (u64, &'static str, String)> {
    let revolving = loan.product == ImportedProduct::Revolving;
    let mut status = match loan.state {
        StartState::Current => Status::Current,
        StartState::Delinquent(b) => Status::Bucket(b as usize),
    };
    let (mut balance, limit) = (loan.balance, loan.limit);
    // A line that was ever delinquent may be suspended for good (no draws,
    // no drawdown at a miss): its draws say nothing of the draw rates.
    let mut ever_delinquent = status != Status::Current;
    let mut charge_off: Option<ChargeOff> = None;
    let mut expected = 1u32;
    for r in rows {
        if r.month < expected {
            return Err((
                r.line,
                "month",
                format!("month {} is out of order for this loan", r.month),
            ));
        }
        if status != Status::Closed && r.month != expected {
            return Err((
                r.line,
                "month",
                format!("the loan is open but has no row for month {expected}"),
            ));
        }
        expected = r.month + 1;
        if status == Status::Closed {
            match (&mut charge_off, r.state) {
                (Some(co), TapeState::Recovery) => {
                    let lag = (r.month - co.month) as usize;
                    if co.recoveries.len() <= lag {
                        co.recoveries.resize(lag + 1, 0.0);
                    }
                    co.recoveries[lag] += r.recovery;
                    continue;
                }
                _ => {
                    return Err((
                        r.line,
                        "state",
                        format!("a {} row after the loan closed", r.state.as_str()),
                    ));
                }
            }
        }
        let t = r.month as usize - 1;
        if loan.fraud {
            // Fraud never pays: it is not credit behaviour to fit.
        } else {
            match status {
                Status::Current => {
                    let cell = &mut seg.panel.paths[path].months[t].current[grade];
                    cell.at_risk += 1;
                    match r.state {
                        TapeState::Dpd30 | TapeState::Plan | TapeState::ChargedOff => cell.missed += 1,
                        TapeState::Prepaid => cell.prepaid += 1,
                        _ => {}
                    }
                    if revolving && !ever_delinquent {
                        if r.state == TapeState::Current {
                            seg.revolving_balance += balance as f64;
                            seg.revolving_repaid += r.principal_paid as f64;
                            seg.revolving_undrawn += (limit - balance).max(0) as f64;
                            seg.revolving_drawn += r.drawn as f64;
                        } else if r.state == TapeState::Dpd30 {
                            seg.miss_undrawn += (limit - balance).max(0) as f64;
                            seg.miss_drawdown += (r.balance - balance).max(0) as f64;
                        }
                    }
                }
                Status::Bucket(b) => {
                    let cell = &mut seg.panel.paths[path].months[t].buckets[b];
                    cell.at_risk += 1;
                    match r.state {
                        TapeState::Current => cell.cured += 1,
                        TapeState::ChargedOff => cell.rolled += 1,
                        s if s.bucket() == Some(b + 1) => cell.rolled += 1,
                        s if s.bucket() == Some(b) => {}
                        other => {
                            return Err((
                                r.line,
                                "state",
                                format!("{} after {} days past due", other.as_str(), 30 * (b + 1)),
                            ));
                        }
                    }
                }
                Status::Closed => unreachable!("handled above"),
            }
        }
        status = match r.state {
            TapeState::Current | TapeState::Plan => Status::Current,
            TapeState::Dpd30 | TapeState::Dpd60 | TapeState::Dpd90 => {
                seg.delinquency = true;
                ever_delinquent = true;
                Status::Bucket(r.state.bucket().unwrap_or(0))
            }
            TapeState::ChargedOff => {
                charge_off = Some(ChargeOff {
                    month: r.month,
                    ead: r.charge_off as f64 / 100.0,
                    recoveries: vec![r.recovery],
                });
                Status::Closed
            }
            TapeState::Prepaid | TapeState::Repaid => Status::Closed,
            TapeState::Recovery => {
                return Err((r.line, "state", "a recovery row before any charge-off".into()));
            }
        };
        balance = r.balance;
    }
    if status != Status::Closed && (expected as usize) <= months {
        let line = rows.last().map_or(0, |r| r.line);
        return Err((
            line,
            "month",
            format!(
                "the loan is still open after month {} but the tape runs to month {months}",
                expected - 1
            ),
        ));
    }
    if let Some(co) = charge_off
        && !loan.fraud
    {
        seg.charge_offs.push(co);
    }
    Ok(())
}
