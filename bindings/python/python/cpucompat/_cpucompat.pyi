"""Type stubs of the extension module behind :mod:`cpucompat`."""

import os
from typing import Any, Iterable, Literal, Optional, Tuple, Union, final

__version__: str

Verdict = Literal["identical", "superset", "incompatible"]
"""libvirt's three answers to "can this guest run on this host?"."""

Text = Union[str, bytes]
"""A CPU description held in memory: any libvirt CPU XML form, a ``<cpudata>`` dump,
``cpuid -r`` text, a POWER ``/proc/cpuinfo``, QEMU's s390x host model (JSON)."""

Source = Union["Cpu", str, bytes, os.PathLike]
"""A CPU argument: a :class:`Cpu` already read, a text (``str``/``bytes``), or a file
(``os.PathLike``, e.g. :class:`pathlib.Path`; a plain ``str`` is always text)."""

class Error(Exception):
    """Base of every cpucompat error. ``str(err)`` is one line,
    ``FILE:LINE:COL: message``, as the command line prints it."""

    kind: str
    """``io``, ``syntax``, ``unknown-name``, ``invalid``, ``no-answer``,
    ``unsupported``, ``catalog`` or ``argument``."""
    message: str
    """What went wrong, without the input's name and position."""
    file: Optional[str]
    """The input the error is about, as named (a path, ``<string>``, the ``name=`` given)."""
    line: Optional[int]
    """The 1-based line in that input, when known."""
    column: Optional[int]
    """The 1-based column in that line, when known."""

class IoError(Error):
    """An input could not be read."""

class ParseError(Error):
    """An input is not what it should be: malformed XML or text, not UTF-8, too large."""

class UnknownNameError(Error):
    """A model, feature, vendor or compat-mode name the catalog does not know."""

class InvalidCpuError(Error):
    """A definition that cannot be used as given (no model, another architecture ...)."""

class NoAnswerError(Error):
    """The inputs have no common answer (a baseline of incompatible CPUs)."""

class UnsupportedError(Error):
    """The architecture, or the chosen catalog, has no such operation or option."""

class CatalogError(Error):
    """A catalog (cpu_map directory, table) is broken."""

class ArgumentError(Error):
    """An argument is wrong: an unknown architecture, QEMU release or option."""

@final
class Engine:
    """One architecture's rules over one catalog of named models. Immutable; safe to share
    between threads (long calls release the GIL)."""

    def __init__(
        self,
        arch: str,
        *,
        cpu_map: Union[str, os.PathLike, None] = None,
        qemu: Optional[str] = None,
    ) -> None:
        """An engine for ``arch`` (``"x86_64"``, ``"ppc64"`` or ``"s390x"``).

        ``cpu_map`` (x86, ppc64): ``"libvirt-11.3"``, ``"libvirt-12.8"`` (the default) or a
        libvirt ``cpu_map`` directory. ``qemu`` (s390x, ppc64): ``"7.2"`` or ``"newest"``
        (the default).

        :raises ArgumentError: an unknown architecture or QEMU release, or a choice that
            does not apply to the architecture.
        :raises CatalogError: a ``cpu_map`` directory that is inconsistent.
        """
    @property
    def arch(self) -> str:
        """The architecture: ``"x86_64"``, ``"ppc64"`` or ``"s390x"``."""
    @property
    def catalog(self) -> str:
        """The catalog and tables this engine decides with, one line."""
    def parse(self, text: Text, name: str = "<string>") -> Cpu:
        """The first CPU of a text, checked against the catalog; ``name`` names the text
        in errors.

        :raises ParseError: malformed XML or text, no CPU.
        :raises UnknownNameError: a model or feature the catalog does not know.
        """
    def parse_all(self, text: Text, name: str = "<string>") -> list[Cpu]:
        """Every CPU of a text, in order (several ``<cpu>``, any wrapper).

        :raises Error: as :meth:`parse`.
        """
    def load(self, path: Union[str, os.PathLike]) -> Cpu:
        """The first CPU of a file, named by its path in errors.

        :raises IoError: the file cannot be read.
        :raises Error: as :meth:`parse`.
        """
    def load_all(self, path: Union[str, os.PathLike]) -> list[Cpu]:
        """Every CPU of a file, in order.

        :raises Error: as :meth:`load`.
        """
    def compare(self, host: Source, guest: Source) -> Comparison:
        """Can ``guest`` run on ``host``? An incompatible guest is an answer
        (``verdict == "incompatible"`` with its reasons), not an exception. On s390x the
        guest is read as QEMU under KVM on that host reads it: give ``host-model`` and
        ``host-passthrough`` guests as a text or file (only a host gives them a meaning).

        :raises Error: an input error; a CPU read by another engine; a host without a
            model.
        """
    def baseline(
        self,
        cpus: Iterable[Source],
        *,
        features: bool = False,
        migratable: bool = False,
    ) -> Cpu:
        """The richest guest CPU every CPU runs. Texts and files count with every CPU they
        hold. ``features`` lists every feature of the result (x86, s390x); ``migratable``
        drops features that block migration (x86).

        :raises NoAnswerError: the CPUs have nothing in common (different vendors ...);
            the error names the CPU where the fold failed.
        :raises Error: an input error; an option the architecture lacks.
        """
    def models(self, host: Optional[Source] = None) -> Tuple[Any, ...]:
        """The catalog's models in catalog order: a tuple of :class:`ModelInfo` without
        ``host``, of :class:`ModelUsability` with one.

        :raises Error: an input error; a host that cannot be judged.
        """
    def expand(self, model: str) -> Expansion:
        """A named model's full definition.

        :raises UnknownNameError: a model the catalog does not know.
        """
    def decode(
        self,
        dump: Union[Text, os.PathLike],
        *,
        kind: Literal["host", "guest"] = "host",
        name: str = "<dump>",
    ) -> Cpu:
        """Decodes a dump (``<cpudata>`` XML, ``cpuid -r`` text, a POWER
        ``/proc/cpuinfo``) as a host or guest CPU.

        :raises ParseError: not a dump.
        :raises Error: data of another architecture, data no model can express.
        """
    def features(self, cpu: Cpu) -> list[str]:
        """The names of the features a CPU denotes (x86: catalog order; s390x: QEMU's;
        POWER: none).

        :raises ArgumentError: a CPU read by an engine of another catalog.
        """

@final
class Cpu:
    """A CPU definition an engine has checked. Immutable."""

    @property
    def arch(self) -> str:
        """The architecture."""
    @property
    def model(self) -> Optional[str]:
        """The model it names, if any."""
    @property
    def is_host(self) -> bool:
        """Whether it is a host CPU (a definition with ``<arch>``, or a decoded host)."""
    @property
    def input(self) -> Optional[str]:
        """The input it was read from, as named in messages."""
    @property
    def line(self) -> Optional[int]:
        """The line of its ``<cpu>`` in that input (None when not from XML)."""
    @property
    def column(self) -> Optional[int]:
        """The column of its ``<cpu>`` in that line."""
    def to_xml(self) -> str:
        """libvirt's XML, as ``virsh`` prints it."""
    def to_json(self) -> str:
        """JSON text, as ``cpucompat baseline|decode ... --format json`` prints it."""
    def to_dict(self) -> dict[str, Any]:
        """``json.loads(self.to_json())``."""

@final
class Reason:
    """One reason a guest does not run. Immutable, hashable."""

    @property
    def rule(self) -> str:
        """The rule that failed: ``libvirt-missing``, ``qemu-compat``, ..."""
    @property
    def message(self) -> str:
        """What failed, one line (libvirt's or QEMU's wording where they have one)."""
    @property
    def line(self) -> Optional[int]:
        """The line in the guest definition where the cause is written, if known."""
    @property
    def column(self) -> Optional[int]:
        """The column in that line, if known."""

@final
class Comparison:
    """The answer to "can this guest run on this host?". Immutable, hashable."""

    @property
    def verdict(self) -> Verdict:
        """``"identical"``, ``"superset"`` or ``"incompatible"``."""
    @property
    def runs(self) -> bool:
        """Whether the guest runs on the host (identical or superset)."""
    @property
    def reasons(self) -> Tuple[Reason, ...]:
        """Why the guest does not run, in the order the rules ran; empty when it runs."""
    @property
    def missing(self) -> Tuple[str, ...]:
        """Features the guest requires that the host lacks."""
    @property
    def forbidden(self) -> Tuple[str, ...]:
        """Features the guest forbids that the host has."""
    @property
    def extra(self) -> Tuple[str, ...]:
        """Host features the guest neither requires nor mentions."""
    def to_json(self) -> str:
        """JSON text, as ``cpucompat compare --format json`` prints it."""
    def to_dict(self) -> dict[str, Any]:
        """``json.loads(self.to_json())``."""

@final
class ModelInfo:
    """A catalog model. Immutable, hashable."""

    @property
    def name(self) -> str:
        """The model name."""
    @property
    def vendor(self) -> Optional[str]:
        """The model's vendor, if the catalog gives one."""
    @property
    def canonical(self) -> Optional[str]:
        """The model this name is an alias of (``Skylake-Client`` → ``Skylake-Client-v1``)."""

@final
class ModelUsability:
    """A catalog model as seen from one host. Immutable, hashable."""

    @property
    def name(self) -> str:
        """The model name."""
    @property
    def vendor(self) -> Optional[str]:
        """The model's vendor, if the catalog gives one."""
    @property
    def canonical(self) -> Optional[str]:
        """The model this name is an alias of."""
    @property
    def usable(self) -> bool:
        """Whether a guest of this model runs on the host."""
    @property
    def blockers(self) -> Tuple[str, ...]:
        """What stops it: the model's features the host lacks, or the rule that fails."""

@final
class Expansion:
    """A named model's full definition. Immutable."""

    @property
    def model(self) -> str:
        """The model name."""
    @property
    def vendor(self) -> Optional[str]:
        """The model's vendor, if the catalog gives one."""
    @property
    def canonical(self) -> Optional[str]:
        """The model this name is an alias of."""
    @property
    def features(self) -> Tuple[str, ...]:
        """Every feature the model enables."""
    @property
    def details(self) -> dict[str, Any]:
        """What the architecture knows besides the features (``{"arch": "x86_64"}``, POWER's
        PVRs and compat modes, s390x's QEMU definition)."""
    def to_json(self) -> str:
        """JSON text, as ``cpucompat expand MODEL --format json`` prints it."""
    def to_dict(self) -> dict[str, Any]:
        """``json.loads(self.to_json())``."""
