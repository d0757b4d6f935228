//! `creditstress schema`: print the published JSON Schema of an output.

use clap::{Args, ValueEnum};

use creditstress::report::schema::SchemaKind;

use super::Failure;

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The output whose schema to print: `summary` (summary.json, what `run --json` prints) or
    /// `comparison` (comparison.json, what `compare --json` prints).
    #[arg(value_enum)]
    output: SchemaArg,
}

/// The outputs with a published schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SchemaArg {
    Summary,
    Comparison,
}

impl From<SchemaArg> for SchemaKind {
    fn from(a: SchemaArg) -> Self {
        match a {
            SchemaArg::Summary => SchemaKind::Summary,
            SchemaArg::Comparison => SchemaKind::Comparison,
        }
    }
}

pub fn execute(args: SchemaArgs) -> Result<(), Failure> {
    super::write_stdout(SchemaKind::from(args.output).schema_json().as_bytes())
}
