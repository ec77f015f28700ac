//! Recognising Helm charts and templates, which must be rendered before they can be scanned.
//!
//! A file is a template when it has `{{ … }}` actions outside YAML strings: such an action is
//! YAML structure (`name: {{ .Values.name }}` parses as a nested mapping) or breaks parsing
//! altogether. Actions inside strings are content: Prometheus rules, Argo CD notifications and
//! rendered charts that ship templates for another tool all carry them, and they are scanned.

use std::path::Path;

use bulwark_yaml::{Node, Value};

/// Whether `dir` is a Helm chart (it holds a `Chart.yaml`).
pub fn is_chart_dir(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file() || dir.join("Chart.yml").is_file()
}

/// The note for a chart directory that was not scanned.
pub fn chart_render_hint(chart: &str) -> String {
    format!(
        "Helm chart: not scanned as YAML; render it first: helm template RELEASE {chart} | bulwark scan -"
    )
}

/// The note for a template file that was not scanned.
pub fn template_render_hint() -> String {
    "template ({{ … }} actions outside YAML strings): not scanned as YAML; render it first, e.g. helm template RELEASE CHART | bulwark scan -".to_string()
}

/// Counts `{{` in `text` outside comments (a `#` at the start of a line or after white space,
/// outside quotes on that line).
pub(crate) fn actions_outside_comments(text: &str) -> usize {
    text.lines()
        .map(|line| {
            let mut quote: Option<char> = None;
            let mut end = line.len();
            let mut prev = ' ';
            for (i, c) in line.char_indices() {
                match (quote, c) {
                    (None, '"' | '\'') => quote = Some(c),
                    (Some(q), c) if c == q => quote = None,
                    (None, '#') if prev == ' ' || prev == '\t' => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
                prev = c;
            }
            line[..end].matches("{{").count()
        })
        .sum()
}

/// Counts `{{` inside the strings (keys and scalar values) of a parsed document.
pub(crate) fn actions_in_strings(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(s) => s.text.matches("{{").count(),
        Value::Seq(items) => items.iter().map(actions_in_strings).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|e| e.key.matches("{{").count() + actions_in_strings(&e.value))
            .sum(),
    }
}

#[cfg(test)]
mod tests {

    use crate::{Limits, load_bytes};

    fn is_template(text: &str) -> bool {
        load_bytes("t.yaml", text.as_bytes(), &Limits::default()).helm_template
    }

    #[test]
    fn actions_in_structure_make_a_template() {
        assert!(is_template(
            "kind: Pod\nmetadata:\n  name: {{ .Values.name }}\n"
        ));
        assert!(is_template(
            "{{- if .Values.enabled }}\nkind: Pod\n{{- end }}\n"
        ));
        assert!(is_template(
            "kind: Pod\nmetadata:\n  labels: {{- include \"x\" . | nindent 4 }}\n"
        ));
        assert!(
            is_template("kind: Pod\nspec:\n  x: {{ $fullName }}\n"),
            "any action, not only Helm's"
        );
    }

    #[test]
    fn actions_inside_strings_and_comments_are_content() {
        assert!(!is_template(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  rule: '{{ $labels.instance }} is down'\n  values.yaml: |\n    image: {{ .Values.image }}\n"
        ));
        assert!(!is_template(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"{{ .Release.Name }}\"\n"
        ));
        assert!(!is_template(
            "# render with {{ .Values.x }}\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        ));
    }
}
