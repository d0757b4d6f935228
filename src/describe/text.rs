//! Plain-text numbers and tables for the terminal and for the inputs
//! description (money to the cent, percentages to three decimals, aligned
//! tables): one set of rules for `validate`, `run`'s table and the inputs
//! table of report.html.

use std::fmt::Write;

/// `1234567.891` -> `1,234,567.89`.
pub fn money(x: f64) -> String {
    let neg = x < 0.0;
    let cents = (x.abs() * 100.0).round() as u128;
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{:02}", if neg { "-" } else { "" }, cents % 100)
}

/// A fraction as a percentage with 3 decimals.
pub fn percent(x: f64) -> String {
    format!("{:.3}%", 100.0 * x)
}

/// A correlation-like number to 4 significant decimals, trailing zeros dropped: `0.04`, `0.0123`.
pub fn decimal(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() { "0".to_string() } else { s.to_string() }
}

/// Renders rows of cells as an aligned table (first column left, others right).
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            if c == 0 {
                let _ = write!(out, "{cell:<w$}", w = widths[c]);
            } else {
                let _ = write!(out, "  {cell:>w$}", w = widths[c]);
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(1234567.891), "1,234,567.89");
        assert_eq!(money(0.5), "0.50");
        assert_eq!(money(-1000.0), "-1,000.00");
        assert_eq!(money(999.999), "1,000.00");
    }

    #[test]
    fn tables_align_the_first_column_left_and_the_others_right() {
        let rows = vec![vec!["a".to_string(), "1".into()], vec!["bbb".to_string(), "22".into()]];
        assert_eq!(table(&rows), "a     1\nbbb  22\n");
    }
}
