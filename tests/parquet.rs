//! Parquet books and tapes (the `parquet` feature): a book written as
//! Parquet imports into exactly the loans of its CSV twin and runs bitwise
//! the same; a Parquet tape calibrates to exactly the scenario text of its
//! CSV twin; a bad Parquet cell or a column of the wrong type is refused
//! with the file, the row and the column. Without the feature, a Parquet
//! file is refused with the way out.

use std::path::PathBuf;

use assert_cmd::{Command, cargo::cargo_bin_cmd};

mod common;

use common::{TWO_SEGMENT_BOOK as BASE, imported, scenario_with_book};

fn creditstress() -> Command {
    let mut cmd = cargo_bin_cmd!("creditstress");
    cmd.env_remove("RUST_BACKTRACE").env("NO_COLOR", "1");
    cmd
}

fn repo_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[cfg(not(feature = "parquet"))]
#[test]
fn a_parquet_book_or_tape_format_without_the_feature_is_refused_with_the_way_out() {
    use creditstress::scenario::PARQUET_FEATURE_MISSING;
    let text = imported(&BASE.replace("#dynamics", ""), "data/book.parquet");
    let e = scenario_with_book(&text, "data/book.parquet", b"PAR1 not read")
        .expect_err("no parquet in this build")
        .to_string();
    assert_eq!(e, format!("data/book.parquet: {PARQUET_FEATURE_MISSING}"));
    assert!(e.contains("--features parquet"), "{e}");

    let dir = tempfile::TempDir::new().expect("temp dir");
    let a = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "4", "--tape-format", "parquet", "--emit-tape"])
        .arg(dir.path().join("t"))
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains("--tape-format parquet") && stderr.contains("--features parquet"),
        "{stderr}"
    );
    assert!(!dir.path().join("t").exists() && !dir.path().join("o").exists());
}

#[cfg(feature = "parquet")]
mod with_the_feature {
    use std::sync::Arc;

    use creditstress::estimation::scenario_fit::calibrate_history;
    use creditstress::estimation::tape::{read_history, read_history_book};
    use creditstress::report::tape::LoanIds;
    use creditstress::report::tape_parquet::{write_book_parquet, write_tape_parquet};
    use creditstress::scenario::{Scenario, ScenarioError, parse_scenario};
    use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    use super::common::{Recorded, calibrate_options, simulate};
    use super::*;

    /// The book and the tape of paths `0..k` of `s`: CSV and Parquet bytes.
    struct Emitted {
        book_csv: Vec<u8>,
        book_parquet: Vec<u8>,
        tape_csv: Vec<u8>,
        tape_parquet: Vec<u8>,
    }

    fn emit(s: &Scenario, k: u64) -> Emitted {
        let recorded = Recorded::of(s, k);
        let (book_csv, tape_csv) = recorded.csv(s);
        let ids = LoanIds::new(s, &recorded.book, &recorded.origins);
        let mut e = Emitted {
            book_csv,
            book_parquet: Vec::new(),
            tape_csv,
            tape_parquet: Vec::new(),
        };
        write_book_parquet(&mut e.book_parquet, s, &recorded.book, &recorded.origins).expect("in memory");
        write_tape_parquet(&mut e.tape_parquet, &recorded.tapes(), &ids).expect("in memory");
        e
    }

    #[test]
    fn a_parquet_book_imports_as_its_csv_twin_and_runs_bitwise_as_the_synthetic_book() {
        for dynamics in ["", "delinquency = false"] {
            let text = BASE.replace("#dynamics", dynamics);
            let synthetic = parse_scenario(&text).expect("valid");
            let e = emit(&synthetic, 1);
            assert_eq!(&e.book_parquet[..4], b"PAR1");
            let from_csv = scenario_with_book(&imported(&text, "book.csv"), "book.csv", &e.book_csv).expect("csv");
            let from_parquet = scenario_with_book(&imported(&text, "book.parquet"), "book.parquet", &e.book_parquet)
                .expect("the Parquet book is valid");
            assert_eq!(from_parquet.book, from_csv.book, "the same checked loans");
            assert_eq!(
                simulate(&from_parquet, 40),
                simulate(&synthetic, 40),
                "dynamics {dynamics:?}"
            );
        }
    }

    /// A history that calibrates: one revolving segment, every score band
    /// populated, delinquency and recoveries (as tests/calibrate.rs).
    const HISTORY: &str = r#"
schema_version = 1
name = "parquet_history"
[run]
horizon_months = 24
seed = 11
[macro.noise]
phi = 0.7
[dynamics]
roll_rates = [0.45, 0.6, 0.8]
cure_rates = [0.3, 0.15, 0.05]
recovery_curve = [0.0, 0.3, 0.4, 0.3]
[[segments]]
name = "mass"
loans = 3000
score = { mean = 640, std = 60 }
income = { median_monthly = 5000, sigma = 0.5 }
pd = { model = "table", by_band = [0.25, 0.15, 0.10, 0.06, 0.04, 0.02] }
rho = 0.06
lgd = { mean = 0.65, std = 0.2 }
prepayment_monthly = 0.01
[segments.products]
revolving_share = 1.0
revolving_repay_rate = 0.05
revolving_draw_rate = 0.03
revolving_ccf = 0.4
"#;

    #[test]
    fn a_parquet_tape_calibrates_to_exactly_the_scenario_of_its_csv_twin() {
        let s = parse_scenario(HISTORY).expect("valid");
        let e = emit(&s, 4);
        let options = calibrate_options(0.95);
        let fit = |book_file: &str, book: &[u8], tape_file: &str, tape: &[u8]| {
            let book = read_history_book(book_file, book).expect("book");
            let history = read_history(tape_file, tape, &book, &s.bands).expect("tape");
            assert!(history.rows > 0);
            calibrate_history(&book, &history, &options)
                .expect("fits")
                .scenario_toml
        };
        let from_csv = fit("book.csv", &e.book_csv, "tape.csv", &e.tape_csv);
        let from_parquet = fit("book.parquet", &e.book_parquet, "tape.parquet", &e.tape_parquet);
        assert_eq!(from_parquet, from_csv);
    }

    /// A Parquet file of `csv`'s cells typed by `schema` (every column
    /// optional; an empty cell is null): how another tool would write it.
    fn parquet_of(csv: &str, schema: &str) -> Vec<u8> {
        let schema = Arc::new(parse_message_type(schema).expect("schema"));
        let mut lines = csv.lines();
        let names: Vec<&str> = lines.next().expect("header").split(',').collect();
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        let mut out = Vec::new();
        let mut writer =
            SerializedFileWriter::new(&mut out, schema.clone(), Arc::new(WriterProperties::builder().build()))
                .expect("writer");
        let mut group = writer.next_row_group().expect("group");
        for field in schema.get_fields() {
            let k = names
                .iter()
                .position(|n| *n == field.name())
                .expect("column in the csv");
            let cells: Vec<&str> = rows.iter().map(|r| r[k]).collect();
            let defs: Vec<i16> = cells.iter().map(|c| i16::from(!c.is_empty())).collect();
            let present: Vec<&str> = cells.iter().copied().filter(|c| !c.is_empty()).collect();
            let mut column = group.next_column().expect("column").expect("in the schema");
            let decimal = field.get_basic_info().converted_type() == parquet::basic::ConvertedType::DECIMAL;
            use parquet::basic::Type as T;
            match field.get_physical_type() {
                T::BYTE_ARRAY => {
                    let v: Vec<ByteArray> = present.iter().map(|c| ByteArray::from(*c)).collect();
                    column.typed::<ByteArrayType>().write_batch(&v, Some(&defs), None)
                }
                T::INT32 => {
                    let v: Vec<i32> = present.iter().map(|c| c.parse().expect("i32")).collect();
                    column.typed::<Int32Type>().write_batch(&v, Some(&defs), None)
                }
                T::INT64 if decimal => {
                    let v: Vec<i64> = present
                        .iter()
                        .map(|c| (c.parse::<f64>().expect("amount") * 100.0).round() as i64)
                        .collect();
                    column.typed::<Int64Type>().write_batch(&v, Some(&defs), None)
                }
                T::INT64 => {
                    let v: Vec<i64> = present.iter().map(|c| c.parse().expect("i64")).collect();
                    column.typed::<Int64Type>().write_batch(&v, Some(&defs), None)
                }
                T::DOUBLE => {
                    let v: Vec<f64> = present.iter().map(|c| c.parse().expect("f64")).collect();
                    column.typed::<DoubleType>().write_batch(&v, Some(&defs), None)
                }
                T::BOOLEAN => {
                    let v: Vec<bool> = present.iter().map(|c| *c == "true").collect();
                    column.typed::<BoolType>().write_batch(&v, Some(&defs), None)
                }
                other => panic!("no test writer for {other}"),
            }
            .expect("written");
            column.close().expect("closed");
        }
        group.close().expect("group closed");
        writer.close().expect("footer");
        out
    }

    const BOOK: &str = "loan_id,segment,product,amortisation,balance,limit,rate_monthly,term_months,payments_made,months_on_book,dpd,score,pd,lgd,fraud\n\
                        A-1,mass,installment,equal_principal,600.00,600.00,0.01,6,0,0,0,620,,,false\n\
                        A-2,prime,revolving,,100.25,200.00,0.015,0,0,3,30,720,0.05,0.4,false\n\
                        A-3,mass,installment,,1200.10,1500.00,0.02,12,2,2,0,580,,,true\n";

    /// The types another tool might choose: INT64 months, float money.
    fn schema(overrides: &[(&str, &str)]) -> String {
        let mut columns = vec![
            ("loan_id", "BYTE_ARRAY loan_id (UTF8)"),
            ("segment", "BYTE_ARRAY segment (UTF8)"),
            ("product", "BYTE_ARRAY product (UTF8)"),
            ("amortisation", "BYTE_ARRAY amortisation (UTF8)"),
            ("balance", "DOUBLE balance"),
            ("limit", "INT64 limit (DECIMAL(12,2))"),
            ("rate_monthly", "DOUBLE rate_monthly"),
            ("term_months", "INT64 term_months"),
            ("payments_made", "INT32 payments_made"),
            ("months_on_book", "INT32 months_on_book"),
            ("dpd", "INT32 dpd"),
            ("score", "DOUBLE score"),
            ("pd", "DOUBLE pd"),
            ("lgd", "DOUBLE lgd"),
            ("fraud", "BOOLEAN fraud"),
        ];
        for (name, ty) in overrides {
            match columns.iter_mut().find(|(n, _)| n == name) {
                Some(c) => c.1 = ty,
                None => columns.push((name, ty)),
            }
        }
        let body: String = columns.iter().map(|(_, t)| format!("  OPTIONAL {t};\n")).collect();
        format!("message book {{\n{body}}}")
    }

    fn import(bytes: &[u8]) -> Result<Scenario, ScenarioError> {
        let text = imported(&BASE.replace("#dynamics", ""), "data/book.parquet");
        scenario_with_book(&text, "data/book.parquet", bytes)
    }

    #[test]
    fn a_parquet_book_of_other_numeric_types_imports_as_its_csv_twin() {
        let text = BASE.replace("#dynamics", "");
        let from_csv = scenario_with_book(&imported(&text, "book.csv"), "book.csv", BOOK.as_bytes()).expect("csv");
        let from_parquet = import(&parquet_of(BOOK, &schema(&[]))).expect("parquet");
        assert_eq!(from_parquet.book, from_csv.book);
        assert_eq!(from_parquet.book[1].balance, 10_025);
    }

    #[test]
    fn bad_parquet_cells_and_column_types_are_refused_with_file_row_and_column() {
        let refused = |csv: &str, overrides: &[(&str, &str)]| -> String {
            import(&parquet_of(csv, &schema(overrides)))
                .expect_err("refused")
                .to_string()
        };
        // Column types: the column and the type found, no row.
        assert_eq!(
            refused(BOOK, &[("score", "BYTE_ARRAY score (UTF8)")]),
            "data/book.parquet, column `score`: expected a number (integer, float or decimal), found type BYTE_ARRAY (UTF8)"
        );
        assert_eq!(
            refused(BOOK, &[("term_months", "DOUBLE term_months")]),
            "data/book.parquet, column `term_months`: expected an integer, found type DOUBLE"
        );
        assert_eq!(
            refused(BOOK, &[("fraud", "BYTE_ARRAY fraud (UTF8)")]),
            "data/book.parquet, column `fraud`: expected a boolean, found type BYTE_ARRAY (UTF8)"
        );
        let with_date = BOOK.replace("fraud\n", "fraud,opened\n").replace("e\n", "e,1\n");
        assert_eq!(
            refused(&with_date, &[("opened", "INT32 opened (DATE)")]),
            "data/book.parquet, column `opened`: a column of type INT32 (DATE) is not read; \
             use strings, integers, floats, decimals or booleans"
        );
        let with_colour = BOOK.replace("fraud\n", "fraud,colour\n").replace("e\n", "e,red\n");
        assert!(
            refused(&with_colour, &[("colour", "BYTE_ARRAY colour (UTF8)")])
                .starts_with("data/book.parquet, column `colour`: unknown column; the columns are"),
        );
        // Cells: the data row (from 1) and the column, with the CSV path's message.
        assert_eq!(
            refused(&BOOK.replace(",720,", ",2000,"), &[]),
            "data/book.parquet, row 2, column `score`: must be in [350, 950], got 2000"
        );
        assert_eq!(
            refused(&BOOK.replace(",3,30,", ",3,45,"), &[]),
            "data/book.parquet, row 2, column `dpd`: expected 0, 30, 60 or 90 (days past due), got \"45\""
        );
        assert_eq!(
            refused(&BOOK.replace("1200.10,", "-5.00,"), &[]),
            "data/book.parquet, row 3, column `balance`: must be 0 or more, got -5"
        );
        assert_eq!(
            refused(&BOOK.replace(",12,2,2,", ",12,-2,2,"), &[]),
            "data/book.parquet, row 3, column `payments_made`: expected a whole number of months (0 or more), got \"-2\""
        );
        assert_eq!(
            refused(&BOOK.replace(",mass,installment,equal", ",,installment,equal"), &[]),
            "data/book.parquet, row 1, column `segment`: no segment named \"\" in the scenario (segments: mass, prime)"
        );
        assert_eq!(
            refused(&BOOK.replace("A-3,", "A-1,"), &[]),
            "data/book.parquet, column `loan_id`: loan_id \"A-1\" appears twice (data rows 1 and 3)"
        );
        let header_only: String = BOOK.lines().next().unwrap().to_string() + "\n";
        assert_eq!(refused(&header_only, &[]), "data/book.parquet: no loans (no rows)");
        let e = import(b"loan_id,segment\n1,mass\n")
            .expect_err("not parquet")
            .to_string();
        assert!(e.starts_with("data/book.parquet: not a readable Parquet file"), "{e}");
    }

    #[test]
    fn bad_parquet_tape_cells_are_refused_with_file_row_and_column() {
        let text = BASE.replace("#dynamics", "");
        let s = parse_scenario(&text).expect("valid");
        let book = read_history_book("book.csv", BOOK.as_bytes()).expect("book");
        let tape = "path,loan_id,month,state,balance,principal_paid,interest_paid,drawn,charge_off,recovery\n\
                    0,A-1,1,current,500.00,100.00,6.00,0.00,0.00,0\n\
                    0,A-1,2,current,400.00,100.00,5.00,0.00,0.00,0\n";
        let tape_schema = |month: &str| {
            format!(
                "message tape {{ OPTIONAL INT64 path; OPTIONAL BYTE_ARRAY loan_id (UTF8); OPTIONAL {month}; \
                 OPTIONAL BYTE_ARRAY state (UTF8); OPTIONAL INT64 balance (DECIMAL(18,2)); \
                 OPTIONAL INT64 principal_paid (DECIMAL(18,2)); OPTIONAL INT64 interest_paid (DECIMAL(18,2)); \
                 OPTIONAL INT64 drawn (DECIMAL(18,2)); OPTIONAL INT64 charge_off (DECIMAL(18,2)); \
                 OPTIONAL DOUBLE recovery; }}"
            )
        };
        let read = |csv: &str, month: &str| {
            read_history("tape.parquet", &parquet_of(csv, &tape_schema(month)), &book, &s.bands).map(|h| h.rows)
        };
        assert_eq!(read(tape, "INT32 month").expect("valid"), 2);
        assert_eq!(
            read(tape, "DOUBLE month").expect_err("type").to_string(),
            "tape.parquet, column `month`: expected an integer, found type DOUBLE"
        );
        assert_eq!(
            read(&tape.replace(",2,current,", ",601,current,"), "INT32 month")
                .expect_err("range")
                .to_string(),
            "tape.parquet, row 2, column `month`: must be in 1..=600, got 601"
        );
        assert_eq!(
            read(&tape.replace(",2,current,", ",3,current,"), "INT32 month")
                .expect_err("gap")
                .to_string(),
            "tape.parquet, row 2, column `month`: the loan is open but has no row for month 2"
        );
    }

    #[test]
    fn run_emits_both_formats_and_calibrate_reads_the_parquet_tape() {
        let dir = tempfile::TempDir::new().expect("temp dir");
        let tape = dir.path().join("tape");
        let a = creditstress()
            .arg("run")
            .arg(repo_file("scenarios/downturn.toml"))
            .args(["--paths", "3", "--tape-paths", "2", "--tape-format", "both", "--out"])
            .arg(dir.path().join("run"))
            .arg("--emit-tape")
            .arg(&tape)
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(stderr.contains("book.csv and book.parquet"), "{stderr}");
        let mut files: Vec<String> = std::fs::read_dir(&tape)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["book.csv", "book.parquet", "tape.csv", "tape.parquet"]);
        let calibrated = |tape_file: &str, out: &str| {
            let out = dir.path().join(out);
            creditstress()
                .arg("calibrate")
                .arg(tape.join(tape_file))
                .arg("--out")
                .arg(&out)
                .assert()
                .success();
            std::fs::read_to_string(out).unwrap()
        };
        let from_csv = calibrated("tape.csv", "csv.toml");
        let from_parquet = calibrated("tape.parquet", "parquet.toml");
        assert!(from_parquet.contains("file = \"tape/book.parquet\""), "{from_parquet}");
        let same = |t: &str| t.replace("parquet", "csv");
        assert_eq!(same(&from_parquet), same(&from_csv));
    }
}
