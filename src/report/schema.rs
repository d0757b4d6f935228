//! The published JSON Schemas of `summary.json` and `comparison.json`,
//! derived (with `schemars`) from the very types the files are serialised
//! from, so a schema cannot describe a field the program does not write; the
//! types' doc comments become the schemas' descriptions. The schemas are also
//! committed under `docs/schema/`, and a test checks the files equal what
//! this module generates.

use crate::report::to_json;
use crate::stats::compare::Comparison;
use crate::stats::summary::RunSummary;

/// A JSON output that has a published schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    /// `summary.json` of a run or a merge (and what `run --json` prints).
    Summary,
    /// `comparison.json` of `compare` (and what `compare --json` prints).
    Comparison,
}

impl SchemaKind {
    /// Every published schema, in the order `docs/schema/` lists them.
    pub const ALL: [SchemaKind; 2] = [SchemaKind::Summary, SchemaKind::Comparison];

    /// The output the schema describes, e.g. `summary.json`.
    pub fn output(self) -> &'static str {
        match self {
            SchemaKind::Summary => "summary.json",
            SchemaKind::Comparison => "comparison.json",
        }
    }

    /// The schema's file name under `docs/schema/`, e.g. `summary.schema.json`.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Summary => "summary.schema.json",
            SchemaKind::Comparison => "comparison.schema.json",
        }
    }

    /// The schema (JSON Schema draft 2020-12) as pretty JSON with a trailing newline.
    pub fn schema_json(self) -> String {
        let schema = match self {
            SchemaKind::Summary => schemars::schema_for!(RunSummary),
            SchemaKind::Comparison => schemars::schema_for!(Comparison),
        };
        let mut value = schema.to_value();
        plain_descriptions(&mut value);
        to_json(&value)
    }
}

/// Turns the rustdoc links of the descriptions (``[`crate::stats::Moments`]``)
/// into plain code spans naming the item (`` `Moments` ``): a schema's reader
/// has no crate docs to follow them into.
fn plain_descriptions(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    serde_json::Value::String(text) if key == "description" => *text = plain_links(text),
                    _ => plain_descriptions(v),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(plain_descriptions),
        _ => {}
    }
}

/// ``[`a::b::C`]`` becomes `` `C` `` in `text`; anything else stays.
fn plain_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let Some(len) = rest[start + 2..].find("`]") else {
            break;
        };
        let item = &rest[start + 2..start + 2 + len];
        let name = item.rsplit("::").next().unwrap_or(item);
        out.push_str(&rest[..start]);
        out.push('`');
        out.push_str(name);
        out.push('`');
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_links_become_code_spans() {
        assert_eq!(
            plain_links("see [`crate::capital::book`] and [`X`]; [not a link] `kept`"),
            "see `book` and `X`; [not a link] `kept`"
        );
        assert_eq!(plain_links("an unclosed [`link"), "an unclosed [`link");
    }

    #[test]
    fn each_schema_is_a_2020_12_object_schema_naming_format_version() {
        for kind in SchemaKind::ALL {
            let schema: serde_json::Value = serde_json::from_str(&kind.schema_json()).unwrap();
            assert_eq!(
                schema["$schema"],
                "https://json-schema.org/draft/2020-12/schema",
                "{}",
                kind.output()
            );
            assert_eq!(schema["type"], "object", "{}", kind.output());
            let version = &schema["properties"]["format_version"];
            assert_eq!(version["type"], "integer", "{}: {version}", kind.output());
            assert!(
                version["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("raised when")),
                "{}: the doc comment is the description: {version}",
                kind.output()
            );
        }
    }
}
