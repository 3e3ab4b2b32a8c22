"""cpucompat: can this virtual machine start on, or live-migrate to, this host, and what
CPU can a whole pool of hosts offer — for x86, POWER and s390x, decided the way libvirt and
QEMU decide, without a libvirt daemon or a QEMU process.

>>> import cpucompat
>>> engine = cpucompat.Engine("x86_64")
>>> host = engine.parse("<cpu><arch>x86_64</arch><model>Skylake-Client</model></cpu>")
>>> guest = engine.parse("<cpu><model>Haswell</model><feature name='avx512f'/></cpu>")
>>> cmp = engine.compare(host, guest)
>>> cmp.verdict, cmp.missing
('incompatible', ('avx512f',))
>>> engine.baseline([host, guest]).model
'Haswell'

Every result's ``to_json()`` is the text the ``cpucompat`` command line prints with
``--format json``. Every error is a subclass of :class:`cpucompat.Error` carrying ``kind``,
``message``, ``file``, ``line`` and ``column``.
"""

from ._cpucompat import (
    ArgumentError,
    CatalogError,
    Comparison,
    Cpu,
    Engine,
    Error,
    Expansion,
    InvalidCpuError,
    IoError,
    ModelInfo,
    ModelUsability,
    NoAnswerError,
    ParseError,
    Reason,
    UnknownNameError,
    UnsupportedError,
    __version__,
)

__all__ = [
    "ArgumentError",
    "CatalogError",
    "Comparison",
    "Cpu",
    "Engine",
    "Error",
    "Expansion",
    "InvalidCpuError",
    "IoError",
    "ModelInfo",
    "ModelUsability",
    "NoAnswerError",
    "ParseError",
    "Reason",
    "UnknownNameError",
    "UnsupportedError",
    "__version__",
]
