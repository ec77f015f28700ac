//! Recognising Helm charts and templates, which must be rendered before they can be scanned.

use std::path::Path;

/// Whether `dir` is a Helm chart (it holds a `Chart.yaml`).
pub fn is_chart_dir(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file() || dir.join("Chart.yml").is_file()
}

/// The message shown for a chart or template that was not scanned.
pub fn chart_render_hint(chart: &str) -> String {
    format!(
        "Helm chart: not scanned as YAML; render it first: helm template RELEASE {chart} | bulwark scan -"
    )
}

/// Helm-specific template actions. Plain Go templates (`{{ $labels.x }}` in Prometheus rules,
/// `{{.app.metadata.name}}` in Argo CD notifications) are ordinary string content and do not
/// count: only actions that name Helm's built-in objects or functions do.
const HELM_ACTIONS: &[&str] = &[
    ".Values",
    "$.Values",
    ".Release",
    "$.Release",
    ".Chart",
    ".Capabilities",
    ".Files",
    ".Template",
    "include ",
    "template ",
    "toYaml ",
    "tpl ",
    "required ",
];

/// Whether `text` is a Helm template: it has a `{{ … }}` action that uses Helm's objects.
pub fn looks_like_helm_template(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        let after = rest[i + 2..].trim_start_matches('-').trim_start();
        if HELM_ACTIONS.iter().any(|a| after.starts_with(a)) {
            return true;
        }
        rest = &rest[i + 2..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_actions_are_recognised() {
        assert!(looks_like_helm_template("name: {{ .Values.name }}"));
        assert!(looks_like_helm_template(
            "{{- include \"x\" . | nindent 4 }}"
        ));
        assert!(looks_like_helm_template("ns: {{.Release.Namespace}}"));
    }

    #[test]
    fn plain_go_templates_in_strings_are_not_helm() {
        assert!(!looks_like_helm_template(
            "description: '{{ $labels.instance }} is down, value {{ $value }}'"
        ));
        assert!(!looks_like_helm_template("body: '{{.app.metadata.name}}'"));
        assert!(!looks_like_helm_template(
            "Valid values include \"user\" and \"team\"."
        ));
    }
}
