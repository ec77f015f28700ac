//! K8S056 `secret-not-rotated`: a Secret has not changed for longer than the rotation period.

use bulwark_k8s::{Node, is_core_secret, secret_type};
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct SecretNotRotated;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S056",
    name: "secret-not-rotated",
    title: "Secret older than the rotation period",
    severity: Severity::Low,
    category: Category::Secret,
    standards: &["nsa-cisa/secrets"],
    scope: Scope::Kinds(&["Secret"]),
    what: "For Secrets exported from a cluster (they carry `metadata.creationTimestamp`): \
           reports one whose last change — the newest of its `creationTimestamp` and the \
           `time` of its `metadata.managedFields` entries — is older than the rotation period \
           (90 days; `--secret-max-age DAYS` or `secret-max-age` in the configuration). \
           Long-lived service-account token Secrets (`kubernetes.io/service-account-token`) are \
           reported as such. Not reported: Secrets owned by a controller \
           (`metadata.ownerReferences`, as written by ExternalSecret, SealedSecret and \
           cert-manager, which rotate them), Helm release records, and Secrets without a \
           timestamp (manifests in a repository).",
    why: "A credential that never changes stays valid for everyone who ever saw it: former \
          staff, old laptops, CI logs, backups. Legacy service-account token Secrets never \
          expire at all, unlike the short-lived tokens the kubelet projects into pods.",
    example: r"apiVersion: v1
kind: Secret
metadata:
  name: smtp
  namespace: shop
  creationTimestamp: '2021-03-04T09:12:44Z'
type: Opaque
data: {password: SGM3UHc4TnMxVHE2WmI1TQ==}
",
    fix: "Rotate the credential (issue a new one, update the Secret, revoke the old one), and \
          automate it: an ExternalSecret with a `refreshInterval` backed by a secret manager \
          that rotates, or dynamic credentials. Replace service-account token Secrets with \
          projected tokens (the default since Kubernetes 1.24) or `kubectl create token`.",
    fixed_example: r"apiVersion: v1
kind: Secret
metadata:
  name: smtp
  namespace: shop
  creationTimestamp: '2021-03-04T09:12:44Z'
  ownerReferences:
  - {apiVersion: external-secrets.io/v1, kind: ExternalSecret, name: smtp, uid: 0b9a2c1e-5d11-4c3a-9f0e-6a7b8c9d0e1f}
type: Opaque
data: {password: SGM3UHc4TnMxVHE2WmI1TQ==}
",
    peers: "No peer in our comparison set checks this.",
    references: &[
        refs::SECRETS,
        "https://kubernetes.io/docs/concepts/security/service-accounts/#get-a-token",
    ],
};

impl Check for SecretNotRotated {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let o = cx.object;
        if !is_core_secret(o) || secret_type(o) == "helm.sh/release.v1" {
            return;
        }
        let Some(meta) = o.metadata() else {
            return;
        };
        if meta
            .get("ownerReferences")
            .and_then(Node::as_seq)
            .is_some_and(|s| !s.is_empty())
        {
            return;
        }
        let Some(created_node) = meta.get("creationTimestamp") else {
            return;
        };
        let Some(created) = created_node.as_str().and_then(parse_rfc3339) else {
            return;
        };
        let changed = meta
            .get("managedFields")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|m| m.get("time").and_then(Node::as_str).and_then(parse_rfc3339))
            .fold(created, i64::max);
        let now = cx.options.now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        });
        let max_days = cx.options.secret_max_age_days;
        if now - changed <= i64::from(max_days) * 86_400 {
            return;
        }
        let date = format_date(changed);
        let message = if secret_type(o) == "kubernetes.io/service-account-token" {
            format!(
                "long-lived service-account token Secret, unchanged since {date} (more than {max_days} days); these tokens never expire"
            )
        } else {
            format!("Secret unchanged since {date}, more than {max_days} days ago")
        };
        cx.report_object("metadata.creationTimestamp", created_node.pos, message);
    }
}

/// Seconds since the epoch of an RFC 3339 time (`2024-01-15T10:00:00Z`, fractions and
/// offsets allowed), or `None` if it is not one.
fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = std::str::from_utf8(b.get(r)?).ok()?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let d = |c: &u8| c.is_ascii_digit().then(|| i64::from(c - b'0'));
            let minutes = (d(h1)? * 10 + d(h2)?) * 60 + d(m1)? * 10 + d(m2)?;
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of seconds since the epoch (UTC).
fn format_date(secs: i64) -> String {
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_parse() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2021-03-04T09:12:44Z"), Some(1_614_849_164));
        assert_eq!(
            parse_rfc3339("2021-03-04T10:12:44.123+01:00"),
            Some(1_614_849_164)
        );
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        for bad in [
            "",
            "2021-03-04",
            "2021-13-04T00:00:00Z",
            "2021-03-04T00:00:00",
            "yesterday",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_round_trip() {
        for secs in [0, 951_782_400, 1_614_849_164, 4_102_444_800] {
            let date = format_date(secs);
            let back = parse_rfc3339(&format!("{date}T00:00:00Z")).expect("parses");
            assert_eq!(back, secs - secs.rem_euclid(86_400), "{date}");
        }
        assert_eq!(format_date(1_614_849_164), "2021-03-04");
    }
}
