//! Decoding audit documents: an `EventList` (what the webhook backend POSTs, and `kubectl get
//! --raw` shapes), a single `Event`, or JSON lines of either (what the log backend writes).
//!
//! Every event that comes out is a JSON object whose `kind` is `Event`, with its Secret
//! payloads redacted ([`redact`]). Anything else is [`Malformed`]: counted, sampled (the
//! sample redacted and cut short), never fatal.

use serde_json::Value;

use crate::AuditError;

/// Bounds on untrusted input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest document (`EventList` body, whole file) decoded at once. Default 256 MiB.
    pub max_document_bytes: u64,
    /// The longest line of a JSON-lines file. Default 16 MiB (the API server's own limit on an
    /// event is far below).
    pub max_line_bytes: u64,
    /// The most events one document may hold. Default 1,000,000.
    pub max_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_bytes: 256 << 20,
            max_line_bytes: 16 << 20,
            max_events: 1_000_000,
        }
    }
}

/// An input that is not an audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// Its 1-based line, for JSON lines; `None` inside a single document.
    pub line: Option<u64>,
    /// Why it was refused.
    pub reason: String,
    /// Its start (at most [`SAMPLE_CHARS`] characters), Secret values redacted.
    pub sample: String,
}

/// How much of a malformed input [`Malformed::sample`] keeps.
pub const SAMPLE_CHARS: usize = 160;

/// Decoded events and the inputs refused.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decoded {
    /// The events, in input order.
    pub events: Vec<Value>,
    /// What was not an event.
    pub malformed: Vec<Malformed>,
}

/// Decodes a whole document: an `EventList` or `Event` object, or JSON lines. A document that
/// is one JSON value is taken as such; otherwise it is read as lines.
///
/// # Errors
/// [`AuditError::TooLarge`] when the document or a line exceeds `limits`. Malformed content is
/// not an error: it is in [`Decoded::malformed`].
pub fn decode_document(bytes: &[u8], limits: &Limits) -> Result<Decoded, AuditError> {
    if bytes.len() as u64 > limits.max_document_bytes {
        return Err(AuditError::TooLarge {
            what: "the audit document".into(),
            limit: limits.max_document_bytes,
        });
    }
    let mut out = Decoded::default();
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Ok(out);
    }
    // one value (possibly pretty-printed over many lines), or lines
    if let Ok(v) = serde_json::from_slice::<Value>(trimmed) {
        push_value(v, None, limits, &mut out);
        return Ok(out);
    }
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        decode_line(line, i as u64 + 1, limits, &mut out)?;
    }
    Ok(out)
}

/// Decodes one line of a JSON-lines input into `out` (blank lines are skipped).
///
/// # Errors
/// [`AuditError::TooLarge`] when the line exceeds `limits.max_line_bytes`.
pub fn decode_line(
    line: &[u8],
    line_no: u64,
    limits: &Limits,
    out: &mut Decoded,
) -> Result<(), AuditError> {
    if line.len() as u64 > limits.max_line_bytes {
        return Err(AuditError::TooLarge {
            what: format!("line {line_no}"),
            limit: limits.max_line_bytes,
        });
    }
    let line = line.trim_ascii();
    if line.is_empty() {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(line) {
        Ok(v) => push_value(v, Some(line_no), limits, out),
        Err(e) => out.malformed.push(Malformed {
            line: Some(line_no),
            reason: format!("not JSON: {e}"),
            sample: sample_bytes(line),
        }),
    }
    Ok(())
}

fn push_value(v: Value, line: Option<u64>, limits: &Limits, out: &mut Decoded) {
    match v.get("kind").and_then(Value::as_str) {
        Some("Event") => push_event(v, line, limits, out),
        Some("EventList") => match v {
            Value::Object(mut m) => match m.remove("items") {
                Some(Value::Array(items)) => {
                    for item in items {
                        push_event(item, line, limits, out);
                    }
                }
                Some(Value::Null) | None => {}
                Some(other) => out.malformed.push(Malformed {
                    line,
                    reason: "an EventList whose items are not an array".into(),
                    sample: sample_value(other),
                }),
            },
            _ => unreachable!("a value with a kind is an object"),
        },
        _ => out.malformed.push(Malformed {
            line,
            reason: "not an audit Event or EventList (kind is missing or other)".into(),
            sample: sample_value(v),
        }),
    }
}

fn push_event(mut v: Value, line: Option<u64>, limits: &Limits, out: &mut Decoded) {
    let ok = v.is_object() && v.get("kind").and_then(Value::as_str) == Some("Event");
    if !ok {
        out.malformed.push(Malformed {
            line,
            reason: "an EventList item that is not an Event".into(),
            sample: sample_value(v),
        });
        return;
    }
    if out.events.len() >= limits.max_events {
        out.malformed.push(Malformed {
            line,
            reason: format!("more than {} events in one document", limits.max_events),
            sample: String::new(),
        });
        return;
    }
    redact(&mut v);
    out.events.push(v);
}

/// The placeholder written over redacted values.
pub const REDACTED: &str = "<redacted>";

/// Redacts Secret payloads in an audit event, in place: the `data` and `stringData` values of
/// every Secret in `requestObject` and `responseObject` (also inside lists and in the
/// `kubectl.kubernetes.io/last-applied-configuration` annotation, which repeats them), so no
/// output, log or spool of Bulwark carries them. Keys stay (rules may test which keys exist).
pub fn redact(event: &mut Value) {
    let secret_ref =
        event.pointer("/objectRef/resource").and_then(Value::as_str) == Some("secrets");
    for key in ["requestObject", "responseObject"] {
        if let Some(obj) = event.get_mut(key) {
            redact_object(obj, secret_ref, 0);
        }
    }
}

fn redact_object(v: &mut Value, secret_ref: bool, depth: usize) {
    if depth > 8 {
        return;
    }
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    let is_secret = kind == "Secret" || (secret_ref && kind.is_empty());
    if let Some(items) = v.get_mut("items").and_then(Value::as_array_mut) {
        for item in items {
            redact_object(item, secret_ref, depth + 1);
        }
    }
    let Some(map) = v.as_object_mut() else {
        return;
    };
    if !is_secret {
        return;
    }
    for field in ["data", "stringData"] {
        if let Some(Value::Object(values)) = map.get_mut(field) {
            for value in values.values_mut() {
                *value = Value::String(REDACTED.into());
            }
        }
    }
    if let Some(Value::Object(ann)) = map
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
        && let Some(last) = ann.get_mut("kubectl.kubernetes.io/last-applied-configuration")
    {
        *last = Value::String(REDACTED.into());
    }
}

fn cut(s: &str) -> String {
    s.chars().take(SAMPLE_CHARS).collect()
}

fn sample_bytes(b: &[u8]) -> String {
    // not JSON: no structure to redact by; keep only a short prefix
    cut(&String::from_utf8_lossy(b))
}

fn sample_value(mut v: Value) -> String {
    redact(&mut v);
    if v.get("kind").and_then(Value::as_str) == Some("Secret") {
        redact_object(&mut v, true, 0);
    }
    cut(&v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str) -> Decoded {
        decode_document(s.as_bytes(), &Limits::default()).unwrap()
    }

    const EVENT: &str =
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","auditID":"a"}"#;

    #[test]
    fn lines_lists_and_single_events_decode() {
        let lines = format!("{EVENT}\n\n{EVENT}\n");
        assert_eq!(decode(&lines).events.len(), 2);
        let list = format!(r#"{{"kind":"EventList","items":[{EVENT},{EVENT},{EVENT}]}}"#);
        assert_eq!(decode(&list).events.len(), 3);
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(EVENT).unwrap()).unwrap();
        assert_eq!(decode(&pretty).events.len(), 1, "one pretty-printed event");
        assert!(decode("").events.is_empty());
    }

    #[test]
    fn malformed_lines_are_counted_with_their_line_and_do_not_stop_the_rest() {
        let d = decode(&format!(
            "{EVENT}\n{{not json\n{{\"kind\":\"Pod\"}}\n{EVENT}"
        ));
        assert_eq!(d.events.len(), 2);
        let lines: Vec<_> = d.malformed.iter().map(|m| m.line).collect();
        assert_eq!(lines, [Some(2), Some(3)]);
        assert!(d.malformed[0].reason.starts_with("not JSON"));
        assert!(d.malformed[1].sample.contains("Pod"));
    }

    #[test]
    fn limits_are_enforced() {
        let limits = Limits {
            max_document_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            decode_document(EVENT.as_bytes(), &limits),
            Err(AuditError::TooLarge { .. })
        ));
        let limits = Limits {
            max_events: 2,
            ..Limits::default()
        };
        let d = decode_document(format!("{EVENT}\n{EVENT}\n{EVENT}").as_bytes(), &limits).unwrap();
        assert_eq!((d.events.len(), d.malformed.len()), (2, 1));
    }

    #[test]
    fn secret_payloads_are_redacted_and_keys_kept() {
        let e = r#"{"kind":"Event","objectRef":{"resource":"secrets","name":"db"},
            "requestObject":{"kind":"Secret","data":{"password":"aHVudGVyMg=="},
              "stringData":{"token":"hunter2"},
              "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}}},
            "responseObject":{"kind":"SecretList","items":[{"kind":"Secret","data":{"k":"c2VjcmV0"}}]}}"#
            .replace('\n', " ");
        let d = decode(&e);
        let text = d.events[0].to_string();
        for leaked in ["aHVudGVyMg", "hunter2", "c2VjcmV0"] {
            assert!(!text.contains(leaked), "{leaked} in {text}");
        }
        assert_eq!(
            d.events[0].pointer("/requestObject/data/password"),
            Some(&Value::String(REDACTED.into()))
        );
        // a ConfigMap is not touched
        let cm = r#"{"kind":"Event","objectRef":{"resource":"configmaps"},"requestObject":{"kind":"ConfigMap","data":{"a":"b"}}}"#;
        assert_eq!(
            decode(cm).events[0].pointer("/requestObject/data/a"),
            Some(&Value::String("b".into()))
        );
    }
}
