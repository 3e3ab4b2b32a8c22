//! A stable JSON shape for CPU definitions and dumps.
//!
//! The JSON is of the normalized definition ([`CpuDef::normalized`]), so it shows the
//! effective values libvirt would write. Every key is always present (`null` when absent):
//!
//! ```json
//! {"kind": "guest", "mode": "custom", "match": "exact", "check": null, "arch": null,
//!  "model": {"name": "Haswell", "fallback": "allow", "vendor_id": null},
//!  "vendor": "Intel", "signature": null, "microcode": null,
//!  "topology": {"sockets": 1, "dies": null, "clusters": null, "cores": 2, "threads": 2},
//!  "features": [{"name": "rtm", "policy": "disable"}]}
//! ```
//! Hosts have `"policy": null` on every feature; `model.name` is `null` for a `<model>`
//! without a name.
use crate::model::{Check, CpuData, CpuDataItem, CpuDef, CpuKind, Fallback, Match, Mode};
use serde_json::{json, Value};

/// The JSON form of a CPU definition (normalized).
pub fn cpu_to_json(cpu: &CpuDef) -> Value {
    let c = cpu.normalized();
    let kind = match c.kind {
        CpuKind::Host => "host",
        CpuKind::Guest => "guest",
    };
    let mode = match c.mode {
        Mode::Custom => "custom",
        Mode::HostModel => "host-model",
        Mode::HostPassthrough => "host-passthrough",
        Mode::Maximum => "maximum",
    };
    let match_ = c.match_.map(|m| match m {
        Match::Minimum => "minimum",
        Match::Exact => "exact",
        Match::Strict => "strict",
    });
    let check = c.check.map(|m| match m {
        Check::None => "none",
        Check::Partial => "partial",
        Check::Full => "full",
    });
    let model = c.model.as_ref().map(|m| {
        json!({
            "name": (!m.name.is_empty()).then_some(m.name.as_str()),
            "fallback": m.fallback.map(|f| match f {
                Fallback::Allow => "allow",
                Fallback::Forbid => "forbid",
            }),
            "vendor_id": m.vendor_id,
        })
    });
    let signature = c
        .signature
        .map(|s| json!({"family": s.family, "model": s.model, "stepping": s.stepping}));
    let topology = c.topology.map(|t| {
        json!({"sockets": t.sockets, "dies": t.dies, "clusters": t.clusters,
               "cores": t.cores, "threads": t.threads})
    });
    let features: Vec<Value> = c
        .features
        .iter()
        .map(|f| json!({"name": f.name, "policy": f.policy.map(|p| p.as_str())}))
        .collect();
    json!({
        "kind": kind,
        "mode": mode,
        "match": match_,
        "check": check,
        "arch": c.arch,
        "model": model,
        "vendor": c.vendor,
        "signature": signature,
        "microcode": c.microcode,
        "topology": topology,
        "features": features,
    })
}

/// The JSON form of a dump: `{"arch": "x86", "items": [{"cpuid": {"eax_in": "0x00000001",
/// "ecx_in": "0x00", "eax": ..., "ebx": ..., "ecx": ..., "edx": ...}}, {"msr": {"index":
/// "0x10a", "eax": ..., "edx": ...}}, {"pvr": {"value": "0x004e1202"}}]}` (hex strings,
/// as in the XML).
pub fn cpudata_to_json(d: &CpuData) -> Value {
    let items: Vec<Value> = d
        .items
        .iter()
        .map(|i| match *i {
            CpuDataItem::Cpuid {
                leaf,
                subleaf,
                regs,
            } => json!({"cpuid": {
                "eax_in": format!("0x{leaf:08x}"), "ecx_in": format!("0x{subleaf:02x}"),
                "eax": format!("0x{:08x}", regs[0]), "ebx": format!("0x{:08x}", regs[1]),
                "ecx": format!("0x{:08x}", regs[2]), "edx": format!("0x{:08x}", regs[3])}}),
            CpuDataItem::Msr { index, eax, edx } => json!({"msr": {
                "index": format!("0x{index:x}"), "eax": format!("0x{eax:08x}"),
                "edx": format!("0x{edx:08x}")}}),
            CpuDataItem::Pvr { value } => json!({"pvr": {"value": format!("0x{value:08x}")}}),
        })
        .collect();
    json!({"arch": d.arch, "items": items})
}
