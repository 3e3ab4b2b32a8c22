"""libvirt 11.3's x86 compare and baseline corpus (``specs/cases/x86/{compare,baseline}``)
through Python: each answer equals the case's expectation and the command line's
(``cpucompat ... --format json``), errors included, word for word."""

from __future__ import annotations

from pathlib import Path

import pytest

import cpucompat
import ron
from conftest import ROOT, X86

COMPARE = sorted((X86 / "compare").glob("*.ron"))
BASELINE = sorted((X86 / "baseline").glob("*.ron"))


def load_case(path: Path) -> ron.Struct:
    case = ron.loads(path.read_text())
    assert case.name == "X86Case", path
    return case


def engine_for(case: ron.Struct) -> cpucompat.Engine:
    catalog = case.get("catalog", "default")
    return cpucompat.Engine("x86_64", cpu_map=None if catalog == "default" else catalog)


def cli_catalog(case: ron.Struct) -> list[str]:
    """The command line's options for the engine of `engine_for` (the architecture named,
    as the engine's is, rather than detected from the inputs)."""
    catalog = case.get("catalog", "default")
    return ["--arch", "x86_64"] + ([] if catalog == "default" else ["--cpu-map", catalog])


def rel(p: str) -> str:
    """A case's input, relative to the repository root (as the CLI is run there)."""
    return str((X86 / p).relative_to(ROOT))


def test_the_corpus_is_there():
    assert len(COMPARE) >= 35 and len(BASELINE) >= 9


@pytest.mark.parametrize("path", COMPARE, ids=lambda p: p.stem)
def test_compare_case(path: Path, cli, in_root):
    case = load_case(path)
    op, expect = case["op"], case["expect"]
    assert op.name == "Compare"
    host, guest = rel(op["host"]), rel(op["guest"])
    engine = engine_for(case)
    status, stdout, stderr = cli("compare", host, guest, *cli_catalog(case), "--format", "json")
    if expect.name == "Error":
        with pytest.raises(cpucompat.Error) as info:
            engine.compare(engine.load(host), engine.load(guest))
        err = info.value
        if expect.values[0] is not None:
            assert err.message == expect.values[0]
        assert status == 2
        assert stderr == f"cpucompat: error: {err}\n"
        assert err.file == guest and err.line is not None
        return
    assert expect.name == "Relation"
    cmp = engine.compare(engine.load(host), engine.load(guest))
    assert cmp.verdict == expect.values[0].name.lower()
    assert cmp.runs == (cmp.verdict != "incompatible")
    assert (status, stderr) == (0 if cmp.runs else 1, "")
    assert cmp.to_json() == stdout
    # The objects say what the JSON says.
    d = cmp.to_dict()
    assert d["result"] == cmp.verdict
    assert list(cmp.missing) == d["missing"] and list(cmp.forbidden) == d["forbidden"]
    assert list(cmp.extra) == d["extra"]
    assert [(r.rule, r.message) for r in cmp.reasons] == [(r["rule"], r["message"]) for r in d["reasons"]]
    assert [(r.line, r.column) for r in cmp.reasons] == [
        (r["position"]["line"], r["position"]["column"]) if r["position"] else (None, None) for r in d["reasons"]
    ]
    # Texts and files give the same answer as loaded CPUs.
    assert engine.compare(Path(host), (ROOT / guest).read_text()) == cmp


@pytest.mark.parametrize("path", BASELINE, ids=lambda p: p.stem)
def test_baseline_case(path: Path, cli, in_root):
    case = load_case(path)
    op, expect = case["op"], case["expect"]
    assert op.name == "Baseline"
    inputs = [rel(p) for p in op["inputs"]]
    flags = (["--features"] if op["features"] else []) + (["--migratable"] if op["migratable"] else [])
    engine = engine_for(case)
    cpus = [cpu for p in inputs for cpu in engine.load_all(p)]
    status, stdout, stderr = cli("baseline", *inputs, *cli_catalog(case), *flags, "--format", "json")
    if expect.name == "Error":
        with pytest.raises(cpucompat.NoAnswerError) as info:
            engine.baseline(cpus, features=op["features"], migratable=op["migratable"])
        err = info.value
        if expect.values[0] is not None:
            assert err.message == expect.values[0]
        assert err.kind == "no-answer"
        assert (status, stdout) == (2, "")
        assert stderr == f"cpucompat: error: {err}\n"
        return
    assert expect.name == "Xml"
    result = engine.baseline(cpus, features=op["features"], migratable=op["migratable"])
    assert result.to_xml() == expect.values[0]
    assert (status, stderr) == (0, "")
    assert result.to_json() == stdout
    _, xml, _ = cli("baseline", *inputs, *cli_catalog(case), *flags)
    assert result.to_xml() == xml
    # Files give the same answer as their CPUs; every input runs the result.
    assert engine.baseline([Path(p) for p in inputs], features=op["features"], migratable=op["migratable"]).to_xml() == xml
    for cpu in cpus:
        assert engine.compare(cpu, result).runs, cpu
