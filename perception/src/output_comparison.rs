//! Numerical comparison of two JSON-lines output files of the same run on two machines
//! (`kestrel replay --json`, `kestrel infer`): the structure (line count, keys, strings,
//! integers, array lengths) must be equal, and every floating-point number is compared,
//! recording the largest absolute difference per field. This is what the cross-architecture
//! check (`.ci/aarch64-replay-check`) reports and bounds, next to the output digest.

use serde_json::Value;
use std::collections::BTreeMap;

/// Two output files that cannot be compared number by number (different structure).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ComparisonError {
    /// The files have a different number of lines.
    #[error("{left} lines vs {right} lines")]
    LineCount {
        /// Lines of the first file.
        left: usize,
        /// Lines of the second file.
        right: usize,
    },
    /// A line is not JSON.
    #[error("line {line} of the {side} file is not JSON: {reason}")]
    NotJson {
        /// 1-based line number.
        line: usize,
        /// `first` or `second`.
        side: &'static str,
        /// serde_json's message.
        reason: String,
    },
    /// A non-float value (key set, string, integer, bool, null, array length) differs.
    #[error("line {line}, field `{field}`: {left} vs {right}")]
    Structure {
        /// 1-based line number.
        line: usize,
        /// Field path (object keys joined with `.`, array indices as `[i]`).
        field: String,
        /// The first file's value (JSON text, or a description).
        left: String,
        /// The second file's value.
        right: String,
    },
}

/// The floating-point differences between two structurally equal output files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    /// Lines compared.
    pub lines: usize,
    /// Floating-point numbers compared.
    pub numbers: usize,
    /// Numbers whose bits differ (compared as the decimal text each file holds, which
    /// round-trips the written float exactly).
    pub differing: usize,
    /// Per field (object keys joined with `.`, array indices dropped: `position`, `values`),
    /// the largest absolute difference, in the field's own unit (metres for `position`).
    pub max_abs: BTreeMap<String, f64>,
}

impl Comparison {
    /// Largest absolute difference over every field (0 when the files are identical).
    pub fn overall_max_abs(&self) -> f64 {
        self.max_abs.values().copied().fold(0.0, f64::max)
    }
}

/// Compares two JSON-lines texts line by line. Blank lines are ignored.
pub fn compare_json_lines(left: &str, right: &str) -> Result<Comparison, ComparisonError> {
    let parse = |text: &str, side: &'static str| -> Result<Vec<Value>, ComparisonError> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| ComparisonError::NotJson {
                    line: i + 1,
                    side,
                    reason: e.to_string(),
                })
            })
            .collect()
    };
    let (a, b) = (parse(left, "first")?, parse(right, "second")?);
    if a.len() != b.len() {
        return Err(ComparisonError::LineCount {
            left: a.len(),
            right: b.len(),
        });
    }
    let mut out = Comparison {
        lines: a.len(),
        ..Comparison::default()
    };
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        compare_values(x, y, i + 1, "", "", &mut out)?;
    }
    Ok(out)
}

fn compare_values(
    a: &Value,
    b: &Value,
    line: usize,
    field: &str,
    path: &str,
    out: &mut Comparison,
) -> Result<(), ComparisonError> {
    let mismatch = |left: String, right: String| ComparisonError::Structure {
        line,
        field: path.to_string(),
        left,
        right,
    };
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (fx, fy) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            out.numbers += 1;
            if x.to_string() != y.to_string() {
                out.differing += 1;
                let entry = out.max_abs.entry(field.to_string()).or_insert(0.0);
                *entry = entry.max((fx - fy).abs());
            } else {
                out.max_abs.entry(field.to_string()).or_insert(0.0);
            }
            Ok(())
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Err(mismatch(
                    format!("{} elements", x.len()),
                    format!("{} elements", y.len()),
                ));
            }
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                compare_values(u, v, line, field, &format!("{path}[{i}]"), out)?;
            }
            Ok(())
        }
        (Value::Object(x), Value::Object(y)) => {
            let (kx, ky): (Vec<&String>, Vec<&String>) = (x.keys().collect(), y.keys().collect());
            if kx != ky {
                return Err(mismatch(format!("keys {kx:?}"), format!("keys {ky:?}")));
            }
            for (k, u) in x {
                let sub_field = if field.is_empty() {
                    k.clone()
                } else {
                    format!("{field}.{k}")
                };
                let sub_path = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                compare_values(u, &y[k], line, &sub_field, &sub_path, out)?;
            }
            Ok(())
        }
        _ if a == b => Ok(()),
        _ => Err(mismatch(a.to_string(), b.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str =
        r#"{"topic":"detected","class":"car","stamp_ns":7,"position":[15.25,-1.5,1.0],"yaw":0.5}"#;

    #[test]
    fn identical_files_have_zero_difference() {
        let text = format!("{LINE}\n{LINE}\n");
        let c = compare_json_lines(&text, &text).unwrap();
        assert_eq!((c.lines, c.numbers, c.differing), (2, 8, 0));
        assert_eq!(c.overall_max_abs(), 0.0);
        assert_eq!(c.max_abs.keys().collect::<Vec<_>>(), ["position", "yaw"]);
    }

    #[test]
    fn float_differences_are_measured_per_field() {
        let other = LINE.replace("15.25", "15.2501").replace("0.5}", "0.25}");
        let c = compare_json_lines(LINE, &other).unwrap();
        assert_eq!(c.differing, 2);
        assert!((c.max_abs["position"] - 1e-4).abs() < 1e-12);
        assert_eq!(c.max_abs["yaw"], 0.25);
        assert_eq!(c.overall_max_abs(), 0.25);
    }

    #[test]
    fn structural_differences_are_errors_naming_line_and_field() {
        let class = LINE.replace("car", "truck");
        assert_eq!(
            compare_json_lines(LINE, &class),
            Err(ComparisonError::Structure {
                line: 1,
                field: "class".into(),
                left: "\"car\"".into(),
                right: "\"truck\"".into(),
            })
        );
        let stamp = LINE.replace(":7,", ":8,");
        assert!(matches!(
            compare_json_lines(LINE, &stamp),
            Err(ComparisonError::Structure { field, .. }) if field == "stamp_ns"
        ));
        let short = LINE.replace(",1.0]", "]");
        assert!(matches!(
            compare_json_lines(LINE, &short),
            Err(ComparisonError::Structure { field, .. }) if field == "position"
        ));
        assert_eq!(
            compare_json_lines(&format!("{LINE}\n{LINE}"), LINE),
            Err(ComparisonError::LineCount { left: 2, right: 1 })
        );
        assert!(matches!(
            compare_json_lines(LINE, "{not json"),
            Err(ComparisonError::NotJson {
                line: 1,
                side: "second",
                ..
            })
        ));
    }
}
