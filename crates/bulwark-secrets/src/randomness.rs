//! How random a candidate secret looks.
//!
//! Plain Shannon entropy cannot tell `PostgresPassword2024` (a guessable phrase) from
//! `kT9vQ2mXr7Lw` (a generated secret) well: both mix classes and repeat few characters. The
//! score here combines entropy with what generated secrets have and human-chosen strings lack:
//! no dictionary words, no keyboard or counting runs, several character classes spread through
//! the string.

/// Shannon entropy of `s` in bits per character.
pub fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[usize::from(b)] += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Words that make up human-chosen values and placeholders. A value mostly made of them is a
/// phrase, not a generated secret.
const WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "admin",
    "administrator",
    "root",
    "user",
    "username",
    "test",
    "testing",
    "example",
    "sample",
    "default",
    "change",
    "changeme",
    "changeit",
    "local",
    "localhost",
    "prod",
    "production",
    "staging",
    "stage",
    "dev",
    "develop",
    "development",
    "token",
    "key",
    "value",
    "demo",
    "dummy",
    "fake",
    "mock",
    "temp",
    "guest",
    "welcome",
    "letmein",
    "hello",
    "world",
    "qwerty",
    "dragon",
    "monkey",
    "master",
    "login",
    "pass",
    "super",
    "service",
    "server",
    "client",
    "database",
    "postgres",
    "mysql",
    "redis",
    "mongo",
    "rabbit",
    "kafka",
    "app",
    "application",
    "api",
    "web",
    "backend",
    "frontend",
    "config",
    "setting",
    "settings",
    "cluster",
    "internal",
    "public",
    "private",
    "company",
    "corp",
    "team",
    "project",
    "shop",
    "store",
    "order",
    "payment",
    "billing",
    "email",
    "mail",
    "spring",
    "summer",
    "autumn",
    "winter",
    "january",
    "december",
    "monday",
    "friday",
    "minio",
    "grafana",
    "jenkins",
    "airflow",
    "elastic",
    "kibana",
    "docker",
    "kube",
    "kubernetes",
    "replace",
    "insert",
    "your",
    "here",
    "todo",
    "fixme",
    "none",
    "null",
    "access",
    "name",
    "main",
    "primary",
    "secondary",
    "backup",
    "read",
    "write",
    "only",
    "role",
    "account",
    "auth",
    "oauth",
    "session",
    "cookie",
    "signing",
    "encryption",
    "webhook",
    "hook",
    "bucket",
    "storage",
    "queue",
    "topic",
    "stream",
    "cache",
    "worker",
    "runner",
    "deploy",
    "release",
    "build",
    "image",
    "registry",
    "ingress",
    "gateway",
    "proxy",
    "monitor",
    "metrics",
    "logging",
    "audit",
    "report",
    "export",
    "import",
    "sync",
    "backend",
    "customer",
    "tenant",
    "true",
    "false",
    "enabled",
    "disabled",
    "debug",
    "info",
    "warn",
    "error",
    "string",
];

/// Fraction of `s` (ASCII-lowercased) covered by [`WORDS`] of four letters or more found in it.
fn word_coverage(s: &[u8]) -> f64 {
    let lower: Vec<u8> = s.iter().map(u8::to_ascii_lowercase).collect();
    let mut covered = vec![false; lower.len()];
    for w in WORDS.iter().filter(|w| w.len() >= 4) {
        let w = w.as_bytes();
        let mut i = 0;
        while i + w.len() <= lower.len() {
            if &lower[i..i + w.len()] == w {
                for c in &mut covered[i..i + w.len()] {
                    *c = true;
                }
                i += w.len();
            } else {
                i += 1;
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let frac = covered.iter().filter(|&&c| c).count() as f64 / lower.len().max(1) as f64;
    frac
}

/// Length of the longest run of consecutive characters that repeat or count up or down
/// (`aaaa`, `1234`, `abcd`, `9876`).
fn longest_run(s: &[u8]) -> usize {
    let mut best = usize::from(!s.is_empty());
    let mut same = 1;
    let mut up = 1;
    let mut down = 1;
    for w in s.windows(2) {
        let (a, b) = (i16::from(w[0]), i16::from(w[1]));
        same = if a == b { same + 1 } else { 1 };
        up = if b == a + 1 { up + 1 } else { 1 };
        down = if b == a - 1 { down + 1 } else { 1 };
        best = best.max(same).max(up).max(down);
    }
    best
}

/// Whether `s` is a name made of lowercase words joined by `-`, `_` or `.`
/// (`initech-data-platform-basic-auth`, `svc_analytics`): an identifier, not a secret.
fn is_slug(s: &[u8]) -> bool {
    let parts: Vec<&[u8]> = s.split(|b| matches!(b, b'-' | b'_' | b'.')).collect();
    parts.len() >= 2
        && parts.iter().filter(|p| !p.is_empty()).all(|p| {
            let vowels = p.iter().filter(|b| b"aeiouy".contains(b)).count();
            p.iter().all(u8::is_ascii_lowercase) && (p.len() <= 3 || vowels * 5 >= p.len())
        })
}

/// How random `s` looks, from 0 (a word, a placeholder, a run) to 1 (a generated secret).
///
/// The score starts from the entropy relative to the most the string's length and alphabet
/// allow, adds credit for each character class beyond the first, and takes off for dictionary
/// words and counting or repeating runs.
pub fn randomness(s: &[u8]) -> f64 {
    if s.len() < 6 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let len = s.len() as f64;
    let classes = [
        s.iter().any(u8::is_ascii_lowercase),
        s.iter().any(u8::is_ascii_uppercase),
        s.iter().any(u8::is_ascii_digit),
        s.iter().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&c| c)
    .count();
    // The most entropy a string of this length can have over a 64-symbol alphabet.
    let ceiling = len.log2().min(6.0);
    let h = (shannon_entropy(s) / ceiling).min(1.0);
    #[allow(clippy::cast_precision_loss)]
    let class_bonus = (classes.saturating_sub(1) as f64) * 0.08;
    let words = word_coverage(s);
    #[allow(clippy::cast_precision_loss)]
    let run = longest_run(s) as f64 / len;
    let only_letters_lower = classes == 1 && s.iter().all(u8::is_ascii_lowercase);
    let mut score = h * 0.85 + class_bonus - words * 0.7 - run * 0.8;
    if only_letters_lower {
        score -= 0.15;
    }
    if is_slug(s) {
        score -= 0.4;
    }
    score.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_simple_strings() {
        assert!(shannon_entropy(b"").abs() < f64::EPSILON);
        assert!(shannon_entropy(b"aaaa").abs() < f64::EPSILON);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn generated_secrets_score_above_phrases() {
        let random = [
            &b"kT9vQ2mXr7Lw4ZpE"[..],
            b"8f3a1c9e07b24d6f",
            b"Xk9#mQ2$vL7pR4aB",
            b"wJalrXUtnFEMIK7MDENGbPxRfiCYzQ3Lk9sT",
        ];
        let human = [
            &b"PostgresPassword2024"[..],
            b"changeme123",
            b"my-app-password",
            b"admin123456",
            b"aaaaaaaaaaaa",
            b"abcdefghijkl",
            b"production",
            b"redis.svc.cluster.local",
            b"initech-data-platform-basic-auth",
            b"svc_analytics",
        ];
        let low_random = random.iter().map(|r| randomness(r)).fold(1.0, f64::min);
        let high_human = human.iter().map(|h| randomness(h)).fold(0.0, f64::max);
        assert!(
            low_random > high_human,
            "random floor {low_random:.2} must exceed human ceiling {high_human:.2}"
        );
    }
}
