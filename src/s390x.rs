//! The s390x commands: glue between the command line and the `cpucompat-s390x` adapter.
use crate::cli::{BaselineArgs, Common, CompareArgs, ExpandArgs, ModelsArgs, QmpArgs};
use crate::{input, Error, Output};
use cpucompat_s390x::{Engine, Release};

fn unsupported(what: &str) -> Result<Output, Error> {
    Err(Error::usage(format!(
        "{what} is not supported for s390x yet"
    )))
}

/// `cpucompat host`.
pub fn host(_c: &Common) -> Result<Output, Error> {
    unsupported("host")
}

/// `cpucompat compare`.
pub fn compare(_c: &Common, _a: &CompareArgs) -> Result<Output, Error> {
    unsupported("compare")
}

/// `cpucompat baseline`.
pub fn baseline(_c: &Common, _a: &BaselineArgs) -> Result<Output, Error> {
    unsupported("baseline")
}

/// `cpucompat models`.
pub fn models(_c: &Common, _a: &ModelsArgs) -> Result<Output, Error> {
    unsupported("models")
}

/// `cpucompat expand`.
pub fn expand(_c: &Common, _a: &ExpandArgs) -> Result<Output, Error> {
    unsupported("expand")
}

/// The engine of `--qemu-version` (default: the newest data).
fn release(c: &Common) -> Result<Release, Error> {
    match &c.qemu_version {
        None => Ok(Release::Newest),
        Some(v) => Release::parse(v).ok_or_else(|| {
            Error::usage(format!(
                "unknown QEMU version '{v}' for s390x; expected 7.2 or 10.2 (newest)"
            ))
        }),
    }
}

/// The engine: TCG, or KVM on the `--host-model` host.
fn engine(c: &Common, host_model: Option<&std::path::Path>) -> Result<Engine<'static>, Error> {
    let engine = Engine::tcg(release(c)?);
    match host_model {
        None => Ok(engine),
        Some(p) => {
            let text = input::read(p)?;
            let host = cpucompat_s390x::parse_host_model(&engine, &input::display(p), &text)
                .map_err(|e| Error::Decision(e.to_string()))?;
            Ok(engine.with_host(host))
        }
    }
}

/// `cpucompat qmp`: a QMP monitor on stdin/stdout, replies streamed as they are computed.
pub fn qmp(c: &Common, a: &QmpArgs) -> Result<Output, Error> {
    let engine = engine(c, a.host_model.as_deref())?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    cpucompat_s390x::serve(engine, stdin.lock(), stdout.lock()).map_err(|source| Error::Io {
        path: "<stdio>".into(),
        source,
    })?;
    Ok(Output::ok(String::new()))
}
