//! Sets of connections: per protocol, a set of port ranges.

use std::fmt;

/// The largest port.
pub const MAX_PORT: u16 = 65535;

/// A set of ports in `1..=65535`, as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct PortSet(Vec<(u16, u16)>);

impl PortSet {
    /// No port.
    pub fn empty() -> PortSet {
        PortSet(Vec::new())
    }

    /// Every port.
    pub fn all() -> PortSet {
        PortSet(vec![(1, MAX_PORT)])
    }

    /// The ports `lo..=hi` (empty when `lo > hi`; port 0 is not a port).
    pub fn range(lo: u16, hi: u16) -> PortSet {
        let lo = lo.max(1);
        if lo > hi {
            PortSet::empty()
        } else {
            PortSet(vec![(lo, hi)])
        }
    }

    /// Whether no port is in the set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether every port is in the set.
    pub fn is_all(&self) -> bool {
        self.0 == [(1, MAX_PORT)]
    }

    /// Whether `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| lo <= port && port <= hi)
    }

    /// The ranges.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.0
    }

    /// The union.
    #[must_use]
    pub fn union(&self, other: &PortSet) -> PortSet {
        let mut all: Vec<(u16, u16)> = self.0.iter().chain(&other.0).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            match out.last_mut() {
                Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        PortSet(out)
    }

    /// The intersection.
    #[must_use]
    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (self.0[i], other.0[j]);
            let lo = a.0.max(b.0);
            let hi = a.1.min(b.1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a.1 < b.1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortSet(out)
    }

    /// The ports of `self` not in `other`.
    #[must_use]
    pub fn subtract(&self, other: &PortSet) -> PortSet {
        self.intersect(&other.complement())
    }

    /// The ports not in the set.
    #[must_use]
    pub fn complement(&self) -> PortSet {
        let mut out = Vec::new();
        let mut next: u32 = 1;
        for &(lo, hi) in &self.0 {
            if u32::from(lo) > next {
                out.push((narrow(next), lo - 1));
            }
            next = u32::from(hi) + 1;
        }
        if next <= u32::from(MAX_PORT) {
            out.push((narrow(next), MAX_PORT));
        }
        PortSet(out)
    }
}

fn narrow(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(MAX_PORT)
}

impl fmt::Display for PortSet {
    /// `80,8080-8090`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (lo, hi)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

/// A transport protocol NetworkPolicy can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// SCTP.
    Sctp,
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// Every protocol, in display order.
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    /// Reads `TCP`, `UDP` or `SCTP` (case-insensitive).
    pub fn parse(s: &str) -> Option<Protocol> {
        match s.to_ascii_uppercase().as_str() {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// `TCP`, `UDP` or `SCTP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    fn index(self) -> usize {
        match self {
            Protocol::Sctp => 0,
            Protocol::Tcp => 1,
            Protocol::Udp => 2,
        }
    }
}

/// A set of connections: for each protocol, the ports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct ConnSet([PortSet; 3]);

impl ConnSet {
    /// No connection.
    pub fn none() -> ConnSet {
        ConnSet::default()
    }

    /// Every port of every protocol.
    pub fn all() -> ConnSet {
        ConnSet([PortSet::all(), PortSet::all(), PortSet::all()])
    }

    /// The ports `ports` of `protocol`.
    pub fn of(protocol: Protocol, ports: PortSet) -> ConnSet {
        let mut c = ConnSet::none();
        c.0[protocol.index()] = ports;
        c
    }

    /// The ports of `protocol`.
    pub fn ports(&self, protocol: Protocol) -> &PortSet {
        &self.0[protocol.index()]
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(PortSet::is_empty)
    }

    /// Whether the set holds every connection.
    pub fn is_all(&self) -> bool {
        self.0.iter().all(PortSet::is_all)
    }

    /// Whether `port`/`protocol` is in the set.
    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.0[protocol.index()].contains(port)
    }

    /// The union.
    #[must_use]
    pub fn union(&self, other: &ConnSet) -> ConnSet {
        ConnSet(std::array::from_fn(|i| self.0[i].union(&other.0[i])))
    }

    /// The intersection.
    #[must_use]
    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet(std::array::from_fn(|i| self.0[i].intersect(&other.0[i])))
    }

    /// The connections of `self` not in `other`.
    #[must_use]
    pub fn subtract(&self, other: &ConnSet) -> ConnSet {
        ConnSet(std::array::from_fn(|i| self.0[i].subtract(&other.0[i])))
    }
}

impl fmt::Display for ConnSet {
    /// `All Connections`, `No Connections`, or `SCTP 9003,TCP 1-79,81-65535,UDP 53`: the
    /// conformance suite's notation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for p in Protocol::ALL {
            let ports = self.ports(p);
            if ports.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{} {ports}", p.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_set_algebra() {
        let a = PortSet::range(1, 100).union(&PortSet::range(200, 300));
        let b = PortSet::range(50, 250);
        assert_eq!(a.intersect(&b).to_string(), "50-100,200-250");
        assert_eq!(a.subtract(&b).to_string(), "1-49,251-300");
        assert_eq!(
            PortSet::range(80, 80).complement().to_string(),
            "1-79,81-65535"
        );
        assert_eq!(
            PortSet::range(1, 5)
                .union(&PortSet::range(6, 9))
                .to_string(),
            "1-9",
            "adjacent ranges merge"
        );
        assert!(PortSet::all().complement().is_empty());
        assert!(PortSet::range(0, 0).is_empty(), "port 0 is not a port");
    }

    #[test]
    fn conn_set_notation_matches_the_conformance_suite() {
        let c = ConnSet::of(Protocol::Udp, PortSet::range(53, 53))
            .union(&ConnSet::of(Protocol::Tcp, PortSet::range(8080, 8080)));
        assert_eq!(c.to_string(), "TCP 8080,UDP 53");
        let all_but_80 =
            ConnSet::all().subtract(&ConnSet::of(Protocol::Tcp, PortSet::range(80, 80)));
        assert_eq!(
            all_but_80.to_string(),
            "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535"
        );
        assert_eq!(ConnSet::all().to_string(), "All Connections");
    }
}
