//! Coefficients files (TOML, `version = 1`, or `version = 2` with tuned budget rules): a new estimator
//! profile or overrides of a builtin one, with optional calibration provenance. Schema and example:
//! docs/ESTIMATOR.md; budget rules: docs/CALIBRATION.md.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tel_core::estimator::Profile;

/// The schema version of a file without tuned budget rules.
pub const COEFFICIENTS_VERSION: i64 = 1;
/// The schema version that adds `[budget_rules]` (`tel tune`); the newest understood.
pub const BUDGET_RULES_VERSION: i64 = 2;

/// Keys of a coefficients file that are not profile fields.
const VERSION_KEY: &str = "version";
const BASE_KEY: &str = "base";
const PROVENANCE_KEY: &str = "provenance";
const BUDGET_RULES_KEY: &str = "budget_rules";

/// Where a coefficient set came from (written by calibration; informational when read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// How the coefficients were obtained, e.g. `sqrt-damped median ratio`.
    pub method: String,
    /// Event filters applied before fitting (free-form table).
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub filters: toml::Table,
    /// Time range of the events used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeRange>,
    /// Number of events used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<i64>,
    /// Fit quality figures by name (e.g. `median_smape`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fit_metrics: BTreeMap<String, f64>,
    /// `Profile::content_hash` of the coefficients when they were written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// Version of the tel that wrote the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tel_version: Option<String>,
}

/// An inclusive time range, as timestamp text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// First event time.
    pub from: String,
    /// Last event time.
    pub to: String,
}

/// A coefficients file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CoefficientsError {
    /// The file could not be read.
    #[error("{origin}: cannot read coefficients file: {source}")]
    Read {
        /// The file.
        origin: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the schema.
    #[error("{origin}: {message}")]
    Invalid {
        /// The file (or other origin label).
        origin: String,
        /// What is wrong: the key and the expected type or value.
        message: String,
    },
}

/// Reads and parses the coefficients file at `path`.
pub fn load_coefficients(path: &Path) -> Result<Profile, CoefficientsError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CoefficientsError::Read {
        origin: origin.clone(),
        source,
    })?;
    parse_coefficients(&text, &origin)
}

/// Parses a coefficients document; `origin` names it in errors (usually the file path).
pub fn parse_coefficients(text: &str, origin: &str) -> Result<Profile, CoefficientsError> {
    parse_coefficients_document(text, origin).map(|(profile, _)| profile)
}

/// Parses a coefficients document into its profile and its provenance, if any.
///
/// With `base = "<builtin>"` the file's tables are merged key by key over that profile (a table
/// merges, any other value — arrays included — replaces); the id stays the base's unless `id` is
/// given. Without `base` the file must define every profile field.
pub fn parse_coefficients_document(
    text: &str,
    origin: &str,
) -> Result<(Profile, Option<Provenance>), CoefficientsError> {
    let invalid = |message: String| CoefficientsError::Invalid {
        origin: origin.to_owned(),
        message,
    };
    let mut doc: toml::Table = toml::from_str(text).map_err(|e| invalid(syntax_error(&e, text)))?;
    if let Some((key, value)) = non_finite_float(&doc, "") {
        return Err(invalid(format!(
            "key `{key}`: expected a finite number, found {value}"
        )));
    }
    check_version(&doc).map_err(invalid)?;
    doc.remove(VERSION_KEY);
    let provenance = doc
        .remove(PROVENANCE_KEY)
        .map(|value| {
            let wrapped = toml::Table::from_iter([(PROVENANCE_KEY.to_owned(), value)]);
            wrapped
                .try_into::<ProvenanceOnly>()
                .map(|p| p.provenance)
                .map_err(|e| invalid(one_line(&e)))
        })
        .transpose()?;
    let fields = match doc.remove(BASE_KEY) {
        None => doc,
        Some(toml::Value::String(name)) => {
            let base = Profile::builtin(&name).ok_or_else(|| {
                invalid(format!(
                    "key `{BASE_KEY}`: unknown profile `{name}` (expected one of {})",
                    Profile::builtin_names().join(", ")
                ))
            })?;
            let mut merged = toml::Table::try_from(&base)
                .map_err(|e| invalid(format!("cannot serialise profile `{name}`: {e}")))?;
            merge(&mut merged, doc);
            merged
        }
        Some(other) => {
            return Err(invalid(format!(
                "key `{BASE_KEY}`: expected a string naming a builtin profile, found {other}"
            )));
        }
    };
    let profile = fields
        .try_into::<Profile>()
        .map_err(|e| invalid(one_line(&e)))?;
    Ok((profile, provenance))
}

/// The schema version of `doc`, checked against its content: 1 or 2, and 2 when it has budget rules.
fn check_version(doc: &toml::Table) -> Result<i64, String> {
    let expected = format!("integer {COEFFICIENTS_VERSION} or {BUDGET_RULES_VERSION}");
    let version = match doc.get(VERSION_KEY) {
        Some(toml::Value::Integer(v @ (COEFFICIENTS_VERSION | BUDGET_RULES_VERSION))) => *v,
        Some(other) => {
            return Err(format!(
                "key `{VERSION_KEY}`: expected {expected}, found {other}"
            ));
        }
        None => return Err(format!("missing key `{VERSION_KEY}` (expected {expected})")),
    };
    if version < BUDGET_RULES_VERSION && doc.contains_key(BUDGET_RULES_KEY) {
        return Err(format!(
            "key `{BUDGET_RULES_KEY}` needs `{VERSION_KEY} = {BUDGET_RULES_VERSION}`, found {VERSION_KEY} = {version}"
        ));
    }
    Ok(version)
}

/// The schema version a profile is written with: 2 only when it carries budget rules, so files
/// without them stay readable by tels that know version 1 only.
fn version_of(profile: &Profile) -> i64 {
    if profile.budget_rules.is_empty() {
        COEFFICIENTS_VERSION
    } else {
        BUDGET_RULES_VERSION
    }
}

/// Renders `profile` as a complete coefficients document (no `base`) that parses back to it.
pub fn render_coefficients(profile: &Profile, provenance: Option<&Provenance>) -> String {
    let document = Document {
        version: version_of(profile),
        profile,
        provenance,
    };
    let body =
        toml::to_string(&document).unwrap_or_else(|e| format!("# cannot render profile: {e}\n"));
    format!(
        "# tel estimator coefficients (schema: docs/ESTIMATOR.md); content hash {}\n{body}",
        profile.content_hash()
    )
}

#[derive(Serialize)]
struct Document<'a> {
    version: i64,
    #[serde(flatten)]
    profile: &'a Profile,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<&'a Provenance>,
}

#[derive(Deserialize)]
struct ProvenanceOnly {
    provenance: Provenance,
}

/// Merges `overlay` into `base`: tables recursively, every other value replaces.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(patch)) => merge(inner, patch),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// The first `nan` or `inf` in `table` (key path, value): a non-finite coefficient would make every
/// estimate meaningless, and a profile holding NaN is not equal to itself, so it could not round-trip.
fn non_finite_float(table: &toml::Table, prefix: &str) -> Option<(String, f64)> {
    table.iter().find_map(|(key, value)| {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            [prefix, ".", key].concat()
        };
        non_finite_in(value, &path)
    })
}

fn non_finite_in(value: &toml::Value, path: &str) -> Option<(String, f64)> {
    match value {
        toml::Value::Float(x) if !x.is_finite() => Some((path.to_owned(), *x)),
        toml::Value::Table(inner) => non_finite_float(inner, path),
        toml::Value::Array(items) => items.iter().find_map(|item| non_finite_in(item, path)),
        _ => None,
    }
}

/// A TOML syntax error as `line L, column C: message`.
fn syntax_error(error: &toml::de::Error, text: &str) -> String {
    let message = error
        .message()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// A schema error on one line: the message, then the key path (`in `a.b``).
fn one_line(error: &toml::de::Error) -> String {
    error
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        match parse_coefficients(text, "coefficients.toml") {
            Ok(profile) => panic!("expected an error, parsed {}", profile.id),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn every_builtin_round_trips_through_render_and_parse() {
        for name in Profile::builtin_names() {
            let profile = Profile::builtin(name).expect("builtin");
            let text = render_coefficients(&profile, None);
            let parsed = parse_coefficients(&text, "rendered").expect("rendered text parses");
            assert_eq!(parsed, profile, "{name}");
        }
    }

    #[test]
    fn provenance_round_trips() {
        let profile = Profile::builtin("v5v6").expect("builtin");
        let provenance = Provenance {
            method: "sqrt-damped median ratio".to_owned(),
            filters: toml::Table::from_iter([(
                "success_only".to_owned(),
                toml::Value::Boolean(true),
            )]),
            time_range: Some(TimeRange {
                from: "2025-12-24 00:00:00".to_owned(),
                to: "2025-12-30 23:59:59".to_owned(),
            }),
            n: Some(25),
            fit_metrics: BTreeMap::from([("median_smape".to_owned(), 30.9)]),
            content_hash: Some(profile.content_hash()),
            tel_version: Some("0.1.0".to_owned()),
        };
        let text = render_coefficients(&profile, Some(&provenance));
        let (parsed, parsed_provenance) =
            parse_coefficients_document(&text, "rendered").expect("parses");
        assert_eq!((parsed, parsed_provenance), (profile, Some(provenance)));
    }

    #[test]
    fn budget_rules_round_trip_as_version_2_and_plain_profiles_stay_version_1() {
        use tel_core::BucketScheme;
        use tel_core::estimator::{BudgetRule, BudgetRules};
        let mut profile = Profile::builtin("v2-head").expect("builtin");
        assert!(render_coefficients(&profile, None).contains("\nversion = 1\n"));
        profile.budget_rules = BudgetRules {
            scheme: BucketScheme::Collection,
            rules: vec![
                BudgetRule {
                    category: Some("tests".to_owned()),
                    complexity: Some("low".to_owned()),
                    deliverables: Some("1-3".to_owned()),
                    multiplier: 1.75,
                    floor: 0,
                },
                BudgetRule {
                    category: None,
                    complexity: None,
                    deliverables: None,
                    multiplier: 0.0,
                    floor: 12_000,
                },
            ],
        };
        let text = render_coefficients(&profile, None);
        assert!(text.contains("\nversion = 2\n"), "{text}");
        assert_eq!(
            parse_coefficients(&text, "rendered").expect("parses"),
            profile
        );
    }

    #[test]
    fn overrides_merge_over_the_base_profile() {
        let text = r#"
            version = 1
            base = "v2-head"
            id = "fit-2026-02"
            doc_categories = ["documentation"]

            [phase_overhead.by_category.implementation]
            low = 700

            [phase_overhead.by_category.tests]
            low = 900

            [weights.backend]
            new = 2100

            [buffer]
            base = 1.25
        "#;
        let profile = parse_coefficients(text, "fit.toml").expect("parses");
        let mut expected = Profile::builtin("v2-head").expect("builtin");
        expected.id = "fit-2026-02".to_owned();
        expected.doc_categories = vec!["documentation".to_owned()];
        let overhead = &mut expected.phase_overhead.by_category;
        overhead
            .get_mut("implementation")
            .expect("row")
            .insert("low".to_owned(), 700);
        overhead.insert(
            "tests".to_owned(),
            BTreeMap::from([("low".to_owned(), 900)]),
        );
        expected.weights.backend.new = 2100;
        expected.buffer.base = 1.25;
        assert_eq!(profile, expected);
    }

    #[test]
    fn an_override_without_id_keeps_the_base_id_but_not_its_hash() {
        let profile = parse_coefficients("version = 1\nbase = \"v1\"\nsafety_margin = 1.35\n", "x")
            .expect("parses");
        assert_eq!(profile.id(), "v1");
        assert_ne!(
            profile.content_hash(),
            Profile::builtin("v1").expect("v1").content_hash()
        );
    }

    #[test]
    fn invalid_files_name_the_file_the_key_and_the_expected_type() {
        let wrong_type =
            error_of("version = 1\nbase = \"v2-head\"\n[weights.backend]\nnew = \"lots\"\n");
        for part in ["coefficients.toml", "weights.backend.new", "expected i64"] {
            assert!(
                wrong_type.contains(part),
                "{part:?} missing from {wrong_type:?}"
            );
        }
        let wrong_variant =
            error_of("version = 1\nbase = \"v2-head\"\n[switches]\nprecedence = \"newest\"\n");
        assert!(
            wrong_variant.contains("switches.precedence") && wrong_variant.contains("`head`"),
            "{wrong_variant}"
        );
        let unknown_key = error_of("version = 1\nbase = \"v2-head\"\n[budget]\nceiling = 1\n");
        assert!(
            unknown_key.contains("ceiling") && unknown_key.contains("budget"),
            "{unknown_key}"
        );
        assert!(error_of("base = \"v2-head\"\n").contains("missing key `version`"));
        assert!(error_of("version = 3\n").contains("expected integer 1 or 2, found 3"));
        assert!(
            error_of("version = 1\nbase = \"v1\"\n[budget_rules]\nrule = []\n")
                .contains("key `budget_rules` needs `version = 2`, found version = 1")
        );
        assert!(error_of("version = 1\nbase = \"v9\"\n").contains("unknown profile `v9`"));
        assert!(error_of("version = 1\nid = \"bare\"\n").contains("missing field"));
        let syntax = error_of("version = 1\nbase = v2\n");
        assert!(
            syntax.starts_with("coefficients.toml: line 2, column 8:"),
            "{syntax}"
        );
        let provenance =
            error_of("version = 1\nbase = \"v1\"\n[provenance]\nmethod = \"m\"\nn = \"many\"\n");
        assert!(provenance.contains("provenance.n"), "{provenance}");
    }

    #[test]
    fn nan_and_infinite_coefficients_are_rejected_with_their_key() {
        for (text, expected) in [
            (
                "version = 1\nbase = \"v2-head\"\nsafety_margin = nan\n",
                "x.toml: key `safety_margin`: expected a finite number, found NaN",
            ),
            (
                "version = 1\nbase = \"v1\"\n[buffer]\nbase = -inf\n",
                "x.toml: key `buffer.base`: expected a finite number, found -inf",
            ),
            (
                "version = 1\nbase = \"v1\"\n[provenance]\nmethod = \"m\"\nfit_metrics = { smape = inf }\n",
                "x.toml: key `provenance.fit_metrics.smape`: expected a finite number, found inf",
            ),
        ] {
            let error = parse_coefficients(text, "x.toml").expect_err(text);
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn unreadable_files_are_named() {
        let err = load_coefficients(Path::new("/nonexistent/coefficients.toml"))
            .expect_err("missing file");
        assert!(
            err.to_string()
                .starts_with("/nonexistent/coefficients.toml: cannot read"),
            "{err}"
        );
    }
}
