use sha2::{Digest, Sha256};

/// Builds the stable identity of a finding.
///
/// A fingerprint hashes what the finding *is* (its id, the file, the object, the container and
/// the field path), never where it happens to sit (line numbers), so a baseline survives edits
/// that move lines. Parts are length-prefixed so `("ab", "c")` and `("a", "bc")` differ.
///
/// ```
/// use bulwark_model::Fingerprint;
/// let a = Fingerprint::new("K8S005").part("deploy.yaml").part("Deployment/web").finish();
/// let b = Fingerprint::new("K8S005").part("deploy.yaml").part("Deployment/web").finish();
/// assert_eq!(a, b);
/// assert_eq!(a.len(), 32);
/// ```
#[derive(Debug, Clone)]
pub struct Fingerprint {
    hasher: Sha256,
}

impl Fingerprint {
    /// Starts a fingerprint for findings of `id`.
    pub fn new(id: &str) -> Self {
        let mut f = Fingerprint {
            hasher: Sha256::new(),
        };
        f.hasher.update(b"bulwark-fingerprint-v1\0");
        f.push(id);
        f
    }

    /// Adds one identifying part.
    #[must_use]
    pub fn part(mut self, part: &str) -> Self {
        self.push(part);
        self
    }

    /// Adds one identifying part that is not text (a secret's bytes).
    #[must_use]
    pub fn bytes(mut self, part: &[u8]) -> Self {
        self.hasher.update((part.len() as u64).to_le_bytes());
        self.hasher.update(part);
        self
    }

    /// Adds an optional part; `None` and `Some("")` are distinct.
    #[must_use]
    pub fn opt_part(mut self, part: Option<&str>) -> Self {
        match part {
            None => self.hasher.update([0u8]),
            Some(p) => {
                self.hasher.update([1u8]);
                self.push(p);
            }
        }
        self
    }

    fn push(&mut self, part: &str) {
        self.hasher.update((part.len() as u64).to_le_bytes());
        self.hasher.update(part.as_bytes());
    }

    /// The fingerprint: the first 128 bits of the SHA-256, as 32 lowercase hex digits.
    pub fn finish(self) -> String {
        let digest = self.hasher.finalize();
        let mut out = String::with_capacity(32);
        for b in &digest[..16] {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        out
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_length_prefixed() {
        let a = Fingerprint::new("X").part("ab").part("c").finish();
        let b = Fingerprint::new("X").part("a").part("bc").finish();
        assert_ne!(a, b);
    }

    #[test]
    fn none_differs_from_empty() {
        let a = Fingerprint::new("X").opt_part(None).finish();
        let b = Fingerprint::new("X").opt_part(Some("")).finish();
        assert_ne!(a, b);
    }

    #[test]
    fn is_stable_across_releases() {
        // Baselines written by earlier releases must keep matching: this value may never change.
        let f = Fingerprint::new("K8S005")
            .part("deploy.yaml")
            .opt_part(Some("web"))
            .finish();
        assert_eq!(f, "808424357d2d679472ea0d47ca823859");
    }
}
