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

/// Writes `book.csv`: one row per booked loan, in book order, such that a
/// scenario importing it (with no synthetic loans) runs bitwise the same.
pub fn write_book_csv<W: Write>(
    out: &mut W,
    scenario: &Scenario,
    book: &Book,
    origins: &[LoanOrigin],
) -> io::Result<()> {
    writeln!(out, "{BOOK_HEADER}")?;
    for (loan, origin) in book.loans.iter().zip(origins) {
        let segment = &scenario.segments[loan.segment as usize].name;
        let imported = origin.imported_row.map(|row| &scenario.book[row]);
        let (product, amortisation) = match loan.kind {
            ProductKind::Revolving => ("revolving", ""),
            ProductKind::EqualInstallment => ("installment", "equal_installment"),
            ProductKind::EqualPrincipal => ("installment", "equal_principal"),
            ProductKind::Bullet => ("installment", "bullet"),
        };
        let (id, term, paid, on_book) = match imported {
            Some(l) => (l.loan_id.clone(), l.term_months, l.payments_made, l.months_on_book),
            None => (loan.id.to_string(), loan.term_months as u32, 0, 0),
        };
        let dpd = match loan.start_bucket {
            0 => 0,
            b => 30 * b as u32,
        };
        let optional = |v: Option<f64>| v.map_or(String::new(), |x| x.to_string());
        writeln!(
            out,
            "{},{segment},{product},{amortisation},{},{},{},{term},{paid},{on_book},{dpd},{},{},{},{}",
            csv_field(&id),
            money(loan.balance),
            money(loan.limit),
            loan.rate_monthly,
            origin.score,
            optional(imported.and_then(|l| l.pd)),
            optional(imported.and_then(|l| l.lgd)),
            loan.fraud,
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
