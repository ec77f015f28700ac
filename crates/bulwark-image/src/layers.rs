//! Streaming the layers of an image: decompression, digest checks, whiteouts, the merged view.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use sha2::{Digest, Sha256};

use crate::{Image, ImageError, hex};

/// A regular file of a layer.
#[derive(Debug, Clone, Copy)]
pub struct FileInfo<'a> {
    /// The layer's index, bottom first.
    pub layer: usize,
    /// The absolute path in the image (`/app/config/server.key`), normalised: no `.` or `..`.
    pub path: &'a str,
    /// Its size in bytes.
    pub size: u64,
    /// Its mode bits (`0o4755` for a setuid binary).
    pub mode: u32,
}

/// What [`Image::walk`] does with each file.
pub trait Visitor {
    /// Whether to read this file's content (given to [`Visitor::file`]).
    fn wants(&mut self, file: &FileInfo<'_>) -> bool;
    /// The content of a file [`Visitor::wants`] asked for.
    fn file(&mut self, file: &FileInfo<'_>, data: &[u8]);
    /// A wanted file larger than [`crate::Limits::max_file_size`]: its content is not read.
    fn too_large(&mut self, _file: &FileInfo<'_>) {}
    /// A directory entry (`size` is 0).
    fn directory(&mut self, _dir: &FileInfo<'_>) {}
    /// Layer `index` of `total` starts (`size`: its blob size when the manifest gives it), for
    /// progress reports.
    fn layer_start(&mut self, _index: usize, _total: usize, _size: u64) {}
}

/// Which layer's version of each path a container of the image sees, after whiteouts.
#[derive(Debug, Default, Clone)]
pub struct MergedView {
    files: BTreeMap<String, usize>,
}

impl MergedView {
    /// The layer whose version of `path` is visible, if the path is a regular file of the
    /// merged view.
    pub fn layer_of(&self, path: &str) -> Option<usize> {
        self.files.get(path).copied()
    }

    /// How many regular files the merged view holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the merged view holds no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Removes `path` and everything under it that lower layers wrote (before `layer`).
    fn remove_tree(&mut self, path: &str, layer: usize, keep_self: bool) {
        if !keep_self
            && let Some(&l) = self.files.get(path)
            && l < layer
        {
            self.files.remove(path);
        }
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        let doomed: Vec<String> = self
            .files
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(_, l)| **l < layer)
            .map(|(p, _)| p.clone())
            .collect();
        for p in doomed {
            self.files.remove(&p);
        }
    }
}

/// What a walk read.
#[derive(Debug, Default)]
pub struct WalkSummary {
    /// The merged view after the last layer.
    pub merged: MergedView,
    /// Regular files across all layers.
    pub files: u64,
    /// Uncompressed bytes read.
    pub bytes: u64,
    /// Things worth telling the user (unsafe entry paths that were normalised, odd entries).
    pub notes: Vec<String>,
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    state: Rc<RefCell<(Sha256, u64)>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut s = self.state.borrow_mut();
        s.0.update(&buf[..n]);
        s.1 += n as u64;
        Ok(n)
    }
}

fn hashing<R: Read>(inner: R) -> (Hashing<R>, Rc<RefCell<(Sha256, u64)>>) {
    let state = Rc::new(RefCell::new((Sha256::new(), 0)));
    (
        Hashing {
            inner,
            state: Rc::clone(&state),
        },
        state,
    )
}

fn finish(state: &Rc<RefCell<(Sha256, u64)>>) -> (String, u64) {
    let s = state.borrow();
    (format!("sha256:{}", hex(&s.0.clone().finalize())), s.1)
}

/// An entry path as an absolute, normalised path; `None` for the root itself. The second value
/// says whether normalising changed its meaning (`..` that tried to climb out).
fn image_path(raw: &str) -> (Option<String>, bool) {
    let mut parts: Vec<&str> = Vec::new();
    let mut escaped = false;
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    escaped = true;
                }
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        (None, escaped)
    } else {
        (Some(format!("/{}", parts.join("/"))), escaped)
    }
}

pub(crate) fn walk(image: &Image, visitor: &mut dyn Visitor) -> Result<WalkSummary, ImageError> {
    let limits = *image.limits();
    let mut summary = WalkSummary::default();
    for (index, layer) in image.layers.iter().enumerate() {
        let what = layer.digest.clone().unwrap_or_else(|| layer.member.clone());
        let io = |source| ImageError::Io {
            path: format!("{} layer {index} ({what})", image.shown),
            source,
        };
        visitor.layer_start(index, image.layers.len(), layer.size);
        let raw = image.open_layer(layer)?;
        let (compressed, compressed_state) = hashing(raw);
        let mut buffered = BufReader::with_capacity(256 * 1024, compressed);
        let magic = buffered.fill_buf().map_err(io)?;
        let decoder: Box<dyn Read + '_> = if magic.starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::read::MultiGzDecoder::new(&mut buffered))
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Box::new(
                ruzstd::decoding::StreamingDecoder::new(&mut buffered).map_err(|e| {
                    ImageError::Format {
                        path: what.clone(),
                        message: format!("zstd layer: {e}"),
                    }
                })?,
            )
        } else {
            Box::new(&mut buffered)
        };
        let (mut diff, diff_state) = hashing(decoder);
        let mut whiteouts: Vec<(String, bool)> = Vec::new();
        let mut added: Vec<String> = Vec::new();
        {
            let mut archive = tar::Archive::new(&mut diff);
            let entries = archive.entries().map_err(|e| ImageError::Format {
                path: what.clone(),
                message: format!("layer is not a tar: {e}"),
            })?;
            for entry in entries {
                if summary.bytes + diff_state.borrow().1 > limits.max_uncompressed {
                    return Err(ImageError::Limit {
                        path: image.shown.clone(),
                        message: format!(
                            "layers decompress to more than {} bytes (a decompression bomb?)",
                            limits.max_uncompressed
                        ),
                    });
                }
                let mut entry = entry.map_err(|e| ImageError::Format {
                    path: what.clone(),
                    message: format!("malformed layer tar: {e}"),
                })?;
                let raw_path = entry
                    .path()
                    .map(|p| p.to_string_lossy().to_string())
                    .unwrap_or_default();
                let (path, escaped) = image_path(&raw_path);
                if escaped {
                    summary.notes.push(format!(
                        "layer {index}: entry {raw_path:?} climbs out of the root; read as {}",
                        path.as_deref().unwrap_or("/")
                    ));
                }
                let Some(path) = path else {
                    continue;
                };
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
                if name == ".wh..wh..opq" {
                    whiteouts.push((
                        if dir.is_empty() {
                            "/".to_string()
                        } else {
                            dir.to_string()
                        },
                        true,
                    ));
                    continue;
                }
                if let Some(target) = name.strip_prefix(".wh.") {
                    whiteouts.push((format!("{dir}/{target}"), false));
                    continue;
                }
                let kind = entry.header().entry_type();
                if kind.is_dir() {
                    visitor.directory(&FileInfo {
                        layer: index,
                        path: &path,
                        size: 0,
                        mode: entry.header().mode().unwrap_or(0),
                    });
                    continue;
                }
                if !(kind.is_file() || kind.is_hard_link()) {
                    continue;
                }
                added.push(path.clone());
                if kind.is_hard_link() {
                    // The same content as its target, read where the target is.
                    continue;
                }
                summary.files += 1;
                let size = entry.size();
                let mode = entry.header().mode().unwrap_or(0);
                let info = FileInfo {
                    layer: index,
                    path: &path,
                    size,
                    mode,
                };
                if !visitor.wants(&info) {
                    continue;
                }
                if size > limits.max_file_size {
                    visitor.too_large(&info);
                    continue;
                }
                let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                (&mut entry)
                    .take(limits.max_file_size + 1)
                    .read_to_end(&mut data)
                    .map_err(io)?;
                visitor.file(&info, &data);
            }
        }
        // Read to the end, so the digests cover every byte (tar stops at its end marker).
        std::io::copy(&mut diff, &mut std::io::sink()).map_err(io)?;
        drop(diff);
        std::io::copy(&mut buffered, &mut std::io::sink()).map_err(io)?;
        drop(buffered);
        let (diff_id, size) = finish(&diff_state);
        summary.bytes += size;
        if !layer.diff_id.eq_ignore_ascii_case(&diff_id) {
            return Err(ImageError::Digest {
                what: format!("layer {index}"),
                expected: layer.diff_id.clone(),
                actual: diff_id,
            });
        }
        if let Some(expected) = &layer.digest
            && expected.starts_with("sha256:")
        {
            let (actual, _) = finish(&compressed_state);
            if !expected.eq_ignore_ascii_case(&actual) {
                return Err(ImageError::Digest {
                    what: format!("layer {index} blob"),
                    expected: expected.clone(),
                    actual,
                });
            }
        }
        // Whiteouts hide what lower layers wrote; then this layer's files land on top.
        for (path, opaque) in whiteouts {
            summary.merged.remove_tree(&path, index, opaque);
        }
        for path in added {
            summary.merged.files.insert(path, index);
        }
        if summary.merged.len() > limits.max_paths {
            return Err(ImageError::Limit {
                path: image.shown.clone(),
                message: format!("more than {} files", limits.max_paths),
            });
        }
    }
    Ok(summary)
}

/// Walks a root file system directory as if it were a one-layer image: every regular file
/// (symbolic links are not followed; `/proc`, `/sys` and `/dev` at the top are skipped) is
/// offered to `visitor` as layer 0, and the merged view holds them all.
pub fn walk_rootfs(
    root: &std::path::Path,
    limits: &crate::Limits,
    visitor: &mut dyn Visitor,
) -> Result<WalkSummary, ImageError> {
    let mut summary = WalkSummary::default();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| ImageError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for e in entries {
            let p = e.path();
            let Ok(rel) = p.strip_prefix(root) else {
                continue;
            };
            let path = format!("/{}", rel.to_string_lossy());
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                summary.notes.push(format!("{path}: unreadable, skipped"));
                continue;
            };
            let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
            let info = FileInfo {
                layer: 0,
                path: &path,
                size: meta.len(),
                mode,
            };
            if meta.is_dir() {
                if !matches!(path.as_str(), "/proc" | "/sys" | "/dev") {
                    visitor.directory(&info);
                    stack.push(p);
                }
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            summary.files += 1;
            summary.merged.files.insert(path.clone(), 0);
            if summary.merged.len() > limits.max_paths {
                return Err(ImageError::Limit {
                    path: root.display().to_string(),
                    message: format!("more than {} files", limits.max_paths),
                });
            }
            if !visitor.wants(&info) {
                continue;
            }
            if meta.len() > limits.max_file_size {
                visitor.too_large(&info);
                continue;
            }
            match std::fs::read(&p) {
                Ok(data) => {
                    summary.bytes += data.len() as u64;
                    visitor.file(&info, &data);
                }
                Err(e) => summary.notes.push(format!("{path}: {e}; skipped")),
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_are_normalised() {
        assert_eq!(
            image_path("./etc/passwd"),
            (Some("/etc/passwd".into()), false)
        );
        assert_eq!(
            image_path("../../etc/shadow"),
            (Some("/etc/shadow".into()), true)
        );
        assert_eq!(image_path("a/../../b"), (Some("/b".into()), true));
        assert_eq!(image_path("./"), (None, false));
    }

    #[test]
    fn whiteouts_remove_lower_layers_only() {
        let mut m = MergedView::default();
        for (p, l) in [
            ("/a/x", 0),
            ("/a/y", 0),
            ("/a/sub/z", 0),
            ("/ab", 0),
            ("/a/w", 1),
        ] {
            m.files.insert(p.into(), l);
        }
        // An opaque /a in layer 1 hides layer 0's content of /a, not layer 1's, not /ab.
        m.remove_tree("/a", 1, true);
        assert_eq!(m.layer_of("/a/x"), None);
        assert_eq!(m.layer_of("/a/sub/z"), None);
        assert_eq!(m.layer_of("/a/w"), Some(1));
        assert_eq!(m.layer_of("/ab"), Some(0));
        m.remove_tree("/ab", 2, false);
        assert_eq!(m.layer_of("/ab"), None);
    }
}
