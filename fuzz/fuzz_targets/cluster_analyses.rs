//! Arbitrary manifests through the cluster-wide analyses (reachability, RBAC, service mesh):
//! nothing may panic, and every connection listed must be non-empty and between distinct
//! endpoints.
#![no_main]

use bulwark_k8s::{Limits, Snapshot, load_bytes};
use bulwark_netpol::{Network, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_file_size: 1 << 20,
        ..Limits::default()
    };
    let loaded = load_bytes("fuzz.yaml", data, &limits);
    let snapshot = Snapshot::new(loaded.objects, "default");
    let net = Network::build(&snapshot);
    let conns = net.connections();
    for c in &conns {
        assert!(!c.conns.is_empty());
        assert_ne!(c.src, c.dst);
    }
    let _ = render::connlist(&render::lines(&net, &conns));
    let _ = render::dot(&net, &conns);
    let _ = bulwark_netpol::findings_of(&snapshot, &net);
    let _ = bulwark_rbac::findings(&snapshot);
    let _ = bulwark_mesh::findings(&snapshot);
});
