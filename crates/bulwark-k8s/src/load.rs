//! Bytes of one file to Kubernetes objects.

use std::sync::Arc;

use crate::object::Object;
use crate::{Limits, ParseError, helm};
use bulwark_yaml::{Node, Pos, Value, parse_json, parse_yaml};

/// A problem with part of a file. Other documents of the file are still loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// What went wrong (its position, when known, is [`ParseError::pos`]).
    pub error: ParseError,
}

/// A document that parsed but is not a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedDocument {
    /// Where the document starts.
    pub pos: Pos,
    /// Why it was skipped.
    pub reason: String,
}

/// Everything loaded from one file.
#[derive(Debug, Clone, Default)]
pub struct LoadedFile {
    /// The objects, in file order (members of a `kind: List` in place of the list).
    pub objects: Vec<Object>,
    /// Parse errors; documents after a recoverable error are still loaded.
    pub errors: Vec<LoadError>,
    /// Documents that are not Kubernetes objects.
    pub skipped: Vec<SkippedDocument>,
    /// Non-empty documents seen.
    pub documents: usize,
    /// The file is a template (`{{ … }}` actions outside YAML strings, as in a Helm chart's
    /// templates) and was not scanned.
    pub helm_template: bool,
}

/// Loads the Kubernetes objects in one file. `path` is how the file is shown to the user.
///
/// JSON is recognised by a `.json` name or a leading `{`/`[`; everything else is read as a YAML
/// stream. Nothing here panics on any input; see [`Limits`] for the bounds.
pub fn load_bytes(path: &str, bytes: &[u8], limits: &Limits) -> LoadedFile {
    let mut out = LoadedFile::default();
    let size = bytes.len() as u64;
    if size > limits.max_file_size {
        out.errors.push(LoadError {
            error: ParseError::TooLarge {
                size,
                limit: limits.max_file_size,
            },
        });
        return out;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            out.errors.push(LoadError {
                error: ParseError::NotUtf8 {
                    pos: Pos {
                        line: u32::try_from(line).unwrap_or(u32::MAX),
                        col: u32::try_from(col).unwrap_or(u32::MAX),
                    },
                },
            });
            return out;
        }
    };
    let docs = parse_documents(path, text, limits);
    let actions = helm::actions_outside_comments(text);
    if actions > 0 {
        let in_strings: usize = docs
            .iter()
            .filter_map(|d| d.as_ref().ok())
            .map(helm::actions_in_strings)
            .sum();
        if in_strings < actions {
            out.helm_template = true;
            return out;
        }
    }
    let path: Arc<str> = Arc::from(path);
    for doc in docs {
        match doc {
            Ok(node) => {
                out.documents += 1;
                extract(&path, node, &mut out);
            }
            Err(error) => out.errors.push(LoadError { error }),
        }
    }
    for o in &mut out.objects {
        o.shed_weight();
    }
    out
}

fn parse_documents(path: &str, text: &str, limits: &Limits) -> Vec<Result<Node, ParseError>> {
    let is_json_name = std::path::Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let looks_json = matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['));
    if !(is_json_name || looks_json) {
        return parse_yaml(text, limits);
    }
    let docs = parse_json(text, limits);
    if is_json_name || docs.iter().all(Result::is_ok) {
        return docs;
    }
    // Flow-style YAML (`{kind: Pod, …}`) starts like JSON; prefer whichever parser succeeds.
    let as_yaml = parse_yaml(text, limits);
    if as_yaml.iter().all(Result::is_ok) {
        as_yaml
    } else {
        docs
    }
}

/// Adds the objects of one document: the object itself, or the members of a list.
fn extract(path: &Arc<str>, node: Node, out: &mut LoadedFile) {
    let pos = node.pos;
    if node.as_map().is_none() {
        out.skipped.push(SkippedDocument {
            pos,
            reason: "document is not a mapping, so not a Kubernetes object".to_string(),
        });
        return;
    }
    let is_list = node
        .get("kind")
        .and_then(Node::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && node.get("apiVersion").is_some()
        && node.get("items").is_some();
    if is_list {
        let Value::Map(entries) = node.value else {
            return;
        };
        // A typed list (`PodList`, as the API server returns `GET /api/v1/pods`) leaves out
        // its items' `apiVersion` and `kind`: they are the list's, minus `List`.
        let list_kind = entries
            .iter()
            .rev()
            .find(|e| e.key == "kind")
            .and_then(|e| e.value.as_str())
            .and_then(|k| k.strip_suffix("List"))
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        let list_api_version = entries
            .iter()
            .rev()
            .find(|e| e.key == "apiVersion")
            .and_then(|e| e.value.as_str())
            .map(str::to_string);
        let Some(items) = entries.into_iter().rev().find(|e| e.key == "items") else {
            return;
        };
        let Value::Seq(items) = items.value.value else {
            out.errors.push(LoadError {
                error: ParseError::Invalid {
                    message: "`items` of a list must be a sequence".to_string(),
                    pos: items.value.pos,
                },
            });
            return;
        };
        for (i, mut item) in items.into_iter().enumerate() {
            let item_pos = item.pos;
            if let (Some(kind), Some(api_version), Value::Map(fields)) =
                (&list_kind, &list_api_version, &mut item.value)
            {
                for (key, text) in [("apiVersion", api_version), ("kind", kind)] {
                    if !fields.iter().any(|e| e.key == key) {
                        fields.push(bulwark_yaml::Entry {
                            key: key.into(),
                            key_pos: item_pos,
                            value: Node::plain(text, item_pos),
                        });
                    }
                }
            }
            match Object::from_node(path.clone(), item, format!("items[{i}].")) {
                Some(obj) => out.objects.push(obj),
                None => out.skipped.push(SkippedDocument {
                    pos: item_pos,
                    reason: format!("list item {i} has no apiVersion and kind"),
                }),
            }
        }
        return;
    }
    match Object::from_node(path.clone(), node, String::new()) {
        Some(obj) => out.objects.push(obj),
        None => out.skipped.push(SkippedDocument {
            pos,
            reason: "document has no apiVersion and kind, so it is not a Kubernetes object"
                .to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(path: &str, text: &str) -> LoadedFile {
        load_bytes(path, text.as_bytes(), &Limits::default())
    }

    #[test]
    fn multi_document_yaml_with_a_broken_document() {
        let f = load(
            "m.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: [\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n",
        );
        let names: Vec<_> = f.objects.iter().map(|o| &*o.name).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(f.errors.len(), 1);
        assert_eq!(f.errors[0].error.pos().map(|p| p.line), Some(6));
    }

    #[test]
    fn lists_are_flattened_with_field_prefixes() {
        let f = load(
            "l.json",
            r#"{"apiVersion":"v1","kind":"List","items":[
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"x"}},
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}},
                {"foo":"bar"}]}"#,
        );
        assert_eq!(f.objects.len(), 2);
        assert_eq!(f.objects[0].field_prefix, "items[0].");
        assert_eq!(f.objects[0].namespace.as_deref(), Some("x"));
        assert_eq!(f.objects[1].pos().line, 3);
        assert_eq!(f.skipped.len(), 1);
    }

    #[test]
    fn typed_lists_lend_their_items_apiversion_and_kind() {
        let f = load(
            "pods.yaml",
            "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n",
        );
        assert_eq!(f.objects.len(), 2);
        assert_eq!(&*f.objects[0].kind, "Pod");
        assert_eq!(&*f.objects[0].api_version, "v1");
        assert_eq!(&*f.objects[1].kind, "Secret", "an item's own kind wins");
    }

    #[test]
    fn not_kubernetes_is_skipped_not_an_error() {
        let f = load("c.yml", "version: 0.1\nlog:\n  level: debug\n");
        assert!(f.objects.is_empty());
        assert!(f.errors.is_empty());
        assert_eq!(f.skipped.len(), 1);
    }

    #[test]
    fn helm_templates_are_recognised_not_parsed() {
        let f = load(
            "t.yaml",
            "kind: Pod\nmetadata:\n  name: {{ .Values.name }}\n",
        );
        assert!(f.helm_template);
        assert!(f.errors.is_empty());
    }

    #[test]
    fn size_and_encoding_errors() {
        let limits = Limits {
            max_file_size: 4,
            ..Limits::default()
        };
        let f = load_bytes("big.yaml", b"a: 12345", &limits);
        assert!(matches!(f.errors[0].error, ParseError::TooLarge { .. }));
        let f = load_bytes("bin.yaml", b"a: 1\nb: \xff\n", &Limits::default());
        assert_eq!(
            f.errors[0].error,
            ParseError::NotUtf8 {
                pos: Pos { line: 2, col: 4 }
            }
        );
    }

    #[test]
    fn crd_schemas_are_shed_but_the_crd_is_kept() {
        let f = load(
            "crd.yaml",
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ws.example.com}\nspec:\n  group: example.com\n  scope: Namespaced\n  versions:\n  - name: v1\n    schema: {openAPIV3Schema: {type: object}}\n",
        );
        let crd = &f.objects[0];
        assert_eq!(
            crd.root.path(&["spec", "scope"]).and_then(Node::as_str),
            Some("Namespaced")
        );
        let v = &crd
            .root
            .path(&["spec", "versions"])
            .and_then(Node::as_seq)
            .expect("versions")[0];
        assert_eq!(v.get("name").and_then(Node::as_str), Some("v1"));
        assert!(v.get("schema").is_none());
    }

    #[test]
    fn flow_yaml_that_looks_like_json() {
        let f = load("f.yaml", "{apiVersion: v1, kind: Pod, metadata: {name: p}}");
        assert_eq!(f.objects.len(), 1);
        assert!(f.errors.is_empty());
    }
}
