//! A minimal, bounded ELF reader: the section headers and their names, for ELF32 and ELF64 in
//! either byte order (<https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.sheader.html>).
//!
//! Every offset read from the file is checked against its length; the section count is capped
//! by what the file can hold, so a hostile header cannot make us allocate or loop more than the
//! input size allows.

/// `SHT_NOBITS`: a section that occupies no file space (`.bss`).
const SHT_NOBITS: u32 = 8;
/// `SHN_XINDEX`: the string table index lives in section 0's `sh_link`.
const SHN_XINDEX: u16 = 0xffff;
/// Longest section name we read.
const MAX_NAME_LEN: usize = 256;

/// One section header.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    /// Its name from the section-name string table.
    pub(crate) name: String,
    /// `sh_type`.
    pub(crate) kind: u32,
    /// `sh_addr`: where it is loaded.
    pub(crate) addr: u64,
    /// `sh_offset`: where it is in the file.
    pub(crate) offset: u64,
    /// `sh_size`.
    pub(crate) size: u64,
}

/// A parsed ELF file.
pub(crate) struct Elf<'a> {
    data: &'a [u8],
    big_endian: bool,
    sections: Vec<Section>,
}

/// Whether `data` starts like an ELF file.
pub(crate) fn is_elf(data: &[u8]) -> bool {
    data.starts_with(b"\x7fELF")
}

impl<'a> Elf<'a> {
    /// Reads the header and the section table; `None` when they are not there or malformed.
    pub(crate) fn parse(data: &'a [u8]) -> Option<Self> {
        if !is_elf(data) {
            return None;
        }
        let is64 = match data.get(4)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let big_endian = match data.get(5)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let mut elf = Elf {
            data,
            big_endian,
            sections: Vec::new(),
        };
        let (shoff, shentsize, shnum, shstrndx) = if is64 {
            (
                elf.u64_at(0x28)?,
                elf.u16_at(0x3a)?,
                elf.u16_at(0x3c)?,
                elf.u16_at(0x3e)?,
            )
        } else {
            (
                u64::from(elf.u32_at(0x20)?),
                elf.u16_at(0x2e)?,
                elf.u16_at(0x30)?,
                elf.u16_at(0x32)?,
            )
        };
        let entsize = usize::from(shentsize);
        if shoff == 0 || entsize < if is64 { 64 } else { 40 } {
            return Some(elf);
        }
        let shoff = usize::try_from(shoff).ok()?;
        // Section 0 holds the real count and string index when they do not fit the header.
        let first = elf.raw_section(shoff, is64)?;
        let mut count = u64::from(shnum);
        if count == 0 {
            count = first.size;
        }
        let mut strndx = u64::from(shstrndx);
        if shstrndx == SHN_XINDEX {
            strndx = u64::from(first.link);
        }
        let room = data.len().saturating_sub(shoff) / entsize;
        let count = usize::try_from(count).ok()?.min(room);
        let mut raw = Vec::with_capacity(count);
        for i in 0..count {
            let at = shoff.checked_add(i.checked_mul(entsize)?)?;
            raw.push(elf.raw_section(at, is64)?);
        }
        let strtab = usize::try_from(strndx)
            .ok()
            .and_then(|i| raw.get(i))
            .and_then(|s| elf.file_range(s.offset, s.size));
        elf.sections = raw
            .into_iter()
            .map(|s| Section {
                name: strtab.map(|t| name_at(t, s.name)).unwrap_or_default(),
                kind: s.kind,
                addr: s.addr,
                offset: s.offset,
                size: s.size,
            })
            .collect();
        Some(elf)
    }

    /// The first section named `name`.
    pub(crate) fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Whether the file has any section headers.
    pub(crate) fn has_sections(&self) -> bool {
        !self.sections.is_empty()
    }

    /// The file bytes of a section (none for `SHT_NOBITS` or one that runs past the end).
    pub(crate) fn section_data(&self, section: &Section) -> Option<&'a [u8]> {
        if section.kind == SHT_NOBITS {
            return None;
        }
        self.file_range(section.offset, section.size)
    }

    /// `len` bytes at virtual address `addr`, through the section that maps it.
    pub(crate) fn read_addr(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        let section = self.sections.iter().find(|s| {
            s.kind != SHT_NOBITS
                && s.addr != 0
                && addr >= s.addr
                && addr
                    .checked_add(len)
                    .is_some_and(|end| end <= s.addr.saturating_add(s.size))
        })?;
        self.file_range(section.offset.checked_add(addr - section.addr)?, len)
    }

    fn file_range(&self, offset: u64, len: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.data.get(start..end)
    }

    fn raw_section(&self, at: usize, is64: bool) -> Option<RawSection> {
        Some(if is64 {
            RawSection {
                name: self.u32_at(at)?,
                kind: self.u32_at(at.checked_add(4)?)?,
                addr: self.u64_at(at.checked_add(16)?)?,
                offset: self.u64_at(at.checked_add(24)?)?,
                size: self.u64_at(at.checked_add(32)?)?,
                link: self.u32_at(at.checked_add(40)?)?,
            }
        } else {
            RawSection {
                name: self.u32_at(at)?,
                kind: self.u32_at(at.checked_add(4)?)?,
                addr: u64::from(self.u32_at(at.checked_add(12)?)?),
                offset: u64::from(self.u32_at(at.checked_add(16)?)?),
                size: u64::from(self.u32_at(at.checked_add(20)?)?),
                link: self.u32_at(at.checked_add(24)?)?,
            }
        })
    }

    fn bytes<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.data.get(at..at.checked_add(N)?)?.try_into().ok()
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let b = self.bytes::<2>(at)?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b = self.bytes::<4>(at)?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u64_at(&self, at: usize) -> Option<u64> {
        let b = self.bytes::<8>(at)?;
        Some(if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }
}

struct RawSection {
    name: u32,
    kind: u32,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
}

/// The NUL-terminated name at `offset` of a string table.
fn name_at(table: &[u8], offset: u32) -> String {
    let Some(rest) = usize::try_from(offset).ok().and_then(|o| table.get(o..)) else {
        return String::new();
    };
    let rest = rest.get(..MAX_NAME_LEN.min(rest.len())).unwrap_or_default();
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    String::from_utf8_lossy(rest.get(..end).unwrap_or_default()).into_owned()
}

/// Test support: builds small ELF files with the given sections.
#[cfg(test)]
pub(crate) mod build {
    /// A section to write: name, type, address, content.
    pub(crate) struct Spec<'a> {
        pub(crate) name: &'a str,
        pub(crate) kind: u32,
        pub(crate) addr: u64,
        pub(crate) data: &'a [u8],
    }

    /// An ELF file (64- or 32-bit, either byte order) holding `sections` plus a null section
    /// and `.shstrtab`.
    pub(crate) fn elf(is64: bool, big_endian: bool, sections: &[Spec<'_>]) -> Vec<u8> {
        let put16 = |v: &mut Vec<u8>, x: u16| {
            v.extend(if big_endian {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            });
        };
        let put32 = |v: &mut Vec<u8>, x: u32| {
            v.extend(if big_endian {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            });
        };
        let put64 = |v: &mut Vec<u8>, x: u64| {
            v.extend(if big_endian {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            });
        };
        let header_len: usize = if is64 { 64 } else { 52 };
        let entsize: usize = if is64 { 64 } else { 40 };
        // Layout: header, section contents, shstrtab, section headers.
        let mut body = Vec::new();
        let mut placed = Vec::new(); // (name offset, kind, addr, file offset, size)
        let mut strtab = vec![0u8];
        for spec in sections {
            let name_off = strtab.len();
            strtab.extend(spec.name.as_bytes());
            strtab.push(0);
            placed.push((
                name_off,
                spec.kind,
                spec.addr,
                header_len + body.len(),
                spec.data.len(),
            ));
            body.extend(spec.data);
        }
        let shstr_name = strtab.len();
        strtab.extend(b".shstrtab\0");
        placed.push((shstr_name, 3, 0, header_len + body.len(), strtab.len()));
        body.extend(&strtab);
        let shoff = header_len + body.len();
        let shnum = placed.len() + 1;
        let mut out = b"\x7fELF".to_vec();
        out.push(if is64 { 2 } else { 1 });
        out.push(if big_endian { 2 } else { 1 });
        out.extend([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        put16(&mut out, 2); // e_type
        put16(&mut out, 62); // e_machine
        put32(&mut out, 1); // e_version
        let n = |x: usize| u64::try_from(x).expect("small");
        let n32 = |x: usize| u32::try_from(x).expect("small");
        let n16 = |x: usize| u16::try_from(x).expect("small");
        if is64 {
            put64(&mut out, 0); // entry
            put64(&mut out, 0); // phoff
            put64(&mut out, n(shoff));
        } else {
            put32(&mut out, 0);
            put32(&mut out, 0);
            put32(&mut out, n32(shoff));
        }
        put32(&mut out, 0); // flags
        put16(&mut out, n16(header_len));
        put16(&mut out, 0); // phentsize
        put16(&mut out, 0); // phnum
        put16(&mut out, n16(entsize));
        put16(&mut out, n16(shnum));
        put16(&mut out, n16(shnum - 1)); // shstrndx: the last one
        assert_eq!(out.len(), header_len);
        out.extend(&body);
        out.extend(vec![0u8; entsize]); // the null section
        for (name, kind, addr, offset, size) in placed {
            put32(&mut out, n32(name));
            put32(&mut out, kind);
            if is64 {
                put64(&mut out, 2); // flags: alloc
                put64(&mut out, addr);
                put64(&mut out, n(offset));
                put64(&mut out, n(size));
                put32(&mut out, 0); // link
                put32(&mut out, 0); // info
                put64(&mut out, 1); // align
                put64(&mut out, 0); // entsize
            } else {
                put32(&mut out, 2);
                put32(&mut out, n32(usize::try_from(addr).expect("small")));
                put32(&mut out, n32(offset));
                put32(&mut out, n32(size));
                put32(&mut out, 0);
                put32(&mut out, 0);
                put32(&mut out, 1);
                put32(&mut out, 0);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::build::{Spec, elf};
    use super::*;

    #[test]
    fn reads_sections_in_all_layouts() {
        for is64 in [true, false] {
            for big in [true, false] {
                let data = elf(
                    is64,
                    big,
                    &[
                        Spec {
                            name: ".text",
                            kind: 1,
                            addr: 0x1000,
                            data: b"code",
                        },
                        Spec {
                            name: ".dep-v0",
                            kind: 1,
                            addr: 0,
                            data: b"deps",
                        },
                    ],
                );
                let parsed = Elf::parse(&data).expect("parses");
                let section = parsed.section(".dep-v0").expect("section");
                assert_eq!(parsed.section_data(section), Some(&b"deps"[..]));
                assert_eq!(parsed.read_addr(0x1001, 2), Some(&b"od"[..]));
                assert_eq!(parsed.read_addr(0x1003, 2), None);
                assert!(parsed.section(".missing").is_none());
            }
        }
    }

    #[test]
    fn truncated_and_garbage() {
        let data = elf(
            true,
            false,
            &[Spec {
                name: ".dep-v0",
                kind: 1,
                addr: 0,
                data: b"x",
            }],
        );
        for len in 0..data.len() {
            let _ = Elf::parse(data.get(..len).expect("in range"));
        }
        let mut corrupt = data.clone();
        for i in 0..corrupt.len() {
            corrupt[i] = corrupt[i].wrapping_add(0x55);
            let _ = Elf::parse(&corrupt);
            corrupt[i] = data[i];
        }
        assert!(Elf::parse(b"\x7fELF\x03\x01").is_none());
        assert!(Elf::parse(b"MZ").is_none());
        let mut huge = b"\x7fELF\x02\x01".to_vec();
        huge.resize(64, 0xff);
        let _ = Elf::parse(&huge);
    }
}
