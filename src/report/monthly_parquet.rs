//! `monthly.parquet` (the `parquet` feature): the rows of `monthly.csv`
//! under the same column names, typed as [`MONTHLY_SCHEMA`] says, with the
//! writer of `tape.parquet` (Snappy, one row group per million rows).
//!
//! Amounts the engine holds in cents (balances, charged-off EAD, interest)
//! are `INT64 (DECIMAL(18,2))`, exact; those it holds as `f64` (loss,
//! recoveries, costs, net income) are `DOUBLE`, the same value the CSV
//! prints; counts and the month are `INT32`, the path `INT64`, the segment a
//! UTF-8 string.

use std::io::{self, Write};

use super::monthly::MonthlyRow;
use super::tape_parquet::{Column, TableWriter};

/// The schema of `monthly.parquet` (the columns of `MONTHLY_HEADER`, in order).
pub const MONTHLY_SCHEMA: &str = "message monthly {
  REQUIRED INT64 path;
  REQUIRED INT32 month;
  REQUIRED BYTE_ARRAY segment (UTF8);
  REQUIRED INT32 loans_booked;
  REQUIRED INT64 balance_booked (DECIMAL(18,2));
  REQUIRED INT32 defaults;
  REQUIRED INT64 charged_off (DECIMAL(18,2));
  REQUIRED DOUBLE loss;
  REQUIRED DOUBLE fraud_loss;
  REQUIRED DOUBLE economic_loss;
  REQUIRED DOUBLE recoveries;
  REQUIRED DOUBLE recoveries_after_horizon;
  REQUIRED DOUBLE recovery_cost;
  REQUIRED INT64 interest_income (DECIMAL(18,2));
  REQUIRED DOUBLE collection_cost;
  REQUIRED DOUBLE net_income;
  REQUIRED INT32 delinquent_accounts;
  REQUIRED INT32 accounts;
  REQUIRED INT64 balance (DECIMAL(18,2));
}";

/// Writes `monthly.parquet`: `rows` (see [`super::monthly::monthly_rows`]).
pub fn write_monthly_parquet<W: Write + Send>(out: W, rows: &[MonthlyRow]) -> io::Result<()> {
    let int32 = || Column::Int32(Vec::new());
    let int64 = || Column::Int64(Vec::new());
    let double = || Column::double(false);
    let columns = vec![
        int64(),
        int32(),
        Column::text(false),
        int32(),
        int64(),
        int32(),
        int64(),
        double(),
        double(),
        double(),
        double(),
        double(),
        double(),
        int64(),
        double(),
        double(),
        int32(),
        int32(),
        int64(),
    ];
    let mut t = TableWriter::new(out, MONTHLY_SCHEMA, columns)?;
    for r in rows {
        t.int64(0, r.path as i64);
        t.int32(1, r.month);
        t.text(2, Some(r.segment));
        t.int32(3, r.loans_booked);
        t.int64(4, r.balance_booked);
        t.int32(5, r.defaults);
        t.int64(6, r.charged_off);
        t.double(7, Some(r.loss));
        t.double(8, Some(r.fraud_loss));
        t.double(9, Some(r.economic_loss));
        t.double(10, Some(r.recoveries));
        t.double(11, Some(r.recoveries_after_horizon));
        t.double(12, Some(r.recovery_cost));
        t.int64(13, r.interest_income);
        t.double(14, Some(r.collection_cost));
        t.double(15, Some(r.net_income()));
        t.int32(16, r.delinquent_accounts);
        t.int32(17, r.accounts);
        t.int64(18, r.balance);
        t.end_row()?;
    }
    t.finish()
}
