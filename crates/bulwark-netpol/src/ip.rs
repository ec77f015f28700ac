//! IPv4 address ranges: CIDR parsing, `ipBlock` sets, and the partition of the address space
//! into the ranges policies tell apart.

use std::fmt;
use std::net::Ipv4Addr;

/// An inclusive range of IPv4 addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpRange {
    /// First address.
    pub lo: u32,
    /// Last address.
    pub hi: u32,
}

impl IpRange {
    /// The whole IPv4 space.
    pub const ALL: IpRange = IpRange {
        lo: 0,
        hi: u32::MAX,
    };

    /// Whether `other` lies within this range.
    pub fn contains(&self, other: &IpRange) -> bool {
        self.lo <= other.lo && other.hi <= self.hi
    }

    /// Whether the address is in the range.
    pub fn contains_addr(&self, addr: u32) -> bool {
        self.lo <= addr && addr <= self.hi
    }
}

impl fmt::Display for IpRange {
    /// `10.0.0.0-10.255.255.255`, as the conformance suite writes ranges (single addresses
    /// too).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", Ipv4Addr::from(self.lo), Ipv4Addr::from(self.hi))
    }
}

/// Why a CIDR was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// An IPv6 CIDR: valid, but the analysis covers IPv4 only.
    #[error("{0:?} is IPv6; the analysis covers IPv4 only")]
    Ipv6(String),
    /// Not a CIDR at all.
    #[error("{0:?} is not a CIDR (like 10.0.0.0/8)")]
    Invalid(String),
}

/// Reads `a.b.c.d/n` (a bare address is `/32`). Host bits are ignored, as the API server's
/// validation of `ipBlock.cidr` historically allowed them.
pub fn parse_cidr(text: &str) -> Result<IpRange, CidrError> {
    let text = text.trim();
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, l),
        None => (text, "32"),
    };
    if addr.contains(':') {
        return Err(CidrError::Ipv6(text.to_string()));
    }
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|_| CidrError::Invalid(text.to_string()))?;
    let len: u32 = len
        .parse()
        .ok()
        .filter(|l| *l <= 32)
        .ok_or_else(|| CidrError::Invalid(text.to_string()))?;
    let mask: u32 = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let lo = u32::from(addr) & mask;
    Ok(IpRange { lo, hi: lo | !mask })
}

/// A set of IPv4 addresses: sorted, disjoint ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpSet(Vec<IpRange>);

impl IpSet {
    /// One range.
    pub fn from_range(r: IpRange) -> IpSet {
        IpSet(vec![r])
    }

    /// The addresses of `self` not in `cut`.
    #[must_use]
    pub fn minus(&self, cut: &IpRange) -> IpSet {
        let mut out = Vec::new();
        for r in &self.0 {
            if cut.hi < r.lo || cut.lo > r.hi {
                out.push(*r);
                continue;
            }
            if cut.lo > r.lo {
                out.push(IpRange {
                    lo: r.lo,
                    hi: cut.lo - 1,
                });
            }
            if cut.hi < r.hi {
                out.push(IpRange {
                    lo: cut.hi + 1,
                    hi: r.hi,
                });
            }
        }
        IpSet(out)
    }

    /// Whether the set holds all of `r` (`r` is an atom of a partition, so it is either inside
    /// one range or disjoint from all).
    pub fn covers(&self, r: &IpRange) -> bool {
        self.0.iter().any(|x| x.contains(r))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ranges.
    pub fn ranges(&self) -> &[IpRange] {
        &self.0
    }
}

/// Splits the IPv4 space into the coarsest ranges that no range of `cuts` straddles: every
/// set built from the cuts is a union of these atoms.
pub fn partition(cuts: &[IpRange]) -> Vec<IpRange> {
    // Boundaries: the first address of each atom.
    let mut starts: Vec<u64> = vec![0];
    for c in cuts {
        starts.push(u64::from(c.lo));
        starts.push(u64::from(c.hi) + 1);
    }
    starts.sort_unstable();
    starts.dedup();
    let end = u64::from(u32::MAX) + 1;
    starts.retain(|s| *s < end);
    let mut out = Vec::with_capacity(starts.len());
    for (i, &s) in starts.iter().enumerate() {
        let next = starts.get(i + 1).copied().unwrap_or(end);
        out.push(IpRange {
            lo: u32::try_from(s).unwrap_or(u32::MAX),
            hi: u32::try_from(next - 1).unwrap_or(u32::MAX),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_to_ranges() {
        assert_eq!(
            parse_cidr("10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0-10.255.255.255"
        );
        assert_eq!(parse_cidr("0.0.0.0/0").unwrap(), IpRange::ALL);
        assert_eq!(
            parse_cidr("1.2.3.4").unwrap().to_string(),
            "1.2.3.4-1.2.3.4"
        );
        assert_eq!(
            parse_cidr("10.1.2.3/16").unwrap().to_string(),
            "10.1.0.0-10.1.255.255"
        );
        assert!(matches!(parse_cidr("fd00::/8"), Err(CidrError::Ipv6(_))));
        assert!(matches!(
            parse_cidr("10.0.0.0/33"),
            Err(CidrError::Invalid(_))
        ));
        assert!(matches!(parse_cidr("ten"), Err(CidrError::Invalid(_))));
    }

    #[test]
    fn partition_and_except() {
        let all = parse_cidr("0.0.0.0/0").unwrap();
        let ten = parse_cidr("10.0.0.0/8").unwrap();
        let atoms = partition(&[all, ten]);
        let shown: Vec<String> = atoms.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255"
            ]
        );
        let allowed = IpSet::from_range(all).minus(&ten);
        assert!(
            allowed.covers(&atoms[0]) && !allowed.covers(&atoms[1]) && allowed.covers(&atoms[2])
        );
        assert_eq!(partition(&[]), vec![IpRange::ALL]);
    }
}
