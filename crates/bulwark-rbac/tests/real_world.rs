//! The RBAC analysis on ../shared/k8s/real-world: every finding there is reviewed (docs/rbac.md
//! lists what is reported and why); this test pins them so that noise cannot creep in.

use std::path::{Path, PathBuf};

use bulwark_k8s::{Limits, Snapshot, load_bytes};

fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/k8s/real-world");
    assert!(
        p.is_dir(),
        "these tests read ../shared/k8s/real-world; it is missing at {}",
        p.display()
    );
    p
}

/// Every manifest under `dir`, sorted, leaving out Helm chart templates (`templates/`).
fn load(dir: &Path, default_namespace: &str) -> Snapshot {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("readable directory")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "templates") {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    let mut objects = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f).expect("readable file");
        let shown = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
        objects.extend(load_bytes(&shown, &bytes, &Limits::default()).objects);
    }
    Snapshot::new(objects, default_namespace)
}

/// The findings of one project, loaded into the namespace its documentation installs it in.
fn lines(dir: &str) -> Vec<String> {
    let ns = if dir == "argo-cd" {
        "argocd"
    } else {
        "default"
    };
    let s = load(&shared().join(dir), ns);
    bulwark_rbac::findings(&s)
        .iter()
        .map(|f| format!("{} {} {}", f.id, f.severity.as_str(), f.message))
        .collect()
}

/// `ID severity <who>`: each finding's check, severity and subject, the part of its message
/// before what the subject can do.
fn summary(dir: &str) -> Vec<String> {
    lines(dir)
        .into_iter()
        .map(|l| match l.find(" can ") {
            Some(i) => l[..i].to_string(),
            None => l,
        })
        .collect()
}

#[test]
fn kubernetes_goat_reports_its_two_rbac_scenarios() {
    assert_eq!(
        summary("kubernetes-goat"),
        [
            "RBAC001 critical Service account kube-system/superadmin",
            "RBAC003 medium ClusterRole big-monolith/secret-reader rules[0] grants every resource (*) (get, watch, list on * (core)), in the namespaces its bindings grant it; bound by RoleBinding big-monolith/secret-reader-binding.",
            "RBAC004 medium Deployment big-monolith/hunger-check-deployment runs as service account big-monolith/big-monolith-sa, which",
        ]
        .map(|s| s.replace("ClusterRole big-monolith", "Role big-monolith"))
    );
}

#[test]
fn kube_prometheus_reports_what_its_operator_and_kube_state_metrics_can_do() {
    assert_eq!(
        summary("kube-prometheus"),
        [
            "RBAC003 high ClusterRole prometheus-operator rules[1] grants every verb (*) (* on statefulsets (apps)), cluster-wide; bound by ClusterRoleBinding prometheus-operator.",
            "RBAC003 high ClusterRole prometheus-operator rules[2] grants every verb (*) (* on configmaps, secrets (core)), cluster-wide; bound by ClusterRoleBinding prometheus-operator.",
            "RBAC004 high Deployment monitoring/kube-state-metrics runs as service account monitoring/kube-state-metrics, which",
            "RBAC004 high Deployment monitoring/prometheus-operator runs as service account monitoring/prometheus-operator, which",
            "RBAC005 high Deployment monitoring/prometheus-operator runs as service account monitoring/prometheus-operator, which",
            "RBAC019 high Deployment monitoring/prometheus-operator runs as service account monitoring/prometheus-operator, which",
            "RBAC020 high Deployment monitoring/prometheus-operator runs as service account monitoring/prometheus-operator, which",
        ]
    );
}

#[test]
fn argo_cd_reports_its_controllers_and_server() {
    let got = summary("argo-cd");
    let count = |id: &str| got.iter().filter(|l| l.starts_with(id)).count();
    assert_eq!(count("RBAC001"), 1, "{got:#?}");
    assert!(
        got[0].starts_with(
            "RBAC001 critical StatefulSet argocd/argocd-application-controller runs as"
        ),
        "{got:#?}"
    );
    assert_eq!(
        count("RBAC003"),
        1,
        "argocd-server's `*` resources rule: {got:#?}"
    );
    assert_eq!(
        count("RBAC004"),
        7,
        "two cluster-wide and five namespace-install grants: {got:#?}"
    );
    assert_eq!(
        count("RBAC006") + count("RBAC007") + count("RBAC008"),
        0,
        "get on `*` is not exec: {got:#?}"
    );
    for id in [
        "RBAC005", "RBAC009", "RBAC012", "RBAC015", "RBAC017", "RBAC018", "RBAC019", "RBAC020",
    ] {
        let of: Vec<&String> = got.iter().filter(|l| l.starts_with(id)).collect();
        assert_eq!(of.len(), 1, "{id}: {got:#?}");
        assert!(
            of[0].contains("Deployment argocd/argocd-server runs as"),
            "{}",
            of[0]
        );
    }
    assert_eq!(got.len(), 17, "{got:#?}");
}

#[test]
fn the_built_in_roles_the_real_world_binds_resolve_as_upstream_defines_them() {
    // kube-prometheus binds prometheus-adapter to system:auth-delegator, the only built-in
    // role these projects bind; none binds admin or edit, so RBAC022 has nothing to fold here
    // and every per-permission finding above stands on its own.
    use bulwark_rbac::{Identity, Request, Resource};
    for dir in [
        "kubernetes-goat",
        "kube-prometheus",
        "argo-cd",
        "microservices-demo",
    ] {
        let got = lines(dir);
        assert!(
            got.iter()
                .all(|l| !l.starts_with("RBAC021") && !l.starts_with("RBAC022")),
            "{dir}: {got:#?}"
        );
    }
    let s = load(&shared().join("kube-prometheus"), "default");
    let rbac = bulwark_rbac::Rbac::new(&s);
    let adapter = Identity::service_account("monitoring", "prometheus-adapter");
    for (group, resource) in [
        ("authentication.k8s.io", "tokenreviews"),
        ("authorization.k8s.io", "subjectaccessreviews"),
    ] {
        let grants = rbac.can(
            &adapter,
            &Request::resource("create", Resource::new(group, resource, None), None),
        );
        assert_eq!(grants.len(), 1, "{resource}");
        assert!(grants[0].role.builtin, "{resource}");
        assert_eq!(grants[0].role.name, "system:auth-delegator");
    }
    let secrets = Request::resource("get", Resource::new("", "secrets", None), None);
    assert!(rbac.can(&adapter, &secrets).is_empty());
    // Its system:aggregated-metrics-reader carries the aggregate-to-view label, so the
    // built-in view (and edit and admin through it) reads pod metrics.
    let view = rbac
        .role(bulwark_rbac::RoleKind::ClusterRole, None, "view")
        .expect("built in");
    assert!(
        rbac.effective_rules(view)
            .iter()
            .any(|r| r.api_groups == ["metrics.k8s.io"])
    );
}

#[test]
fn microservices_demo_grants_nothing_risky() {
    assert!(summary("microservices-demo").is_empty());
}

#[test]
fn every_subject_has_effective_permissions() {
    let s = load(&shared().join("argo-cd"), "argocd");
    let rbac = bulwark_rbac::Rbac::new(&s);
    let all = rbac.all_permissions();
    assert!(all.len() >= 7, "{}", all.len());
    assert!(
        all.iter()
            .all(|p| !p.permissions.is_empty() || !p.unresolved.is_empty())
    );
}

/// The benchmark's shape (100 namespaces, 5,000 pods, 500 bindings) stays fast: the analysis
/// is linear in bindings, rules and workloads.
#[test]
fn a_large_generated_cluster_is_analysed_quickly() {
    let mut y = String::new();
    for n in 0..100 {
        y.push_str(&format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: app, namespace: ns{n}}}\nrules:\n- {{apiGroups: [''], resources: [secrets, configmaps], verbs: [get, list]}}\n- {{apiGroups: [apps], resources: [deployments], verbs: [get, patch]}}\n"
        ));
        for p in 0..50 {
            y.push_str(&format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{p}, namespace: ns{n}}}\nspec: {{serviceAccountName: sa{}, containers: [{{name: c, image: i}}]}}\n",
                p % 5
            ));
        }
        for b in 0..4 {
            y.push_str(&format!(
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b{b}, namespace: ns{n}}}\nroleRef: {{kind: {}, name: {}}}\nsubjects: [{{kind: ServiceAccount, name: sa{b}}}, {{kind: Group, name: 'system:serviceaccounts:ns{n}'}}]\n",
                if b == 3 { "ClusterRole" } else { "Role" },
                if b == 3 { "view" } else { "app" }
            ));
        }
        y.push_str(&format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: crb{n}}}\nroleRef: {{kind: ClusterRole, name: edit}}\nsubjects: [{{kind: ServiceAccount, name: sa4, namespace: ns{n}}}]\n"
        ));
    }
    let loaded = load_bytes("gen.yaml", y.as_bytes(), &Limits::default());
    assert!(loaded.errors.is_empty());
    let s = Snapshot::new(loaded.objects, "default");
    let start = std::time::Instant::now();
    let rbac = bulwark_rbac::Rbac::new(&s);
    let perms = rbac.all_permissions();
    let findings = bulwark_rbac::findings(&s);
    let took = start.elapsed();
    assert_eq!(rbac.bindings().len(), 500);
    assert!(perms.len() >= 500, "{}", perms.len());
    assert!(findings.len() >= 400, "{}", findings.len());
    // Unoptimised test builds are several times slower than the benchmark's release build.
    assert!(took.as_secs_f64() < 10.0, "{took:?}");
    println!(
        "500 bindings, 5,000 pods: {took:?}, {} findings",
        findings.len()
    );
}
