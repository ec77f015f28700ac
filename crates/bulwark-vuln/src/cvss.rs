//! CVSS vectors parsed and scored: v2.0, v3.0, v3.1 and v4.0.
//!
//! [`parse`] reads a vector string as advisories carry it and computes the score each
//! specification defines:
//!
//! - **v2.0** (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, no prefix): the base equation of the v2 guide,
//!   section 3.2.1, computed in exact decimal arithmetic and rounded half up to one decimal.
//!   Temporal and environmental metrics are accepted and ignored.
//! - **v3.0 / v3.1** (`CVSS:3.x/…`): the base equations of section 7.1. v3.1 rounds with the
//!   integer `Roundup` of its Appendix A, which removes floating-point noise; v3.0 rounds with
//!   the plain ceiling to one decimal its section 7.1 defines. Temporal and environmental
//!   metrics are accepted and ignored: the score is the base score.
//! - **v4.0** (`CVSS:4.0/…`): the macro-vector method of the v4.0 specification, step by
//!   step as FIRST's reference calculator (`cvss40.js`) computes it, including its 2024-11-01
//!   fix that rounds half up after a 10⁻⁶ lift. Threat (`E`) and environmental
//!   (`CR`/`IR`/`AR`, `M*`) metrics change the score, so it is CVSS-B, -BT, -BE or -BTE
//!   depending on what the vector carries; supplemental metrics are accepted and ignored.
//!
//! Metrics may come in any order (the v4.0 specification asks for its listed order; real
//! vectors are read leniently). A metric may appear once; an unknown metric or value, a
//! missing base metric or an unknown `CVSS:x.y` prefix is an error ([`CvssError`]).

use std::fmt;

use bulwark_model::Severity;

/// A CVSS version, ordered oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(non_camel_case_types)] // `V3_0` reads as the version number it names
pub enum Version {
    /// CVSS v2.0: a vector without a `CVSS:` prefix.
    V2,
    /// CVSS v3.0: `CVSS:3.0/`.
    V3_0,
    /// CVSS v3.1: `CVSS:3.1/`.
    V3_1,
    /// CVSS v4.0: `CVSS:4.0/`.
    V4_0,
}

impl Version {
    /// The version number as vectors and advisories write it: `2.0`, `3.0`, `3.1`, `4.0`.
    /// These strings sort in version order.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2 => "2.0",
            Version::V3_0 => "3.0",
            Version::V3_1 => "3.1",
            Version::V4_0 => "4.0",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed CVSS vector and its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Cvss {
    /// The CVSS version the vector is written in.
    pub version: Version,
    /// The vector as given, with surrounding whitespace trimmed.
    pub vector: String,
    /// The score, rounded to one decimal as the version's specification says: the base
    /// score for v2 and v3, and for v4 the score of every base, threat and environmental
    /// metric the vector carries.
    pub base_score: f64,
}

/// Why a CVSS vector could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    /// The vector is empty (or only whitespace).
    #[error("the CVSS vector is empty")]
    Empty,
    /// The vector starts with `CVSS:` and a version this module does not know (`CVSS:2.0`,
    /// `CVSS:5.0`, …), or the prefix is not followed by `/`.
    #[error("unknown CVSS version prefix `{prefix}`")]
    UnknownVersion {
        /// The prefix as written, up to the first `/`.
        prefix: String,
    },
    /// A component between slashes is not of the form `METRIC:VALUE`.
    #[error("CVSS component `{component}` is not of the form METRIC:VALUE")]
    Malformed {
        /// The component as written (empty for a doubled or trailing `/`).
        component: String,
    },
    /// A metric that the version does not define.
    #[error("CVSS {version} has no metric `{metric}`")]
    UnknownMetric {
        /// The version the vector is read as.
        version: Version,
        /// The metric as written.
        metric: String,
    },
    /// A value that the metric does not allow.
    #[error("CVSS {version} metric `{metric}` has no value `{value}`")]
    InvalidValue {
        /// The version the vector is read as.
        version: Version,
        /// The metric.
        metric: String,
        /// The value as written.
        value: String,
    },
    /// A metric given twice.
    #[error("CVSS {version} metric `{metric}` is given more than once")]
    DuplicateMetric {
        /// The version the vector is read as.
        version: Version,
        /// The metric.
        metric: String,
    },
    /// A mandatory (base) metric is missing.
    #[error("CVSS {version} vector lacks the mandatory metric `{metric}`")]
    MissingMetric {
        /// The version the vector is read as.
        version: Version,
        /// The first missing metric, in the specification's order.
        metric: &'static str,
    },
}

/// Parses a CVSS vector (v2.0 without a prefix, or `CVSS:3.0/`, `CVSS:3.1/`, `CVSS:4.0/`)
/// and computes its score.
pub fn parse(vector: &str) -> Result<Cvss, CvssError> {
    let vector = vector.trim();
    if vector.is_empty() {
        return Err(CvssError::Empty);
    }
    let (version, body) = match vector.strip_prefix("CVSS:") {
        None => (Version::V2, vector),
        Some(rest) => {
            let (number, body) = rest.split_once('/').unwrap_or((rest, ""));
            let version = match number {
                "3.0" if rest.contains('/') => Version::V3_0,
                "3.1" if rest.contains('/') => Version::V3_1,
                "4.0" if rest.contains('/') => Version::V4_0,
                _ => {
                    return Err(CvssError::UnknownVersion {
                        prefix: format!("CVSS:{number}"),
                    });
                }
            };
            (version, body)
        }
    };
    let metrics = Metrics::parse(version, body)?;
    let base_score = match version {
        Version::V2 => v2_base_score(&metrics),
        Version::V3_0 | Version::V3_1 => v3_base_score(&metrics, version),
        Version::V4_0 => v4_score(&metrics),
    };
    Ok(Cvss {
        version,
        vector: vector.to_owned(),
        base_score,
    })
}

impl Cvss {
    /// The qualitative rating of the score.
    ///
    /// v3 and v4 use their specifications' scale: 0.0 is None ([`Severity::Info`]),
    /// 0.1–3.9 Low, 4.0–6.9 Medium, 7.0–8.9 High, 9.0–10.0 Critical. CVSS v2 defines no
    /// scale of its own; the one in general use (NVD's) has no Critical band: 0.1–3.9 Low,
    /// 4.0–6.9 Medium, 7.0–10.0 High, and 0.0 (no impact) is [`Severity::Info`] as for v3.
    pub fn severity(&self) -> Severity {
        let score = self.base_score;
        if score <= 0.0 {
            Severity::Info
        } else if score < 4.0 {
            Severity::Low
        } else if score < 7.0 {
            Severity::Medium
        } else if score < 9.0 || self.version == Version::V2 {
            Severity::High
        } else {
            Severity::Critical
        }
    }
}

// ---------------------------------------------------------------------------------------
// Metric tables and parsing
// ---------------------------------------------------------------------------------------

/// One metric of a version: its abbreviation, its allowed values, and whether the base
/// group requires it.
struct MetricDef {
    name: &'static str,
    values: &'static [&'static str],
    mandatory: bool,
}

const fn base(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        mandatory: true,
    }
}

const fn optional(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        mandatory: false,
    }
}

/// CVSS v2.0 guide, section 2 (base, temporal, environmental metrics).
const V2_METRICS: &[MetricDef] = &[
    base("AV", &["L", "A", "N"]),
    base("AC", &["H", "M", "L"]),
    base("Au", &["M", "S", "N"]),
    base("C", &["N", "P", "C"]),
    base("I", &["N", "P", "C"]),
    base("A", &["N", "P", "C"]),
    optional("E", &["U", "POC", "F", "H", "ND"]),
    optional("RL", &["OF", "TF", "W", "U", "ND"]),
    optional("RC", &["UC", "UR", "C", "ND"]),
    optional("CDP", &["N", "L", "LM", "MH", "H", "ND"]),
    optional("TD", &["N", "L", "M", "H", "ND"]),
    optional("CR", &["L", "M", "H", "ND"]),
    optional("IR", &["L", "M", "H", "ND"]),
    optional("AR", &["L", "M", "H", "ND"]),
];

/// CVSS v3.0 and v3.1 specifications, section 6 (table of metrics and values).
const V3_METRICS: &[MetricDef] = &[
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "R"]),
    base("S", &["U", "C"]),
    base("C", &["H", "L", "N"]),
    base("I", &["H", "L", "N"]),
    base("A", &["H", "L", "N"]),
    optional("E", &["X", "H", "F", "P", "U"]),
    optional("RL", &["X", "U", "W", "T", "O"]),
    optional("RC", &["X", "C", "R", "U"]),
    optional("CR", &["X", "H", "M", "L"]),
    optional("IR", &["X", "H", "M", "L"]),
    optional("AR", &["X", "H", "M", "L"]),
    optional("MAV", &["X", "N", "A", "L", "P"]),
    optional("MAC", &["X", "L", "H"]),
    optional("MPR", &["X", "N", "L", "H"]),
    optional("MUI", &["X", "N", "R"]),
    optional("MS", &["X", "U", "C"]),
    optional("MC", &["X", "H", "L", "N"]),
    optional("MI", &["X", "H", "L", "N"]),
    optional("MA", &["X", "H", "L", "N"]),
];

/// CVSS v4.0 specification: base, threat, environmental and supplemental metrics.
const V4_METRICS: &[MetricDef] = &[
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("AT", &["N", "P"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "P", "A"]),
    base("VC", &["H", "L", "N"]),
    base("VI", &["H", "L", "N"]),
    base("VA", &["H", "L", "N"]),
    base("SC", &["H", "L", "N"]),
    base("SI", &["H", "L", "N"]),
    base("SA", &["H", "L", "N"]),
    optional("E", &["X", "A", "P", "U"]),
    optional("CR", &["X", "H", "M", "L"]),
    optional("IR", &["X", "H", "M", "L"]),
    optional("AR", &["X", "H", "M", "L"]),
    optional("MAV", &["X", "N", "A", "L", "P"]),
    optional("MAC", &["X", "L", "H"]),
    optional("MAT", &["X", "N", "P"]),
    optional("MPR", &["X", "N", "L", "H"]),
    optional("MUI", &["X", "N", "P", "A"]),
    optional("MVC", &["X", "H", "L", "N"]),
    optional("MVI", &["X", "H", "L", "N"]),
    optional("MVA", &["X", "H", "L", "N"]),
    optional("MSC", &["X", "H", "L", "N"]),
    optional("MSI", &["X", "S", "H", "L", "N"]),
    optional("MSA", &["X", "S", "H", "L", "N"]),
    optional("S", &["X", "N", "P"]),
    optional("AU", &["X", "N", "Y"]),
    optional("R", &["X", "A", "U", "I"]),
    optional("V", &["X", "D", "C"]),
    optional("RE", &["X", "L", "M", "H"]),
    optional("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// The metrics of one vector, validated against its version's table.
struct Metrics {
    table: &'static [MetricDef],
    /// The value of each metric of `table`, by position; `None` where the vector omits it.
    values: Vec<Option<&'static str>>,
}

impl Metrics {
    fn parse(version: Version, body: &str) -> Result<Metrics, CvssError> {
        let table = match version {
            Version::V2 => V2_METRICS,
            Version::V3_0 | Version::V3_1 => V3_METRICS,
            Version::V4_0 => V4_METRICS,
        };
        let mut values = vec![None; table.len()];
        if !body.is_empty() {
            for component in body.split('/') {
                let Some((name, value)) = component.split_once(':') else {
                    return Err(CvssError::Malformed {
                        component: component.to_owned(),
                    });
                };
                let Some(index) = table.iter().position(|m| m.name == name) else {
                    return Err(CvssError::UnknownMetric {
                        version,
                        metric: name.to_owned(),
                    });
                };
                let def = &table[index];
                let Some(&known) = def.values.iter().find(|v| **v == value) else {
                    return Err(CvssError::InvalidValue {
                        version,
                        metric: def.name.to_owned(),
                        value: value.to_owned(),
                    });
                };
                if values[index].replace(known).is_some() {
                    return Err(CvssError::DuplicateMetric {
                        version,
                        metric: def.name.to_owned(),
                    });
                }
            }
        }
        if let Some(missing) = table
            .iter()
            .zip(&values)
            .find(|(def, value)| def.mandatory && value.is_none())
        {
            return Err(CvssError::MissingMetric {
                version,
                metric: missing.0.name,
            });
        }
        Ok(Metrics { table, values })
    }

    /// The value of `name`; `"X"` (Not Defined) where the vector omits it. Base metrics are
    /// never omitted: [`Metrics::parse`] requires them.
    fn get(&self, name: &str) -> &'static str {
        self.table
            .iter()
            .position(|m| m.name == name)
            .and_then(|index| self.values[index])
            .unwrap_or("X")
    }
}

/// The weight `table` gives `value`. Parsing has checked every value against the metric's
/// list, and every list value has a weight, so the fallback is never taken.
fn weight(value: &str, table: &[(&str, f64)]) -> f64 {
    table
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(0.0, |(_, w)| *w)
}

// ---------------------------------------------------------------------------------------
// CVSS v2.0
// ---------------------------------------------------------------------------------------

/// The v2 base score (v2 guide, section 3.2.1):
///
/// ```text
/// BaseScore      = round_to_1_decimal(((0.6*Impact)+(0.4*Exploitability)-1.5)*f(Impact))
/// Impact         = 10.41*(1-(1-ConfImpact)*(1-IntegImpact)*(1-AvailImpact))
/// Exploitability = 20*AccessVector*AccessComplexity*Authentication
/// f(Impact)      = 0 if Impact=0, 1.176 otherwise
/// ```
///
/// Every weight has three decimals, so the equation is evaluated exactly in integers
/// (weights in thousandths) and rounded half up, with no floating-point error at the
/// `x.x5` boundaries.
fn v2_base_score(m: &Metrics) -> f64 {
    let av = v2_weight(m.get("AV"), &[("L", 395), ("A", 646), ("N", 1000)]);
    let ac = v2_weight(m.get("AC"), &[("H", 350), ("M", 610), ("L", 710)]);
    let au = v2_weight(m.get("Au"), &[("M", 450), ("S", 560), ("N", 704)]);
    let cia = [("N", 0), ("P", 275), ("C", 660)];
    let c = v2_weight(m.get("C"), &cia);
    let i = v2_weight(m.get("I"), &cia);
    let a = v2_weight(m.get("A"), &cia);

    // (1-C)(1-I)(1-A) in units of 1e-9; Impact in units of 1e-11 (10.41 = 1041/100).
    let unaffected = (1000 - c) * (1000 - i) * (1000 - a);
    let impact = 1041 * (1_000_000_000 - unaffected);
    if impact == 0 {
        return 0.0;
    }
    // Exploitability in units of 1e-9.
    let exploitability = 20 * av * ac * au;
    // 0.6*Impact + 0.4*Exploitability - 1.5, in units of 1e-12.
    let inner = 6 * impact + 4 * exploitability * 100 - 1_500_000_000_000;
    // times f(Impact) = 1.176, in units of 1e-15; always positive when Impact > 0.
    let score = inner * 1176;
    // Half up to tenths (1e-14 units), then to a float.
    let tenths = (score + 50_000_000_000_000) / 100_000_000_000_000;
    f64::from(u8::try_from(tenths).unwrap_or(100)) / 10.0 // never above 100
}

fn v2_weight(value: &str, table: &[(&str, i64)]) -> i64 {
    table
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(0, |(_, w)| *w)
}

// ---------------------------------------------------------------------------------------
// CVSS v3.0 and v3.1
// ---------------------------------------------------------------------------------------

/// The v3 base score (v3.0 and v3.1 specifications, section 7.1):
///
/// ```text
/// ISS            = 1 - [(1 - C) × (1 - I) × (1 - A)]
/// Impact         = 6.42 × ISS                                         (scope unchanged)
///                = 7.52 × (ISS - 0.029) - 3.25 × (ISS - 0.02)^15      (scope changed)
/// Exploitability = 8.22 × AV × AC × PR × UI
/// BaseScore      = 0 if Impact <= 0, else
///                  Roundup(min(Impact + Exploitability, 10))          (scope unchanged)
///                  Roundup(min(1.08 × (Impact + Exploitability), 10)) (scope changed)
/// ```
fn v3_base_score(m: &Metrics, version: Version) -> f64 {
    let changed = m.get("S") == "C";
    let av = weight(
        m.get("AV"),
        &[("N", 0.85), ("A", 0.62), ("L", 0.55), ("P", 0.2)],
    );
    let ac = weight(m.get("AC"), &[("L", 0.77), ("H", 0.44)]);
    let pr = if changed {
        weight(m.get("PR"), &[("N", 0.85), ("L", 0.68), ("H", 0.5)])
    } else {
        weight(m.get("PR"), &[("N", 0.85), ("L", 0.62), ("H", 0.27)])
    };
    let ui = weight(m.get("UI"), &[("N", 0.85), ("R", 0.62)]);
    let cia = [("H", 0.56), ("L", 0.22), ("N", 0.0)];
    let c = weight(m.get("C"), &cia);
    let i = weight(m.get("I"), &cia);
    let a = weight(m.get("A"), &cia);

    let iss = 1.0 - ((1.0 - c) * (1.0 - i) * (1.0 - a));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powf(15.0)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return 0.0;
    }
    let raw = if changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    if version == Version::V3_0 {
        roundup_v30(raw)
    } else {
        roundup_v31(raw)
    }
}

/// v3.0 `Round up`: "the smallest number, specified to one decimal place, that is equal to
/// or higher than its input".
fn roundup_v30(input: f64) -> f64 {
    (input * 10.0).ceil() / 10.0
}

/// v3.1 `Roundup` (Appendix A): rounds to five decimals as an integer first, so that a
/// value a floating-point error put just above a tenth is not pushed up to the next one.
///
/// ```text
/// int_input = round_to_nearest_integer(input * 100000)
/// if (int_input % 10000) == 0: return int_input / 100000.0
/// else: return (floor(int_input / 10000) + 1) / 10.0
/// ```
fn roundup_v31(input: f64) -> f64 {
    // Integers held in an f64 are exact far beyond the 10^6 a score can reach.
    let int_input = (input * 100_000.0).round();
    if int_input % 10_000.0 == 0.0 {
        int_input / 100_000.0
    } else {
        ((int_input / 10_000.0).floor() + 1.0) / 10.0
    }
}

// ---------------------------------------------------------------------------------------
// CVSS v4.0
// ---------------------------------------------------------------------------------------

/// The score of each macro vector `EQ1 EQ2 EQ3 EQ4 EQ5 EQ6`, from the v4.0 specification
/// (the lookup table of FIRST's reference calculator). Sorted by key; 270 entries: every
/// combination except EQ3 = 2 with EQ6 = 0, which no vector reaches.
#[rustfmt::skip]
const MACRO_SCORES: [(&str, f64); 270] = [
    ("000000", 10.0), ("000001", 9.9), ("000010", 9.8), ("000011", 9.5), ("000020", 9.5), ("000021", 9.2),
    ("000100", 10.0), ("000101", 9.6), ("000110", 9.3), ("000111", 8.7), ("000120", 9.1), ("000121", 8.1),
    ("000200", 9.3), ("000201", 9.0), ("000210", 8.9), ("000211", 8.0), ("000220", 8.1), ("000221", 6.8),
    ("001000", 9.8), ("001001", 9.5), ("001010", 9.5), ("001011", 9.2), ("001020", 9.0), ("001021", 8.4),
    ("001100", 9.3), ("001101", 9.2), ("001110", 8.9), ("001111", 8.1), ("001120", 8.1), ("001121", 6.5),
    ("001200", 8.8), ("001201", 8.0), ("001210", 7.8), ("001211", 7.0), ("001220", 6.9), ("001221", 4.8),
    ("002001", 9.2), ("002011", 8.2), ("002021", 7.2),
    ("002101", 7.9), ("002111", 6.9), ("002121", 5.0),
    ("002201", 6.9), ("002211", 5.5), ("002221", 2.7),
    ("010000", 9.9), ("010001", 9.7), ("010010", 9.5), ("010011", 9.2), ("010020", 9.2), ("010021", 8.5),
    ("010100", 9.5), ("010101", 9.1), ("010110", 9.0), ("010111", 8.3), ("010120", 8.4), ("010121", 7.1),
    ("010200", 9.2), ("010201", 8.1), ("010210", 8.2), ("010211", 7.1), ("010220", 7.2), ("010221", 5.3),
    ("011000", 9.5), ("011001", 9.3), ("011010", 9.2), ("011011", 8.5), ("011020", 8.5), ("011021", 7.3),
    ("011100", 9.2), ("011101", 8.2), ("011110", 8.0), ("011111", 7.2), ("011120", 7.0), ("011121", 5.9),
    ("011200", 8.4), ("011201", 7.0), ("011210", 7.1), ("011211", 5.2), ("011220", 5.0), ("011221", 3.0),
    ("012001", 8.6), ("012011", 7.5), ("012021", 5.2),
    ("012101", 7.1), ("012111", 5.2), ("012121", 2.9),
    ("012201", 6.3), ("012211", 2.9), ("012221", 1.7),
    ("100000", 9.8), ("100001", 9.5), ("100010", 9.4), ("100011", 8.7), ("100020", 9.1), ("100021", 8.1),
    ("100100", 9.4), ("100101", 8.9), ("100110", 8.6), ("100111", 7.4), ("100120", 7.7), ("100121", 6.4),
    ("100200", 8.7), ("100201", 7.5), ("100210", 7.4), ("100211", 6.3), ("100220", 6.3), ("100221", 4.9),
    ("101000", 9.4), ("101001", 8.9), ("101010", 8.8), ("101011", 7.7), ("101020", 7.6), ("101021", 6.7),
    ("101100", 8.6), ("101101", 7.6), ("101110", 7.4), ("101111", 5.8), ("101120", 5.9), ("101121", 5.0),
    ("101200", 7.2), ("101201", 5.7), ("101210", 5.7), ("101211", 5.2), ("101220", 5.2), ("101221", 2.5),
    ("102001", 8.3), ("102011", 7.0), ("102021", 5.4),
    ("102101", 6.5), ("102111", 5.8), ("102121", 2.6),
    ("102201", 5.3), ("102211", 2.1), ("102221", 1.3),
    ("110000", 9.5), ("110001", 9.0), ("110010", 8.8), ("110011", 7.6), ("110020", 7.6), ("110021", 7.0),
    ("110100", 9.0), ("110101", 7.7), ("110110", 7.5), ("110111", 6.2), ("110120", 6.1), ("110121", 5.3),
    ("110200", 7.7), ("110201", 6.6), ("110210", 6.8), ("110211", 5.9), ("110220", 5.2), ("110221", 3.0),
    ("111000", 8.9), ("111001", 7.8), ("111010", 7.6), ("111011", 6.7), ("111020", 6.2), ("111021", 5.8),
    ("111100", 7.4), ("111101", 5.9), ("111110", 5.7), ("111111", 5.7), ("111120", 4.7), ("111121", 2.3),
    ("111200", 6.1), ("111201", 5.2), ("111210", 5.7), ("111211", 2.9), ("111220", 2.4), ("111221", 1.6),
    ("112001", 7.1), ("112011", 5.9), ("112021", 3.0),
    ("112101", 5.8), ("112111", 2.6), ("112121", 1.5),
    ("112201", 2.3), ("112211", 1.3), ("112221", 0.6),
    ("200000", 9.3), ("200001", 8.7), ("200010", 8.6), ("200011", 7.2), ("200020", 7.5), ("200021", 5.8),
    ("200100", 8.6), ("200101", 7.4), ("200110", 7.4), ("200111", 6.1), ("200120", 5.6), ("200121", 3.4),
    ("200200", 7.0), ("200201", 5.4), ("200210", 5.2), ("200211", 4.0), ("200220", 4.0), ("200221", 2.2),
    ("201000", 8.5), ("201001", 7.5), ("201010", 7.4), ("201011", 5.5), ("201020", 6.2), ("201021", 5.1),
    ("201100", 7.2), ("201101", 5.7), ("201110", 5.5), ("201111", 4.1), ("201120", 4.6), ("201121", 1.9),
    ("201200", 5.3), ("201201", 3.6), ("201210", 3.4), ("201211", 1.9), ("201220", 1.9), ("201221", 0.8),
    ("202001", 6.4), ("202011", 5.1), ("202021", 2.0),
    ("202101", 4.7), ("202111", 2.1), ("202121", 1.1),
    ("202201", 2.4), ("202211", 0.9), ("202221", 0.4),
    ("210000", 8.8), ("210001", 7.5), ("210010", 7.3), ("210011", 5.3), ("210020", 6.0), ("210021", 5.0),
    ("210100", 7.3), ("210101", 5.5), ("210110", 5.9), ("210111", 4.0), ("210120", 4.1), ("210121", 2.0),
    ("210200", 5.4), ("210201", 4.3), ("210210", 4.5), ("210211", 2.2), ("210220", 2.0), ("210221", 1.1),
    ("211000", 7.5), ("211001", 5.5), ("211010", 5.8), ("211011", 4.5), ("211020", 4.0), ("211021", 2.1),
    ("211100", 6.1), ("211101", 5.1), ("211110", 4.8), ("211111", 1.8), ("211120", 2.0), ("211121", 0.9),
    ("211200", 4.6), ("211201", 1.8), ("211210", 1.7), ("211211", 0.7), ("211220", 0.8), ("211221", 0.2),
    ("212001", 5.3), ("212011", 2.4), ("212021", 1.4),
    ("212101", 2.4), ("212111", 1.2), ("212121", 0.5),
    ("212201", 1.0), ("212211", 0.3), ("212221", 0.1),
];

/// The highest-severity vectors of each EQ level (the reference calculator's
/// `MAX_COMPOSED`): the metric values a vector in that level is measured from.
const EQ1_MAXES: [&[&str]; 3] = [
    &["AV:N/PR:N/UI:N"],
    &["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"],
    &["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"],
];
const EQ2_MAXES: [&[&str]; 2] = [&["AC:L/AT:N"], &["AC:H/AT:N", "AC:L/AT:P"]];
/// Indexed by EQ3, then EQ6 (EQ3 = 2 with EQ6 = 0 does not occur).
const EQ3_EQ6_MAXES: [[&[&str]; 2]; 3] = [
    [
        &["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"],
        &[
            "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H",
            "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M",
        ],
    ],
    [
        &[
            "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H",
            "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H",
        ],
        &[
            "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H",
            "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
            "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
            "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
            "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M",
        ],
    ],
    [&[], &["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"]],
];
const EQ4_MAXES: [&str; 3] = ["SC:H/SI:S/SA:S", "SC:H/SI:H/SA:H", "SC:L/SI:L/SA:L"];
// EQ5's highest vectors are E:A, E:P and E:U: one per level and equal to the vector's own
// `E`, so EQ5 adds no severity distance and needs no table.

/// The depth of each EQ level in severity-distance steps (the reference calculator's
/// `MAX_SEVERITY`, "max severity distances in EQs MacroVectors (+1)").
const EQ1_DEPTH: [u8; 3] = [1, 4, 5];
const EQ2_DEPTH: [u8; 2] = [1, 2];
/// Indexed by EQ3, then EQ6.
const EQ3_EQ6_DEPTH: [[u8; 2]; 3] = [[7, 6], [8, 8], [0, 10]];
const EQ4_DEPTH: [u8; 3] = [6, 5, 4];

/// The severity level of each metric value, in steps of 0.1 (the reference calculator's
/// `METRIC_LEVELS`); 0 is the most severe.
const LEVELS: &[(&str, &[(&str, f64)])] = &[
    ("AV", &[("N", 0.0), ("A", 0.1), ("L", 0.2), ("P", 0.3)]),
    ("PR", &[("N", 0.0), ("L", 0.1), ("H", 0.2)]),
    ("UI", &[("N", 0.0), ("P", 0.1), ("A", 0.2)]),
    ("AC", &[("L", 0.0), ("H", 0.1)]),
    ("AT", &[("N", 0.0), ("P", 0.1)]),
    ("VC", &[("H", 0.0), ("L", 0.1), ("N", 0.2)]),
    ("VI", &[("H", 0.0), ("L", 0.1), ("N", 0.2)]),
    ("VA", &[("H", 0.0), ("L", 0.1), ("N", 0.2)]),
    ("SC", &[("H", 0.1), ("L", 0.2), ("N", 0.3)]),
    ("SI", &[("S", 0.0), ("H", 0.1), ("L", 0.2), ("N", 0.3)]),
    ("SA", &[("S", 0.0), ("H", 0.1), ("L", 0.2), ("N", 0.3)]),
    ("CR", &[("H", 0.0), ("M", 0.1), ("L", 0.2)]),
    ("IR", &[("H", 0.0), ("M", 0.1), ("L", 0.2)]),
    ("AR", &[("H", 0.0), ("M", 0.1), ("L", 0.2)]),
];

fn level(metric: &str, value: &str) -> f64 {
    LEVELS
        .iter()
        .find(|(m, _)| *m == metric)
        .map_or(0.0, |(_, values)| weight(value, values))
}

fn macro_score(eq: [u8; 6]) -> Option<f64> {
    let key = eq.map(|digit| b'0' + digit);
    MACRO_SCORES
        .binary_search_by(|(k, _)| k.as_bytes().cmp(&key[..]))
        .ok()
        .map(|index| MACRO_SCORES[index].1)
}

/// The value a v4 metric takes for scoring (the reference calculator's
/// `getEffectiveMetricValue`): `E` not defined counts as `A` (Attacked), `CR`/`IR`/`AR` not
/// defined as `H`; a defined modified metric (`MAV` …) replaces its base metric.
fn v4_effective(m: &Metrics, metric: &str) -> &'static str {
    let value = m.get(metric);
    match (metric, value) {
        ("E", "X") => return "A",
        ("CR" | "IR" | "AR", "X") => return "H",
        _ => {}
    }
    let modified = match metric {
        "AV" => "MAV",
        "AC" => "MAC",
        "AT" => "MAT",
        "PR" => "MPR",
        "UI" => "MUI",
        "VC" => "MVC",
        "VI" => "MVI",
        "VA" => "MVA",
        "SC" => "MSC",
        "SI" => "MSI",
        "SA" => "MSA",
        _ => return value,
    };
    match m.get(modified) {
        "X" => value,
        replacement => replacement,
    }
}

/// The macro vector: the equivalence class EQ1..EQ6 of the vector (specification, tables
/// 24 to 29).
fn v4_macro_vector(m: &Metrics) -> [u8; 6] {
    let e = |metric| v4_effective(m, metric);
    let (av, pr, ui) = (e("AV"), e("PR"), e("UI"));
    // 0: AV:N and PR:N and UI:N; 1: (AV:N or PR:N or UI:N) and not all three and not AV:P;
    // 2: AV:P or none of AV:N, PR:N, UI:N.
    let eq1 = if av == "N" && pr == "N" && ui == "N" {
        0
    } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
        1
    } else {
        2
    };
    // 0: AC:L and AT:N; 1: otherwise.
    let eq2 = u8::from(!(e("AC") == "L" && e("AT") == "N"));
    // 0: VC:H and VI:H; 1: not that, and VC:H or VI:H or VA:H; 2: none of them H.
    let (vc, vi, va) = (e("VC"), e("VI"), e("VA"));
    let eq3 = if vc == "H" && vi == "H" {
        0
    } else if vc == "H" || vi == "H" || va == "H" {
        1
    } else {
        2
    };
    // 0: MSI:S or MSA:S; 1: not that, and SC:H or SI:H or SA:H; 2: otherwise.
    let eq4 = if m.get("MSI") == "S" || m.get("MSA") == "S" {
        0
    } else if e("SC") == "H" || e("SI") == "H" || e("SA") == "H" {
        1
    } else {
        2
    };
    // 0: E:A; 1: E:P; 2: E:U.
    let eq5 = match e("E") {
        "P" => 1,
        "U" => 2,
        _ => 0,
    };
    // 0: (CR:H and VC:H) or (IR:H and VI:H) or (AR:H and VA:H); 1: otherwise.
    let eq6 = u8::from(
        !((e("CR") == "H" && vc == "H")
            || (e("IR") == "H" && vi == "H")
            || (e("AR") == "H" && va == "H")),
    );
    [eq1, eq2, eq3, eq4, eq5, eq6]
}

/// The value of `metric` in a slash-separated highest-severity vector part.
fn max_value<'a>(part: &'a str, metric: &str) -> &'a str {
    part.split('/')
        .filter_map(|component| component.split_once(':'))
        .find(|(name, _)| *name == metric)
        .map_or("", |(_, value)| value)
}

/// The metrics whose severity distance counts, grouped as the EQs sum them: EQ1, EQ2,
/// EQ3 with EQ6, EQ4.
const DISTANCE_GROUPS: [&[&str]; 4] = [
    &["AV", "PR", "UI"],
    &["AC", "AT"],
    &["VC", "VI", "VA", "CR", "IR", "AR"],
    &["SC", "SI", "SA"],
];

/// The v4.0 score (the specification's scoring section; FIRST's reference `calculateScore`).
///
/// The macro vector's score from [`MACRO_SCORES`] is lowered by the mean, over the EQs that
/// have a next-lower macro vector, of (score - next lower score) × (the vector's severity
/// distance from its level's highest vector ÷ the level's depth); then clamped to 0..10
/// and rounded half up to one decimal. Floating-point operations are done in the reference
/// calculator's order so that the results agree to the last bit.
fn v4_score(m: &Metrics) -> f64 {
    const STEP: f64 = 0.1;
    // The reference lifts the value by 1e-6 before rounding half up, so that a tie that
    // floating point put one ulp below x.x5 still rounds up (its 2024-11-01 fix).
    const ROUNDING_EPSILON: f64 = 1e-6;

    if ["VC", "VI", "VA", "SC", "SI", "SA"]
        .iter()
        .all(|metric| v4_effective(m, metric) == "N")
    {
        return 0.0;
    }
    let eq = v4_macro_vector(m);
    let [eq1, eq2, eq3, eq4, eq5, eq6] = eq;
    // Every macro vector a vector can reach is in the table (a unit test checks all 270).
    let Some(value) = macro_score(eq) else {
        return 0.0;
    };

    // 1a. The next lower macro vector of each EQ, where there is one.
    let lower_eq1 = macro_score([eq1 + 1, eq2, eq3, eq4, eq5, eq6]);
    let lower_eq2 = macro_score([eq1, eq2 + 1, eq3, eq4, eq5, eq6]);
    let lower_eq3_eq6 = match (eq3, eq6) {
        // 00 goes down either to 01 or to 10: the higher of the two.
        (0, 0) => match (
            macro_score([eq1, eq2, eq3, eq4, eq5, eq6 + 1]),
            macro_score([eq1, eq2, eq3 + 1, eq4, eq5, eq6]),
        ) {
            (Some(left), Some(right)) => Some(left.max(right)),
            _ => None,
        },
        // 10 goes down to 11.
        (1, 0) => macro_score([eq1, eq2, eq3, eq4, eq5, eq6 + 1]),
        // 01 to 11, 11 to 21.
        (0 | 1, 1) => macro_score([eq1, eq2, eq3 + 1, eq4, eq5, eq6]),
        // 21 is the lowest.
        _ => None,
    };
    let lower_eq4 = macro_score([eq1, eq2, eq3, eq4 + 1, eq5, eq6]);
    let lower_eq5 = macro_score([eq1, eq2, eq3, eq4, eq5 + 1, eq6]);

    // 1b. The severity distance from the first highest-severity vector of the macro vector
    // that is no less severe than this vector in any metric (the last one tried if none).
    let eq3_eq6_maxes = EQ3_EQ6_MAXES[usize::from(eq3)][usize::from(eq6)];
    let mut distances = [0.0_f64; 4];
    'search: for eq1_max in EQ1_MAXES[usize::from(eq1)] {
        for eq2_max in EQ2_MAXES[usize::from(eq2)] {
            for eq3_eq6_max in eq3_eq6_maxes {
                let parts = [
                    *eq1_max,
                    *eq2_max,
                    *eq3_eq6_max,
                    EQ4_MAXES[usize::from(eq4)],
                ];
                let mut all_reachable = true;
                for (group, (metrics, part)) in DISTANCE_GROUPS.iter().zip(parts).enumerate() {
                    // Summed left to right, as the reference does.
                    let mut sum = 0.0;
                    for metric in *metrics {
                        let d = level(metric, v4_effective(m, metric))
                            - level(metric, max_value(part, metric));
                        all_reachable &= d >= 0.0;
                        sum += d;
                    }
                    distances[group] = sum;
                }
                if all_reachable {
                    break 'search;
                }
            }
        }
    }

    // 1c, 1d. Each EQ's share of its available distance, for the EQs with a lower macro.
    let depths = [
        f64::from(EQ1_DEPTH[usize::from(eq1)]) * STEP,
        f64::from(EQ2_DEPTH[usize::from(eq2)]) * STEP,
        f64::from(EQ3_EQ6_DEPTH[usize::from(eq3)][usize::from(eq6)]) * STEP,
        f64::from(EQ4_DEPTH[usize::from(eq4)]) * STEP,
    ];
    let lowers = [lower_eq1, lower_eq2, lower_eq3_eq6, lower_eq4];
    let mut existing = 0_u8;
    let mut normalized = [0.0_f64; 5];
    for (i, lower) in lowers.iter().enumerate() {
        if let Some(lower) = lower {
            existing += 1;
            let available = value - lower;
            normalized[i] = available * (distances[i] / depths[i]);
        }
    }
    // EQ5 counts towards the mean when it has a lower macro vector, with a proportion of 0.
    if lower_eq5.is_some() {
        existing += 1;
    }

    // 2. The mean of the proportional distances.
    let mean = if existing == 0 {
        0.0
    } else {
        (normalized[0] + normalized[1] + normalized[2] + normalized[3] + normalized[4])
            / f64::from(existing)
    };

    // 3. The macro vector's score less the mean, clamped and rounded half up.
    let score = (value - mean).clamp(0.0, 10.0);
    ((score + ROUNDING_EPSILON) * 10.0).round() / 10.0
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // scores are rounded to one decimal: exact comparison is the point
mod tests {
    use super::*;

    fn score(vector: &str) -> f64 {
        parse(vector)
            .unwrap_or_else(|e| panic!("{vector}: {e}"))
            .base_score
    }

    #[test]
    fn v31_specification_examples() {
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), 10.0);
        // CVSS v3.1 examples document: Heartbleed (CVE-2014-0160), phpMyAdmin XSS
        // (CVE-2013-1937).
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"), 7.5);
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
        assert_eq!(score("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N"), 0.0);
    }

    #[test]
    fn v3_temporal_and_environmental_metrics_are_accepted_and_ignored() {
        let cvss = parse(
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U/CR:L/MAV:P/MS:C/MA:N",
        )
        .expect("valid v3.0 vector");
        assert_eq!(cvss.version, Version::V3_0);
        assert_eq!(cvss.base_score, 9.8);
        // Any order.
        assert_eq!(score("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N"), 9.8);
    }

    #[test]
    fn v31_roundup_removes_floating_point_noise() {
        // Appendix A: 4.000000000000001 must round up to 4.0, not 4.1.
        assert_eq!(roundup_v31(4.000_000_000_000_001), 4.0);
        assert_eq!(roundup_v31(4.02), 4.1);
        assert_eq!(roundup_v31(4.0), 4.0);
        assert_eq!(roundup_v30(4.02), 4.1);
        assert_eq!(roundup_v30(4.0), 4.0);
    }

    #[test]
    fn v2_guide_examples() {
        // CVSS v2 guide, section 3.3: CVE-2002-0392, CVE-2003-0818, CVE-2003-0062.
        assert_eq!(score("AV:N/AC:L/Au:N/C:N/I:N/A:C"), 7.8);
        assert_eq!(score("AV:N/AC:L/Au:N/C:C/I:C/A:C"), 10.0);
        assert_eq!(score("AV:L/AC:H/Au:N/C:C/I:C/A:C"), 6.2);
        assert_eq!(score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), 7.5);
        assert_eq!(score("AV:N/AC:L/Au:N/C:N/I:N/A:N"), 0.0);
        let cvss = parse("AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H")
            .expect("valid v2 vector with temporal and environmental metrics");
        assert_eq!(cvss.version, Version::V2);
        assert_eq!(cvss.base_score, 7.8);
    }

    #[test]
    fn v4_specification_examples() {
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            9.3
        );
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N"),
            0.0
        );
        // FIRST's reference scores (cvss-resources, vectorFiles/reference-scores).
        assert_eq!(
            score(
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A/CR:H/IR:H/AR:H/MSI:S/MSA:S"
            ),
            10.0
        );
        assert_eq!(
            score(
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:H/IR:H/AR:H"
            ),
            9.3
        );
        assert_eq!(
            score(
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L/E:U/CR:M/IR:M/AR:M"
            ),
            6.8
        );
        assert_eq!(
            score(
                "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:L/VI:L/VA:L/SC:L/SI:L/SA:L/E:U/CR:H/IR:H/AR:H"
            ),
            1.7
        );
        assert_eq!(
            score(
                "CVSS:4.0/AV:A/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U/CR:H/IR:H/AR:H/MSI:S/MSA:S"
            ),
            7.6
        );
        // The reference calculator's own example (CVSS-BTE).
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:L/SC:N/SI:N/SA:N/E:A/MAV:A"),
            8.7
        );
    }

    #[test]
    fn v4_rounds_a_floating_point_tie_half_up() {
        // Unrounded 8.55, computed as 8.549999…: the 2024-11-01 reference fix gives 8.6.
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:H/SI:H/SA:H"),
            8.6
        );
    }

    #[test]
    fn v4_supplemental_metrics_do_not_change_the_score() {
        let plain = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        let supplemental = format!("{plain}/S:P/AU:Y/R:I/V:C/RE:H/U:Red");
        assert_eq!(score(&supplemental), score(plain));
    }

    #[test]
    fn every_reachable_macro_vector_has_a_score() {
        assert!(MACRO_SCORES.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
        let mut count = 0;
        for eq1 in 0..3 {
            for eq2 in 0..2 {
                for eq3 in 0..3 {
                    for eq4 in 0..3 {
                        for eq5 in 0..3 {
                            for eq6 in 0..2 {
                                let eq = [eq1, eq2, eq3, eq4, eq5, eq6];
                                let reachable = !(eq3 == 2 && eq6 == 0);
                                assert_eq!(macro_score(eq).is_some(), reachable, "{eq:?}");
                                count += usize::from(reachable);
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(count, MACRO_SCORES.len());
    }

    #[test]
    fn errors_name_what_is_wrong() {
        assert_eq!(parse("  "), Err(CvssError::Empty));
        assert_eq!(
            parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"),
            Err(CvssError::MissingMetric {
                version: Version::V3_1,
                metric: "A"
            })
        );
        assert_eq!(
            parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N"),
            Err(CvssError::MissingMetric {
                version: Version::V4_0,
                metric: "SA"
            })
        );
        assert_eq!(
            parse("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Err(CvssError::InvalidValue {
                version: Version::V3_1,
                metric: "AV".into(),
                value: "X".into()
            })
        );
        assert_eq!(
            parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L"),
            Err(CvssError::DuplicateMetric {
                version: Version::V3_1,
                metric: "AV".into()
            })
        );
        assert_eq!(
            parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1"),
            Err(CvssError::UnknownMetric {
                version: Version::V3_1,
                metric: "ZZ".into()
            })
        );
        assert_eq!(
            parse("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P"),
            Err(CvssError::UnknownVersion {
                prefix: "CVSS:2.0".into()
            })
        );
        assert_eq!(
            parse("CVSS:3.1"),
            Err(CvssError::UnknownVersion {
                prefix: "CVSS:3.1".into()
            })
        );
        assert_eq!(
            parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/"),
            Err(CvssError::Malformed {
                component: String::new()
            })
        );
        // A v3 vector without its prefix is read as v2, whose metrics it does not match.
        assert_eq!(
            parse("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Err(CvssError::UnknownMetric {
                version: Version::V2,
                metric: "PR".into()
            })
        );
        // Values are case-sensitive, as the specifications write them.
        assert!(matches!(
            parse("CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Err(CvssError::InvalidValue { .. })
        ));
    }

    #[test]
    fn the_vector_is_kept_trimmed() {
        let cvss = parse(" CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n").expect("valid");
        assert_eq!(cvss.vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    }

    #[test]
    fn severity_bands() {
        let cvss = |version, base_score| Cvss {
            version,
            vector: String::new(),
            base_score,
        };
        let v31 = Version::V3_1;
        assert_eq!(cvss(v31, 0.0).severity(), Severity::Info);
        assert_eq!(cvss(v31, 0.1).severity(), Severity::Low);
        assert_eq!(cvss(v31, 3.9).severity(), Severity::Low);
        assert_eq!(cvss(v31, 4.0).severity(), Severity::Medium);
        assert_eq!(cvss(v31, 6.9).severity(), Severity::Medium);
        assert_eq!(cvss(v31, 7.0).severity(), Severity::High);
        assert_eq!(cvss(v31, 8.9).severity(), Severity::High);
        assert_eq!(cvss(v31, 9.0).severity(), Severity::Critical);
        assert_eq!(cvss(Version::V4_0, 10.0).severity(), Severity::Critical);
        assert_eq!(cvss(Version::V2, 10.0).severity(), Severity::High);
        assert_eq!(cvss(Version::V2, 0.0).severity(), Severity::Info);
    }
}
