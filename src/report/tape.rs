//! The loan-level exports of `run --emit-tape`: the book at month 0 in the
//! import schema (`book.csv`, which `[book] file` reads back), and the
//! monthly panel of what every loan did on each emitted path (`tape.csv`).
//! Both are documented in docs/scenario.md ("Loan tapes").

use std::collections::HashMap;
use std::io::{self, Write};

use crate::loan::tape::LoanTape;
use crate::population::{Book, Cents, LoanOrigin, ProductKind};
use crate::scenario::Scenario;

/// Header of `book.csv`: the import schema's columns.
pub const BOOK_HEADER: &str = "loan_id,segment,product,amortisation,balance,limit,rate_monthly,term_months,\
payments_made,months_on_book,dpd,score,pd,lgd,fraud";

/// Header of `tape.csv`.
pub const TAPE_HEADER: &str = "path,loan_id,month,state,balance,principal_paid,interest_paid,drawn,charge_off,recovery";

/// An amount in cents as currency units with two decimals, exactly.
fn money(c: Cents) -> String {
    let sign = if c < 0 { "-" } else { "" };
    let a = c.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// The loan ids of a book as the tape writes them: the imported id, or the
/// synthetic applicant number.
pub struct LoanIds {
    by_stream: HashMap<u32, String>,
}

impl LoanIds {
    /// The ids of `book`'s loans.
    pub fn new(scenario: &Scenario, book: &Book, origins: &[LoanOrigin]) -> Self {
        let by_stream = book
            .loans
            .iter()
            .zip(origins)
            .filter_map(|(loan, o)| o.imported_row.map(|row| (loan.id, scenario.book[row].loan_id.clone())))
            .collect();
        LoanIds { by_stream }
    }

    /// The id of the loan whose streams are keyed by `stream`.
    pub fn of(&self, stream: u32) -> String {
        self.by_stream
            .get(&stream)
            .cloned()
            .unwrap_or_else(|| stream.to_string())
    }
}

/// One row of the exported book, typed: what `book.csv` and `book.parquet`
/// hold, column for column.
#[derive(Debug, Clone, PartialEq)]
pub struct BookRow<'a> {
    /// The loan's id: the imported id, or the synthetic applicant number.
    pub loan_id: String,
    /// Segment name.
    pub segment: &'a str,
    /// `revolving` or `installment`.
    pub product: &'static str,
    /// The amortisation of an installment loan (`None` for a revolving line).
    pub amortisation: Option<&'static str>,
    /// Balance, cents.
    pub balance: Cents,
    /// Limit, cents.
    pub limit: Cents,
    /// Monthly interest rate.
    pub rate_monthly: f64,
    /// Contractual term, months (0 for a revolving line).
    pub term_months: u32,
    /// Scheduled payments made.
    pub payments_made: u32,
    /// Months on book.
    pub months_on_book: u32,
    /// Days past due: 0, 30, 60 or 90.
    pub dpd: u32,
    /// Credit score.
    pub score: f64,
    /// The imported PD override.
    pub pd: Option<f64>,
    /// The imported LGD override.
    pub lgd: Option<f64>,
    /// Fraudulent account.
    pub fraud: bool,
}

/// The rows of the exported book, one per booked loan, in book order, such
/// that a scenario importing them (with no synthetic loans) runs bitwise
/// the same.
pub fn book_rows<'a>(
    scenario: &'a Scenario,
    book: &'a Book,
    origins: &'a [LoanOrigin],
) -> impl Iterator<Item = BookRow<'a>> + 'a {
    book.loans.iter().zip(origins).map(move |(loan, origin)| {
        let imported = origin.imported_row.map(|row| &scenario.book[row]);
        let (product, amortisation) = match loan.kind {
            ProductKind::Revolving => ("revolving", None),
            ProductKind::EqualInstallment => ("installment", Some("equal_installment")),
            ProductKind::EqualPrincipal => ("installment", Some("equal_principal")),
            ProductKind::Bullet => ("installment", Some("bullet")),
        };
        let (loan_id, term_months, payments_made, months_on_book) = match imported {
            Some(l) => (l.loan_id.clone(), l.term_months, l.payments_made, l.months_on_book),
            None => (loan.id.to_string(), loan.term_months as u32, 0, 0),
        };
        BookRow {
            loan_id,
            segment: &scenario.segments[loan.segment as usize].name,
            product,
            amortisation,
            balance: loan.balance,
            limit: loan.limit,
            rate_monthly: loan.rate_monthly,
            term_months,
            payments_made,
            months_on_book,
            dpd: 30 * loan.start_bucket as u32,
            score: origin.score,
            pd: imported.and_then(|l| l.pd),
            lgd: imported.and_then(|l| l.lgd),
            fraud: loan.fraud,
        }
    })
}

/// Writes `book.csv`: the [`book_rows`].
pub fn write_book_csv<W: Write>(
    out: &mut W,
    scenario: &Scenario,
    book: &Book,
    origins: &[LoanOrigin],
) -> io::Result<()> {
    writeln!(out, "{BOOK_HEADER}")?;
    let optional = |v: Option<f64>| v.map_or(String::new(), |x| x.to_string());
    for r in book_rows(scenario, book, origins) {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.loan_id),
            r.segment,
            r.product,
            r.amortisation.unwrap_or(""),
            money(r.balance),
            money(r.limit),
            r.rate_monthly,
            r.term_months,
            r.payments_made,
            r.months_on_book,
            r.dpd,
            r.score,
            optional(r.pd),
            optional(r.lgd),
            r.fraud,
        )?;
    }
    Ok(())
}

/// Writes `tape.csv`: every row of every emitted path, path by path, loans in
/// book order, months in order.
pub fn write_tape_csv<W: Write>(out: &mut W, tapes: &[(u64, &LoanTape)], ids: &LoanIds) -> io::Result<()> {
    writeln!(out, "{TAPE_HEADER}")?;
    for (path, tape) in tapes {
        let mut last: Option<(u32, String)> = None;
        for r in &tape.rows {
            let id = match &last {
                Some((stream, id)) if *stream == r.loan => id.clone(),
                _ => {
                    let id = csv_field(&ids.of(r.loan));
                    last = Some((r.loan, id.clone()));
                    id
                }
            };
            writeln!(
                out,
                "{path},{id},{},{},{},{},{},{},{},{}",
                r.month,
                r.state.as_str(),
                money(r.balance),
                money(r.principal_paid),
                money(r.interest_paid),
                money(r.drawn),
                money(r.charge_off),
                r.recovery,
            )?;
        }
    }
    Ok(())
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
