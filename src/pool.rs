//! Pools: CPUs streamed from many inputs, and the baseline fold over any stream.
//!
//! [`Pool`] reads its inputs one after another and yields one checked [`Cpu`] at a time:
//! XML definitions are read element by element (memory bounded by one `<cpu>`, whatever
//! the file's length); a dump is read whole and decoded as a host. The first error (an
//! unreadable input, malformed XML, an unknown name, an input without any CPU) is yielded
//! and ends the stream.
//!
//! [`crate::Engine::baseline`] folds any stream of [`PoolItem`]s through the adapter's
//! baseline. The stream's own errors win over the fold's (they explain it); an error of
//! the fold about one CPU names that CPU's input and position.
use crate::cpu::{AnyCpu, Cpu, Origin, Wrap};
use crate::engine::{Baseline, Engine, Inner};
use crate::error::{Error, ErrorKind};
use crate::input::{self, CpuStream, Input, Opened};
use cpucompat_contract::BaselineOptions;
use std::sync::Arc;

/// The CPUs of several inputs, read one definition at a time (see
/// [`crate::Engine::read_pool`]).
pub struct Pool<'e> {
    engine: &'e Engine,
    inputs: Box<dyn Iterator<Item = Input>>,
    current: Option<Current>,
    done: bool,
}

struct Current {
    name: Arc<str>,
    source: Source,
    count: usize,
}

enum Source {
    Stream(Box<CpuStream>, Option<cpucompat_xml::model::CpuDef>),
    Queue(std::vec::IntoIter<Cpu>),
}

impl<'e> Pool<'e> {
    pub(crate) fn new(engine: &'e Engine, inputs: Box<dyn Iterator<Item = Input>>) -> Pool<'e> {
        Pool {
            engine,
            inputs,
            current: None,
            done: false,
        }
    }

    fn open(&self, input: Input) -> Result<Current, Error> {
        let (name, opened) = input.into_opened()?;
        let name: Arc<str> = name.into();
        let source = match opened {
            Opened::Cpus(stream, first) => Source::Stream(stream, first),
            Opened::Text(text) => {
                Source::Queue(vec![self.engine.decode_in(&name, &text)?].into_iter())
            }
        };
        Ok(Current {
            name,
            source,
            count: 0,
        })
    }

    fn step(&mut self) -> Option<Result<Cpu, Error>> {
        loop {
            if self.current.is_none() {
                let input = self.inputs.next()?;
                match self.open(input) {
                    Ok(c) => self.current = Some(c),
                    Err(e) => return Some(Err(e)),
                }
            }
            let cur = self.current.as_mut()?;
            let next = match &mut cur.source {
                Source::Queue(q) => q.next().map(Ok),
                Source::Stream(r, first) => match (first.take(), &self.engine.inner) {
                    (Some(def), _) => Some(self.engine.check_in(def, &cur.name)),
                    (None, Inner::X86(a)) => r.next_resolved(&a.resolver()).map(|d| match d {
                        Ok(c) => x86_resolved(self.engine, a, c, &cur.name),
                        Err(e) => Err(input::xml_error(&cur.name, &e)),
                    }),
                    (None, _) => r.next().map(|d| match d {
                        Ok(def) => self.engine.check_in(def, &cur.name),
                        Err(e) => Err(input::xml_error(&cur.name, &e)),
                    }),
                },
            };
            match next {
                Some(item) => {
                    cur.count += 1;
                    return Some(item);
                }
                None if cur.count == 0 => {
                    let e = Error::new(ErrorKind::Syntax, "no <cpu> element found");
                    return Some(Err(e.in_file(&cur.name, 0, 0)));
                }
                None => self.current = None,
            }
        }
    }
}

/// An x86 CPU read with the catalog's resolver, checked (the same CPU and errors as
/// [`Engine::check_in`] of the whole definition; no string is made per feature).
fn x86_resolved(
    engine: &Engine,
    a: &cpucompat_x86::X86,
    cpu: cpucompat_xml::ResolvedCpu,
    input: &Arc<str>,
) -> Result<Cpu, Error> {
    let pos = cpu.head().pos;
    let c = a
        .check_resolved(cpu)
        .map_err(|e| Error::from(e).about(input, pos))?;
    let mut cpu = engine.wrap_owned(AnyCpu::X86(c));
    cpu.origin = Some(Origin {
        input: input.clone(),
        pos,
    });
    Ok(cpu)
}

impl Iterator for Pool<'_> {
    type Item = Result<Cpu, Error>;

    fn next(&mut self) -> Option<Result<Cpu, Error>> {
        if self.done {
            return None;
        }
        let item = self.step();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

/// What a baseline can be computed over: [`Cpu`]s, `&Cpu`s, or `Result<Cpu, Error>`s
/// (a [`Pool`]).
pub trait PoolItem: sealed::Sealed {
    /// The CPU, or the input error that ends the stream.
    ///
    /// # Errors
    /// The stream's own error.
    fn into_cpu(self) -> Result<Cpu, Error>;

    /// Runs `f` on the CPU without taking it (no clone of a borrowed one).
    ///
    /// # Errors
    /// The stream's own error.
    #[doc(hidden)]
    fn with_cpu<R>(self, f: impl FnOnce(&Cpu) -> R) -> Result<R, Error>
    where
        Self: Sized;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Cpu {}
    impl Sealed for &crate::Cpu {}
    impl Sealed for Result<crate::Cpu, crate::Error> {}
}

impl PoolItem for Cpu {
    fn into_cpu(self) -> Result<Cpu, Error> {
        Ok(self)
    }
    fn with_cpu<R>(self, f: impl FnOnce(&Cpu) -> R) -> Result<R, Error> {
        Ok(f(&self))
    }
}

impl PoolItem for &Cpu {
    fn into_cpu(self) -> Result<Cpu, Error> {
        Ok(self.clone())
    }
    fn with_cpu<R>(self, f: impl FnOnce(&Cpu) -> R) -> Result<R, Error> {
        Ok(f(self))
    }
}

impl PoolItem for Result<Cpu, Error> {
    fn into_cpu(self) -> Result<Cpu, Error> {
        self
    }
    fn with_cpu<R>(self, f: impl FnOnce(&Cpu) -> R) -> Result<R, Error> {
        self.map(|c| f(&c))
    }
}

/// The adapter's CPUs of a stream of pool items; the first error is kept aside and ends
/// the stream, and the origin of the latest CPU is remembered for the fold's errors.
struct Feed<'a, A: Wrap, I> {
    engine: &'a Engine,
    items: I,
    error: Option<Error>,
    last: Option<Origin>,
    count: usize,
    _adapter: std::marker::PhantomData<A>,
}

impl<A: Wrap, I: Iterator> Iterator for Feed<'_, A, I>
where
    I::Item: PoolItem,
{
    type Item = A::Cpu;

    fn next(&mut self) -> Option<A::Cpu> {
        if self.error.is_some() {
            return None;
        }
        let cpu = match self.items.next()?.into_cpu() {
            Ok(c) => c,
            Err(e) => {
                self.error = Some(e);
                return None;
            }
        };
        if let Err(e) = self.engine.unwrap::<A>(&cpu) {
            self.error = Some(e);
            return None;
        }
        self.count += 1;
        self.last = cpu.origin.clone();
        A::take(cpu.inner)
    }
}

/// Folds a stream of pool items through `fold`, an adapter's baseline over its own CPUs.
pub(crate) fn fold<A, I, F>(e: &Engine, items: I, fold: F) -> Result<Baseline, Error>
where
    A: Wrap,
    I: Iterator,
    I::Item: PoolItem,
    F: FnOnce(&mut dyn Iterator<Item = A::Cpu>) -> Result<A::Cpu, cpucompat_contract::Error>,
{
    let mut feed: Feed<'_, A, I> = Feed {
        engine: e,
        items,
        error: None,
        last: None,
        count: 0,
        _adapter: std::marker::PhantomData,
    };
    let result = fold(&mut feed);
    if let Some(err) = feed.error {
        return Err(err);
    }
    let cpu = result.map_err(|err| {
        let about_one = err.input_index().is_some() || err.pos().is_some();
        let err = Error::from(err);
        match (&feed.last, about_one) {
            (Some(o), true) => err.about(&o.input, o.pos),
            _ => err,
        }
    })?;
    let inner: AnyCpu = A::wrap(cpu);
    Ok(Baseline {
        cpu: e.wrap_owned(inner),
        inputs: feed.count,
    })
}

pub(crate) fn baseline<I>(
    engine: &Engine,
    items: I,
    opts: &BaselineOptions,
) -> Result<Baseline, Error>
where
    I: Iterator,
    I::Item: PoolItem,
{
    fn go<A: Wrap, I>(
        e: &Engine,
        a: &A,
        items: I,
        opts: &BaselineOptions,
    ) -> Result<Baseline, Error>
    where
        I: Iterator,
        I::Item: PoolItem,
    {
        fold::<A, _, _>(e, items, |f| a.baseline(f, opts))
    }
    match &engine.inner {
        Inner::X86(a) => x86_baseline(engine, a, items, opts),
        Inner::Ppc64(a) => go(engine, a, items, opts),
        Inner::S390x(a) => go(engine, a, items, opts),
    }
}

/// The x86 baseline, folded by reference ([`cpucompat_x86::BaselineFold`]): a pool of
/// checked CPUs (owned, borrowed or streamed) is folded without cloning any of them.
/// Errors are those of [`fold`]: the stream's own first, then the fold's, named after the
/// CPU they are about.
fn x86_baseline<I>(
    engine: &Engine,
    a: &cpucompat_x86::X86,
    items: I,
    opts: &BaselineOptions,
) -> Result<Baseline, Error>
where
    I: Iterator,
    I::Item: PoolItem,
{
    let opts = cpucompat_x86::BaselineOptions {
        expand_features: opts.expand_features,
        migratable: opts.migratable,
        hypervisor: None,
    };
    let mut fold = a.baseline_fold(&opts);
    for item in items {
        item.with_cpu(|cpu| {
            let c = engine.unwrap::<cpucompat_x86::X86>(cpu)?;
            fold.push(c).map_err(|err| cpu.locate(Error::from(err)))
        })??;
    }
    let inputs = fold.count();
    let cpu = fold.finish().map_err(Error::from)?;
    Ok(Baseline {
        cpu: engine.wrap_owned(AnyCpu::X86(cpu)),
        inputs,
    })
}
