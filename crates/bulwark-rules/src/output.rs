//! Rule outputs (`%field` substitution with `<NA>` for missing values) and the alert record
//! Falco prints as JSON, which Falcosidekick and existing pipelines read.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::catalog::{ArgSpec, Field, FieldArg, FieldType, Lookup, Source, lookup};
use crate::eval::{Event, Value};
use crate::priority::Priority;

/// One piece of an output format.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    Lit(String),
    Field {
        /// The token as written (`proc.aname[2]`), the key in `output_fields`.
        key: String,
        field: Field,
        arg: Option<FieldArg>,
    },
}

/// A compiled output format.
#[derive(Debug, Clone, Default)]
pub(crate) struct Format {
    pub parts: Vec<Part>,
}

/// Why an output format does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FormatError {
    /// No field of this name (Falco: `invalid formatting token X`).
    Unknown(String),
    /// A field Falco knows that we do not implement.
    Unsupported(String),
}

fn is_field_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.'
}

/// Resolves an argument for a field against its [`ArgSpec`].
pub(crate) fn resolve_arg(field: Field, arg: Option<&str>) -> Result<Option<FieldArg>, String> {
    let spec = field.info().arg;
    let name = field.name();
    match (spec, arg) {
        (ArgSpec::None | ArgSpec::OptionalIndex | ArgSpec::OptionalKey, None) => Ok(None),
        (ArgSpec::None, Some(_)) => Err(format!("field '{name}' does not accept an argument")),
        (ArgSpec::Key | ArgSpec::IndexOrKey, None) => Err(format!(
            "filter_check called with nonexistent field {name}: it requires an argument"
        )),
        (ArgSpec::OptionalIndex, Some(a)) => a
            .trim()
            .parse::<u32>()
            .map(|i| Some(FieldArg::Index(i)))
            .map_err(|_| format!("invalid index '{a}' for field '{name}': a number is expected")),
        (ArgSpec::Key | ArgSpec::OptionalKey, Some(a)) => Ok(Some(FieldArg::Key(a.into()))),
        (ArgSpec::IndexOrKey, Some(a)) => Ok(Some(match a.trim().parse::<u32>() {
            Ok(i) => FieldArg::Index(i),
            Err(_) => FieldArg::Key(a.into()),
        })),
    }
}

/// Parses an output format for `source`: `%field`, `%field[arg]`, `%evt.arg.name`.
pub(crate) fn parse_format(fmt: &str, source: Source) -> Result<Format, FormatError> {
    let b = fmt.as_bytes();
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let mut lit_start = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        lit.push_str(&fmt[lit_start..i]);
        let start = i + 1;
        let mut end = start;
        while end < b.len() && is_field_char(b[end]) {
            end += 1;
        }
        // Longest known field name ending at a dot boundary, then an optional `[arg]`.
        let mut cand = end;
        let mut found = None;
        while cand > start {
            let name = fmt[start..cand].trim_end_matches('.');
            let stop = start + name.len();
            match lookup(name) {
                Lookup::Known(f, folded) => {
                    found = Some((f, folded, stop));
                    break;
                }
                Lookup::FalcoOnly => {
                    return Err(FormatError::Unsupported(name.to_string()));
                }
                Lookup::Unknown => {}
            }
            match fmt[start..stop].rfind('.') {
                Some(d) => cand = start + d,
                None => break,
            }
        }
        let Some((field, folded, mut stop)) = found else {
            let token: String = fmt[start..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            return Err(FormatError::Unknown(token));
        };
        let info_src = field.info().source;
        if info_src.is_some() && info_src != Some(source) {
            return Err(FormatError::Unknown(fmt[start..stop].to_string()));
        }
        let mut arg_text = folded;
        if b.get(stop) == Some(&b'[')
            && let Some(close) = fmt[stop..].find(']')
        {
            arg_text = Some(fmt[stop + 1..stop + close].to_string());
            stop += close + 1;
        }
        let arg = resolve_arg(field, arg_text.as_deref())
            .map_err(|_| FormatError::Unknown(fmt[start..stop].to_string()))?;
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(&mut lit)));
        }
        parts.push(Part::Field {
            key: fmt[start..stop].to_string(),
            field,
            arg,
        });
        i = stop;
        lit_start = stop;
    }
    lit.push_str(&fmt[lit_start..]);
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    Ok(Format { parts })
}

/// Renders a field value as Falco prints it in outputs.
pub(crate) fn render_value(field: Field, v: Option<&Value<'_>>, out: &mut String) {
    let Some(v) = v else {
        out.push_str("<NA>");
        return;
    };
    if field.info().ty == FieldType::AbsTime
        && let Some(ns) = v.as_num().and_then(|n| u64::try_from(n).ok())
    {
        match field {
            Field::EvtTime => out.push_str(&time_of_day(ns)),
            Field::EvtTimeS => {
                let _ = write!(out, "{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000);
            }
            Field::EvtTimeIso8601 => out.push_str(&iso8601(ns, "+0000")),
            Field::EvtDatetime => out.push_str(&iso8601(ns, "").replace('T', " ")),
            _ => {
                let _ = write!(out, "{ns}");
            }
        }
        return;
    }
    let _ = write!(out, "{v}");
}

impl Format {
    /// Renders the format for `ev`, collecting each field's value for `output_fields`.
    pub(crate) fn render<E: Event + ?Sized>(
        &self,
        ev: &E,
        fields: &mut BTreeMap<String, serde_json::Value>,
    ) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Field { key, field, arg } => {
                    let v = ev.field(*field, arg.as_ref());
                    render_value(*field, v.as_ref(), &mut out);
                    fields.insert(
                        key.clone(),
                        v.as_ref().map_or(serde_json::Value::Null, Value::to_json),
                    );
                }
            }
        }
        out
    }

    /// The fields the format names.
    pub(crate) fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Field { field, .. } => Some(*field),
            Part::Lit(_) => None,
        })
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[allow(clippy::many_single_char_names)]
fn split_ns(ns: u64) -> (i64, u64, u64, u64, u64) {
    let secs = ns / 1_000_000_000;
    let frac = ns % 1_000_000_000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let sod = secs % 86_400;
    (days, sod / 3600, (sod % 3600) / 60, sod % 60, frac)
}

/// `HH:MM:SS.nnnnnnnnn` in UTC (Falco's `%evt.time`, which Falco prints in local time).
#[allow(clippy::many_single_char_names)]
pub fn time_of_day(ns: u64) -> String {
    let (_, h, m, s, f) = split_ns(ns);
    format!("{h:02}:{m:02}:{s:02}.{f:09}")
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` followed by `suffix` (`Z`, `+0000`).
#[allow(clippy::many_single_char_names)]
pub fn iso8601(ns: u64, suffix: &str) -> String {
    let (days, h, m, s, f) = split_ns(ns);
    let (y, mo, d) = civil_from_days(days);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{f:09}{suffix}")
}

/// How alerts are printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputOptions {
    /// The `hostname` of alerts.
    pub hostname: String,
    /// Prefix outputs with `%evt.time.iso8601` instead of `%evt.time` (Falco's
    /// `time_format_iso_8601`).
    pub time_format_iso_8601: bool,
}

/// An alert as Falco prints it with `json_output: true`: one JSON object per line, keys in
/// Falco's (alphabetical) order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The host the event happened on.
    pub hostname: String,
    /// `<time>: <Priority> <rule output>`, as Falco prefixes it.
    pub output: String,
    /// Every field the output names (and the prefix's time field) with its value; `null` when
    /// the event had none.
    pub output_fields: BTreeMap<String, serde_json::Value>,
    /// The rule's priority (`Warning`).
    pub priority: Priority,
    /// The rule's name.
    pub rule: String,
    /// The event source (`syscall`, `k8s_audit`).
    pub source: Source,
    /// The rule's tags, sorted.
    pub tags: Vec<String>,
    /// The event time, RFC 3339 with nanoseconds, UTC (`2016-08-04T16:17:57.881781397Z`).
    pub time: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_like_falco() {
        let ns = 1_470_327_477_881_781_397;
        assert_eq!(iso8601(ns, "Z"), "2016-08-04T16:17:57.881781397Z");
        assert_eq!(iso8601(ns, "+0000"), "2016-08-04T16:17:57.881781397+0000");
        assert_eq!(time_of_day(ns), "16:17:57.881781397");
        assert_eq!(iso8601(0, "Z"), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            iso8601(951_782_400_000_000_000, "Z"),
            "2000-02-29T00:00:00.000000000Z"
        );
    }

    #[test]
    fn formats_split_on_field_names() {
        let f = parse_format(
            "An open (command=%proc.cmdline) %proc.aname[2]. %evt.arg.flags",
            Source::Syscall,
        )
        .expect("format");
        let keys: Vec<String> = f
            .parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => format!("lit:{s}"),
                Part::Field { key, .. } => format!("field:{key}"),
            })
            .collect();
        assert_eq!(
            keys,
            [
                "lit:An open (command=",
                "field:proc.cmdline",
                "lit:) ",
                "field:proc.aname[2]",
                "lit:. ",
                "field:evt.arg.flags"
            ]
        );
        assert_eq!(
            parse_format("An open was seen %not_a_real_field", Source::Syscall).expect_err("bad"),
            FormatError::Unknown("not_a_real_field".into())
        );
        assert_eq!(
            parse_format("%ka.verb", Source::Syscall).expect_err("other source"),
            FormatError::Unknown("ka.verb".into())
        );
        assert!(parse_format("%evt.time %ka.verb", Source::K8sAudit).is_ok());
    }
}
