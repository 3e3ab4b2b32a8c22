//! The `cpucompat` command line: a client of the library. Each command parses its
//! arguments, builds an [`Engine`], calls the library and renders the answer into one
//! string; nothing is printed before the whole answer exists. Decisions are the
//! library's; this module only chooses what to print.
pub mod args;
mod render;

use args::{Cli, Command, Format};
use cpucompat::{
    Arch, BaselineOptions, CpuKind, CpuMap, Definitions, Engine, Error, ErrorKind, Input, Qemu,
};

/// What a command prints on stdout, and its exit status (0 ok, 1 incompatible).
pub struct Output {
    pub stdout: String,
    pub exit: u8,
}

impl Output {
    fn ok(stdout: String) -> Output {
        Output { stdout, exit: 0 }
    }
}

fn argument(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Argument, msg)
}

/// The engine a command's options and inputs ask for: `--arch`, else the architecture the
/// inputs name, else `fallback` (this machine's, for most commands).
fn engine(e: &args::Engine, inputs: &mut [Input], fallback: Option<Arch>) -> Result<Engine, Error> {
    let arch = match &e.arch {
        Some(a) => Arch::from_name(a).ok_or_else(|| {
            argument(format!(
                "unknown architecture '{a}': expected x86_64, ppc64 or s390x"
            ))
        })?,
        None => cpucompat::detect_arch(inputs)?
            .or(fallback)
            .or_else(Arch::native)
            .unwrap_or(Arch::X86),
    };
    let mut b = Engine::builder(arch);
    if let Some(dir) = &e.cpu_map {
        b = b.cpu_map(if dir.as_os_str() == "libvirt-11.3" {
            CpuMap::Libvirt11_3
        } else {
            CpuMap::Dir(dir.clone())
        });
    }
    if let Some(v) = &e.qemu_version {
        let q = Qemu::from_name(v).ok_or_else(|| {
            argument(format!(
                "unknown QEMU version '{v}': expected 7.2 or newest (10.2)"
            ))
        })?;
        b = b.qemu(q);
    }
    b.build()
}

fn not_xml(command: &str) -> Error {
    argument(format!("{command} prints text or json, not xml"))
}

/// Runs one command line.
pub fn run(cli: Cli) -> Result<Output, Error> {
    let (outer, format) = (&cli.engine, cli.format);
    let command = cli.command.unwrap_or(Command::Host(Default::default()));
    match merged(command, outer, format) {
        Command::Host(a) => host(a),
        Command::Compare(a) => compare(a),
        Command::Baseline(a) => baseline(a),
        Command::Decode(a) => decode(a),
        Command::Models(a) => models(a),
        Command::Expand(a) => expand(a),
        Command::Qmp(a) => qmp(a),
        Command::Parse(a) => parse(a),
        Command::Catalog(args::CatalogCommand::Import {
            cpu_map,
            catalog_arch,
        }) => {
            let arch = match catalog_arch.as_str() {
                "x86" | "x86_64" | "i686" => Arch::X86,
                "ppc64" | "ppc64le" => Arch::Ppc64,
                other => {
                    return Err(argument(format!(
                        "unknown catalog architecture '{other}'; expected x86 or ppc64"
                    )))
                }
            };
            cpucompat::import_cpu_map(&cpu_map, arch).map(Output::ok)
        }
    }
}

/// A command with the options given before it filled in.
fn merged(c: Command, outer: &args::Engine, format: Option<Format>) -> Command {
    macro_rules! fill {
        ($a:ident) => {{
            $a.engine = $a.engine.or(outer);
            $a.format = $a.format.or(format);
        }};
    }
    match c {
        Command::Host(mut a) => {
            fill!(a);
            Command::Host(a)
        }
        Command::Compare(mut a) => {
            fill!(a);
            Command::Compare(a)
        }
        Command::Baseline(mut a) => {
            fill!(a);
            Command::Baseline(a)
        }
        Command::Decode(mut a) => {
            fill!(a);
            Command::Decode(a)
        }
        Command::Models(mut a) => {
            fill!(a);
            Command::Models(a)
        }
        Command::Expand(mut a) => {
            fill!(a);
            Command::Expand(a)
        }
        Command::Qmp(mut a) => {
            a.engine = a.engine.or(outer);
            Command::Qmp(a)
        }
        Command::Parse(mut a) => {
            a.format = a.format.or(format);
            Command::Parse(a)
        }
        other => other,
    }
}

fn host(a: args::HostArgs) -> Result<Output, Error> {
    let engine = engine(&a.engine, &mut [], None)?;
    let view = match a.view {
        args::View::Host => cpucompat::HostView::Host,
        args::View::Kvm => cpucompat::HostView::Kvm,
    };
    let report = match &a.record {
        Some(p) => engine.host_record(Input::path(p), view)?,
        None => engine.host_view(view)?,
    };
    Ok(Output::ok(match a.format {
        Some(Format::Xml) => report.cpu().to_xml(),
        Some(Format::Json) => cpucompat::to_json_text(&report.to_json()),
        None | Some(Format::Text) => render::host(&engine, &report, a.verbose),
    }))
}

fn compare(a: args::CompareArgs) -> Result<Output, Error> {
    if a.format == Some(Format::Xml) {
        return Err(not_xml("compare"));
    }
    if let Some(hv) = &a.hypervisor {
        return hypervisor_compare(&a, hv);
    }
    let [host, guest] = a.files.as_slice() else {
        return Err(argument(
            "compare takes HOST and GUEST (or GUEST alone with --hypervisor FILE)",
        ));
    };
    // The host decides the architecture (a guest of another one is incompatible, as
    // libvirt says); the guest only when the host names none.
    let mut h = [Input::path(host)];
    let mut g = [Input::path(guest)];
    let mut e = a.engine.clone();
    if e.arch.is_none() {
        let named = match cpucompat::detect_arch(&mut h)? {
            Some(x) => Some(x),
            None => cpucompat::detect_arch(&mut g)?,
        };
        e.arch = named.map(|x| x.as_str().to_string());
    }
    let engine = engine(&e, &mut [], None)?;
    let ([h], [g]) = (h, g);
    let (hname, gname) = (h.name().to_string(), g.name().to_string());
    let host = engine.read_one(h)?;
    let engine = engine.for_host(&host)?;
    let guest = engine.read_one(g)?;
    let cmp = engine.compare(&host, &guest)?;
    let stdout = match a.format {
        Some(Format::Json) => cpucompat::to_json_text(&cmp),
        _ => render::compare(&cmp, &hname, &gname, a.verbose),
    };
    Ok(Output {
        stdout,
        exit: u8::from(!cmp.runs()),
    })
}

/// The accelerator of `--accel`.
fn accel(a: Option<&str>) -> Result<Option<cpucompat::Accel>, Error> {
    a.map(|s| {
        cpucompat::Accel::from_virttype(s).ok_or_else(|| {
            argument(format!(
                "unknown accelerator '{s}': expected kvm or tcg (qemu)"
            ))
        })
    })
    .transpose()
}

/// The engine for a hypervisor description: `--arch`, else the description's own.
fn hypervisor_engine(e: &args::Engine, file: &std::path::Path) -> Result<Engine, Error> {
    let mut inputs = [Input::path(file)];
    let mut e = e.clone();
    if e.arch.is_none() {
        e.arch = cpucompat::hypervisor_arch(&mut inputs[0])?.map(|a| a.as_str().to_string());
    }
    engine(&e, &mut [], None)
}

fn hypervisor_compare(a: &args::CompareArgs, hv: &std::path::Path) -> Result<Output, Error> {
    if a.format == Some(Format::Xml) {
        return Err(not_xml("compare"));
    }
    let [guest] = a.files.as_slice() else {
        return Err(argument("compare --hypervisor takes one file: the guest"));
    };
    let engine = hypervisor_engine(&a.engine, hv)?;
    let h = engine.hypervisor(Input::path(hv), accel(a.accel.as_deref())?)?;
    let g = Input::path(guest);
    let name = g.name().to_string();
    let r = h.compare(g)?;
    let stdout = match a.format {
        Some(Format::Json) => cpucompat::to_json_text(&r),
        _ => render::hypervisor_compare(r.comparison(), &name, a.verbose),
    };
    Ok(Output {
        stdout,
        exit: u8::from(!r.comparison().runs()),
    })
}

fn baseline(a: args::BaselineArgs) -> Result<Output, Error> {
    if let Some(hv) = &a.hypervisor {
        if a.compat || a.hypervisor_models.is_some() {
            return Err(argument(
                "--hypervisor takes no --compat or --hypervisor-models",
            ));
        }
        let engine = hypervisor_engine(&a.engine, hv)?;
        let h = engine.hypervisor(Input::path(hv), accel(a.accel.as_deref())?)?;
        let opts = BaselineOptions {
            expand_features: a.features,
            migratable: a.migratable,
        };
        let b = h.baseline(a.files.iter().map(Input::path), &opts)?;
        return Ok(Output::ok(match a.format {
            None | Some(Format::Xml) => b.to_xml(),
            Some(Format::Json) => cpucompat::to_json_text(&b.to_json()),
            Some(Format::Text) => {
                return Err(argument(
                    "baseline prints a CPU definition: --format xml or json",
                ))
            }
        }));
    }
    if a.accel.is_some() {
        return Err(argument("--accel goes with --hypervisor"));
    }
    let mut inputs: Vec<Input> = a.files.iter().map(Input::path).collect();
    let engine = engine(&a.engine, &mut inputs, None)?;
    let opts = BaselineOptions {
        expand_features: a.features,
        migratable: a.migratable,
    };
    let cpu_format = |cpu: &cpucompat::Cpu| match a.format {
        None | Some(Format::Xml) => Ok(cpu.to_xml()),
        Some(Format::Json) => Ok(cpucompat::to_json_text(&cpu.to_json())),
        Some(Format::Text) => Err(argument(
            "baseline prints a CPU definition: --format xml or json",
        )),
    };
    if a.compat {
        let ext = engine
            .ppc64()
            .ok_or_else(|| argument("--compat is a ppc64 option"))?;
        if a.features || a.migratable || a.hypervisor_models.is_some() {
            return Err(argument(
                "--compat takes no --features, --migratable or --hypervisor-models",
            ));
        }
        let (b, cpu) = ext.compat_baseline(engine.read_pool(inputs))?;
        let out = match a.format {
            Some(Format::Text) => render::compat_mode(b.mode()),
            _ => cpu_format(&cpu)?,
        };
        return Ok(Output::ok(out));
    }
    let result = match &a.hypervisor_models {
        Some(path) => {
            let ext = engine
                .x86()
                .ok_or_else(|| argument("--hypervisor-models is an x86 option"))?;
            let models = ext.hypervisor_models(Input::path(path))?;
            ext.baseline_with(engine.read_pool(inputs), &opts, Some(models))?
        }
        None => engine.baseline(engine.read_pool(inputs), &opts)?,
    };
    Ok(Output::ok(cpu_format(result.cpu())?))
}

fn decode(a: args::DecodeArgs) -> Result<Output, Error> {
    let kind = match a.as_ {
        args::DecodeAs::Host => CpuKind::Host,
        args::DecodeAs::Guest => CpuKind::Guest,
    };
    if let Some(pvr) = &a.pvr {
        let mut e = a.engine.clone();
        if e.arch
            .as_deref()
            .is_some_and(|x| Arch::from_name(x) != Some(Arch::Ppc64))
        {
            return Err(argument("--pvr is a ppc64 option"));
        }
        e.arch = Some("ppc64".into());
        if a.hypervisor_models.is_some() {
            return Err(argument("--hypervisor-models is an x86 option"));
        }
        let engine = engine(&e, &mut [], None)?;
        let ext = engine
            .ppc64()
            .ok_or_else(|| argument("--pvr is a ppc64 option"))?;
        let info = ext.decode_pvr(pvr)?;
        let cpu = if kind == CpuKind::Guest {
            &info.guest
        } else {
            &info.host
        };
        return Ok(Output::ok(match a.format {
            None | Some(Format::Xml) => cpu.to_xml(),
            Some(Format::Json) => cpucompat::to_json_text(&cpu.to_json()),
            Some(Format::Text) => render::pvr(&info),
        }));
    }
    let mut inputs = [Input::path(&a.dump)];
    let engine = engine(&a.engine, &mut inputs, None)?;
    let [input] = inputs;
    let cpu = match &a.hypervisor_models {
        Some(path) => {
            let ext = engine
                .x86()
                .ok_or_else(|| argument("--hypervisor-models is an x86 option"))?;
            let models = ext.hypervisor_models(Input::path(path))?;
            let data = ext.read_dump(input)?;
            ext.decode_with(&data, kind, Some(&models))?
        }
        None => engine.decode(input, kind)?,
    };
    Ok(Output::ok(match a.format {
        None | Some(Format::Xml) => cpu.to_xml(),
        Some(Format::Json) => cpucompat::to_json_text(&cpu.to_json()),
        Some(Format::Text) => match engine.ppc64() {
            Some(ext) => match ext.pvr_of(&cpu)? {
                Some(p) => render::pvr(&ext.decode(p)?),
                None => render::cpu_summary(&engine, &cpu)?,
            },
            None => render::cpu_summary(&engine, &cpu)?,
        },
    }))
}

fn models(a: args::ModelsArgs) -> Result<Output, Error> {
    if a.format == Some(Format::Xml) {
        return Err(not_xml("models"));
    }
    let json = a.format == Some(Format::Json);
    let mut inputs: Vec<Input> = a.host.iter().map(Input::path).collect();
    let engine = engine(&a.engine, &mut inputs, None)?;
    let stdout = match inputs.pop() {
        Some(h) => {
            let host = engine.read_one(h)?;
            let list = engine.usability(&host)?;
            if json {
                cpucompat::to_json_text(&list)
            } else {
                render::usability(&list, a.verbose)
            }
        }
        None => {
            let list = engine.models();
            if json {
                cpucompat::to_json_text(&list)
            } else {
                render::catalog_models(&list)
            }
        }
    };
    Ok(Output::ok(stdout))
}

fn expand(a: args::ExpandArgs) -> Result<Output, Error> {
    let mut e = a.engine.clone();
    if e.arch.is_none() {
        e.arch = cpucompat::arch_of_model_name(&a.model).map(|x| x.as_str().to_string());
    }
    let engine = engine(&e, &mut [], Some(Arch::X86))?;
    let stdout = match a.format {
        Some(Format::Xml) => {
            if let Some(x) = engine.x86() {
                x.expanded_model(&a.model)?.to_xml()
            } else if let Some(s) = engine.s390x() {
                s.static_model(&a.model)?.to_xml()
            } else {
                return Err(argument("expand prints text or json for ppc64"));
            }
        }
        Some(Format::Json) => cpucompat::to_json_text(&engine.expand(&a.model)?),
        None | Some(Format::Text) => render::expansion(&engine.expand(&a.model)?),
    };
    Ok(Output::ok(stdout))
}

fn qmp(a: args::QmpArgs) -> Result<Output, Error> {
    let engine = engine(&a.engine, &mut [], Some(Arch::S390x))?;
    let stdin = std::io::stdin();
    let mut out = render::Watched::new(std::io::stdout().lock());
    let result = match (engine.s390x(), engine.ppc64()) {
        (Some(s), _) => match &a.host_model {
            Some(p) => {
                let kvm = s.with_host_model(Input::path(p))?;
                let ext = kvm
                    .s390x()
                    .ok_or_else(|| argument("--host-model is an s390x option"))?;
                ext.serve_qmp(stdin.lock(), &mut out)
            }
            None => s.serve_qmp(stdin.lock(), &mut out),
        },
        (None, Some(p)) => {
            if a.host_model.is_some() {
                return Err(argument("--host-model is an s390x option"));
            }
            p.serve_qmp(stdin.lock(), &mut out)
        }
        (None, None) => {
            return Err(argument(
                "qmp answers for s390x and ppc64: use --arch s390x or --arch ppc64",
            ))
        }
    };
    match (result, out.failure()) {
        (_, Some(e)) => Err(Error::write(e)),
        (Err(e), None) => Err(e),
        (Ok(()), None) => Ok(Output::ok(String::new())),
    }
}

fn parse(a: args::ParseArgs) -> Result<Output, Error> {
    let json = a.format == Some(Format::Json);
    let out = match cpucompat::read_definitions(Input::path(&a.file))? {
        Definitions::Dump(d) => {
            if json {
                cpucompat::to_json_text(&cpucompat::xml::cpudata_to_json(&d))
            } else {
                cpucompat::xml::write_cpudata(&d)
            }
        }
        Definitions::Cpus(cpus) => {
            if json {
                let v: Vec<_> = cpus.iter().map(cpucompat::xml::cpu_to_json).collect();
                cpucompat::to_json_text(&v)
            } else {
                cpus.iter().map(cpucompat::xml::write_cpu).collect()
            }
        }
    };
    Ok(Output::ok(out))
}
