//! The s390x adapter: QEMU's s390x CPU models, decided without QEMU.
//!
//! libvirt's s390 driver answers every compare with "identical" and asks a running QEMU
//! for the real answer. This crate gives the same answers as `qemu-system-s390x` from the
//! model data alone:
//!
//! * [`catalog`]: the per-release data (features with their facility/SCLP/subfunction
//!   bits, groups, the model table with base/default/full sets), embedded from
//!   `specs/catalog/s390x*.ron`.
//! * [`model`]: the algebra: named models and props, IBC, comparison, baseline, static and
//!   full expansion, runnability against a `max`/host model.
//! * [`libvirt`]: libvirt `<cpu>` definitions to QEMU models and back.
//! * [`hypervisor`]: libvirt 11.3's QEMU driver (`hypervisor-cpu-baseline`,
//!   `hypervisor-cpu-compare`) from a capabilities cache, with its output form and fold.
//! * [`qmp`]: a QMP monitor answering `query-cpu-definitions`,
//!   `query-cpu-model-expansion`, `-comparison` and `-baseline` byte for byte as QEMU
//!   does ([`qdict`] holds QEMU's dictionary order).
//!
//! The lattice view: a model is a point `(Level::pair(gen, ga), FeatureSet)`; comparison is
//! the component-wise order test combined with [`cpucompat_lattice::combine`]; baseline is
//! the meet, presented as the newest definition whose base set the meet still contains.
mod adapter;
pub mod catalog;
mod embedded;
pub mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod hypervisor;
pub mod libvirt;
pub mod model;
pub mod qmp;

/// QEMU's dictionary order and JSON text (shared with the other QMP monitors).
pub use cpucompat_qmp::qdict;

pub use adapter::Cpu;
pub use catalog::{Catalog, Definition, Feature, Group, Kind, Release};
pub use error::{CatalogError, HostModelError, ModelError};
pub use model::{Comparison, CpuModel, DefinitionInfo, Engine, Expansion, Named, Prop, PropValue};
pub use qmp::{session, Monitor, Session};

use std::io::{BufRead, Write};

/// Reads a host model file: a `CpuModelInfo` `{"name": "gen15a-base", "props": {...}}`
/// (what `query-cpu-model-expansion` of `host` returns under KVM; a whole reply
/// `{"return": {"model": ...}}` is accepted too) and builds it as the KVM host model.
///
/// # Errors
/// [`HostModelError::Json`] for text that is not JSON (with serde_json's line and column);
/// [`HostModelError::Shape`] without a string `name`, with `props` that is not an object,
/// or with a property that is not a boolean; [`HostModelError::Model`] when the engine
/// refuses the model or a property (QEMU's message, see [`Engine::build`]).
pub fn parse_host_model(
    engine: &Engine<'_>,
    file: &str,
    text: &str,
) -> Result<CpuModel, HostModelError> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| HostModelError::Json {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: without_position(&e.to_string()),
    })?;
    let shape = || HostModelError::Shape {
        file: file.to_string(),
    };
    let mut m = &v;
    if let Some(r) = m.get("return") {
        m = r;
    }
    if let Some(inner) = m.get("model") {
        m = inner;
    }
    let name = m.get("name").and_then(|n| n.as_str()).ok_or_else(shape)?;
    let arg = qmp::ModelArg {
        name: name.to_string(),
        props: m.get("props").cloned(),
    };
    let props = qmp::props_of(&arg).map_err(|_| shape())?;
    if props
        .iter()
        .any(|p| !matches!(p.value, model::PropValue::Bool(_)))
    {
        return Err(shape());
    }
    engine
        .build(name, &props)
        .map_err(|source| HostModelError::Model {
            file: file.to_string(),
            source,
        })
}

/// serde_json's message without its " at line L column C" suffix (the error carries both).
fn without_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Runs a QMP session over an engine: greeting, then one reply per request of the input
/// byte stream, flushed as it goes; stops after `quit` or at the end of the input (see
/// [`cpucompat_qmp::serve`]).
///
/// # Errors
/// An I/O error reading the input or writing a reply (see [`cpucompat_qmp::serve`]); QMP
/// errors are replies, not errors.
pub fn serve<R: BufRead, W: Write>(engine: Engine<'_>, input: R, output: W) -> std::io::Result<()> {
    cpucompat_qmp::serve(&mut session(engine), input, output)
}
