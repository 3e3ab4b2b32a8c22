"""The package's API: engines and their options, errors (typed, with file and position),
immutable result objects, texts, bytes and files, models, expand, decode, threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import cpucompat
from conftest import ROOT, X86

HOST = X86 / "data" / "x86_64-host.xml"
CPUID_R = X86 / "data" / "x86_64-cpuid-Xeon-Gold-6148.cpuid-r.txt"


@pytest.fixture(scope="module")
def x86() -> cpucompat.Engine:
    return cpucompat.Engine("x86_64", cpu_map="libvirt-11.3")


def test_engines_name_their_architecture_and_catalog():
    e = cpucompat.Engine("x86_64")
    assert e.arch == "x86_64"
    assert "12.8" in e.catalog
    assert repr(e) == f"Engine('x86_64', catalog={e.catalog!r})"
    assert cpucompat.Engine("x86_64", cpu_map="libvirt-11.3").catalog != e.catalog
    assert cpucompat.Engine("s390x", qemu="7.2").arch == "s390x"
    assert cpucompat.Engine("ppc64le").arch == "ppc64"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("arm",), {}, "unknown architecture 'arm': expected x86_64, ppc64 or s390x"),
        (("s390x",), {"qemu": "6.0"}, "unknown QEMU version '6.0': expected 7.2 or newest (10.2)"),
        (
            ("s390x",),
            {"cpu_map": "libvirt-11.3"},
            "s390x models come from QEMU's tables: a libvirt cpu_map does not apply",
        ),
    ],
)
def test_bad_engine_options_are_argument_errors(args, kwargs, message):
    with pytest.raises(cpucompat.ArgumentError) as info:
        cpucompat.Engine(*args, **kwargs)
    err = info.value
    assert str(err) == message == err.message
    assert (err.kind, err.file, err.line, err.column) == ("argument", None, None, None)


def test_a_missing_cpu_map_directory_names_it(tmp_path):
    with pytest.raises(cpucompat.Error) as info:
        cpucompat.Engine("x86_64", cpu_map=tmp_path / "nowhere")
    assert "nowhere" in str(info.value)


def test_errors_are_typed_and_carry_file_and_position(x86):
    with pytest.raises(cpucompat.UnknownNameError) as info:
        x86.parse("<cpu>\n  <model>Haswel</model>\n</cpu>", name="guest.xml")
    err = info.value
    assert isinstance(err, cpucompat.Error) and isinstance(err, Exception)
    assert str(err) == "guest.xml:2:3: unknown CPU model Haswel"
    assert (err.kind, err.message, err.file, err.line, err.column) == (
        "unknown-name",
        "unknown CPU model Haswel",
        "guest.xml",
        2,
        3,
    )
    with pytest.raises(cpucompat.ParseError) as info:
        x86.parse("<cpu>\n  <model>Haswell</cpu>")
    assert info.value.file == "<string>" and info.value.line == 2
    with pytest.raises(cpucompat.IoError) as info:
        x86.load("no/such/host.xml")
    assert str(info.value) == "no/such/host.xml: cannot read: no such file or directory"
    assert info.value.line is None


def test_bytes_that_are_not_utf8_are_a_parse_error_at_the_byte(x86):
    with pytest.raises(cpucompat.ParseError) as info:
        x86.parse(b"<cpu>\n  <model>Hasw\xe9ll</model></cpu>", name="latin1.xml")
    assert (info.value.file, info.value.line, info.value.column) == ("latin1.xml", 2, 14)


def test_wrong_argument_types_are_argument_errors(x86):
    with pytest.raises(cpucompat.ArgumentError, match="text must be str or bytes, not int"):
        x86.parse(42)
    with pytest.raises(cpucompat.ArgumentError, match="host must be a Cpu, str or bytes text, or an os.PathLike file, not NoneType"):
        x86.compare(None, "<cpu/>")
    with pytest.raises(cpucompat.ArgumentError, match="unknown CPU kind 'both'"):
        x86.decode(CPUID_R, kind="both")
    with pytest.raises(cpucompat.ArgumentError, match="baseline needs at least one CPU"):
        x86.baseline([])


def test_cpus_know_where_they_were_read(x86):
    cpus = x86.load_all(X86 / "data" / "x86_64-baseline-Westmere+Nehalem.xml")
    assert len(cpus) == 2
    assert cpus[1].input == str(X86 / "data" / "x86_64-baseline-Westmere+Nehalem.xml")
    assert cpus[0].line is not None and cpus[1].line > cpus[0].line
    host = x86.load(HOST)
    assert (host.arch, host.model, host.is_host) == ("x86_64", "Penryn", True)
    assert repr(host) == f"Cpu(arch='x86_64', model='Penryn', input={str(HOST)!r})"
    assert host.to_dict()["model"] == x86.parse(host.to_xml()).to_dict()["model"]
    assert "pbe" in x86.features(host)


def test_results_are_immutable(x86):
    host = x86.load(HOST)
    cmp = x86.compare(host, host)
    for obj, attr in [(cmp, "verdict"), (host, "model"), (x86, "arch")]:
        with pytest.raises(AttributeError):
            setattr(obj, attr, "x")
    assert isinstance(cmp.extra, tuple) and isinstance(cmp.reasons, tuple)
    assert cmp == x86.compare(host, host) and hash(cmp) == hash(x86.compare(host, host))


def test_an_incompatible_guest_is_an_answer_with_reasons(x86):
    host = x86.parse("<cpu><arch>x86_64</arch><model>Skylake-Client</model></cpu>")
    guest = x86.parse("<cpu>\n  <model>Haswell</model>\n  <feature name='avx512f'/>\n</cpu>")
    cmp = x86.compare(host, guest)
    assert (cmp.verdict, cmp.runs, cmp.missing) == ("incompatible", False, ("avx512f",))
    (reason,) = cmp.reasons
    assert (reason.rule, reason.line, reason.column) == ("libvirt-missing", 3, 3)
    assert str(reason) == "libvirt-missing: Host CPU does not provide required features: avx512f"
    assert repr(reason).startswith("Reason(rule='libvirt-missing', message='Host CPU does not")
    assert repr(cmp).startswith("Comparison(verdict='incompatible', reasons=(Reason(")
    assert x86.compare(host, x86.parse("<cpu><model>Haswell</model></cpu>")).verdict == "superset"


def test_texts_bytes_and_files_are_inputs(x86):
    text = HOST.read_text()
    by_cpu = x86.compare(x86.load(HOST), x86.load(HOST))
    assert x86.compare(text, text.encode()) == by_cpu
    assert x86.compare(HOST, text) == by_cpu
    assert x86.parse_all(text)[0].to_xml() == x86.load(HOST).to_xml()


def test_models_list_the_catalog_or_what_a_host_runs(x86, cli):
    models = x86.models()
    assert all(isinstance(m, cpucompat.ModelInfo) for m in models)
    hw = next(m for m in models if m.name == "Haswell")
    assert hw.vendor == "Intel"
    assert repr(hw).startswith("ModelInfo(name='Haswell', vendor='Intel'")
    usable = x86.models(HOST)
    assert all(isinstance(m, cpucompat.ModelUsability) for m in usable)
    penryn = next(m for m in usable if m.name == "Penryn")
    assert penryn.usable and penryn.blockers == ()
    haswell = next(m for m in usable if m.name == "Haswell")
    assert not haswell.usable and "avx2" in haswell.blockers
    # The same answers as the command line's JSON.
    _, out, _ = cli("models", str(HOST.relative_to(ROOT)), "--arch", "x86_64", "--cpu-map", "libvirt-11.3", "--format", "json")
    want = json.loads(out)
    assert [(m.name, m.vendor, m.canonical, m.usable, list(m.blockers)) for m in usable] == [
        (m["name"], m["vendor"], m["canonical"], m["usable"], m["blockers"]) for m in want
    ]


def test_expand_gives_a_models_features(x86, cli):
    e = x86.expand("Haswell")
    assert (e.model, e.vendor) == ("Haswell", "Intel")
    assert "avx2" in e.features and e.details == {"arch": "x86_64"}
    _, out, _ = cli("expand", "Haswell", "--arch", "x86_64", "--cpu-map", "libvirt-11.3", "--format", "json")
    assert e.to_json() == out
    with pytest.raises(cpucompat.UnknownNameError, match="Haswel"):
        x86.expand("Haswel")
    s = cpucompat.Engine("s390x").expand("z14")
    assert s.details["arch"] == "s390x" and s.details["definition"] == "z14"


def test_decode_reads_cpuid_dumps(x86, cli, in_root):
    rel = str(CPUID_R.relative_to(ROOT))
    for kind in ("host", "guest"):
        cpu = x86.decode(Path(rel), kind=kind)
        _, xml, _ = cli("decode", rel, "--as", kind, "--arch", "x86_64", "--cpu-map", "libvirt-11.3")
        assert cpu.to_xml() == xml
        assert cpu.is_host == (kind == "host")
    assert x86.decode(CPUID_R.read_text()).to_xml() == x86.decode(CPUID_R).to_xml()
    with pytest.raises(cpucompat.ParseError, match="expected a CPU dump"):
        x86.decode(HOST)


def test_baseline_across_architectures():
    s = cpucompat.Engine("s390x")
    z14, z15 = s.parse("<cpu><model>z14</model></cpu>"), s.parse("<cpu><model>gen15a</model></cpu>")
    assert s.baseline([z14, z15]).model == "z14-base"
    assert s.compare(z14, z15).reasons[0].rule == "qemu-generation"
    p = cpucompat.Engine("ppc64")
    p9, p10 = p.parse("<cpu><model>POWER9</model></cpu>"), p.parse("<cpu><model>POWER10</model></cpu>")
    assert p.compare(p10, p9).reasons[0].rule == "libvirt-model"
    with pytest.raises(cpucompat.Error):
        p.baseline([p9, p10])


def test_cpus_of_another_engine_are_refused(x86):
    other = cpucompat.Engine("s390x").parse("<cpu><model>z14</model></cpu>")
    with pytest.raises(cpucompat.ArgumentError, match="read by the s390x engine"):
        x86.compare(other, other)


def test_an_engine_serves_several_threads(x86):
    host = x86.load(HOST)
    want = x86.models(host)
    results: list = []

    def work():
        results.append(x86.models(host))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [want] * 4


def test_the_version_is_the_crates():
    assert cpucompat.__version__ == "0.1.0"


def test_the_readme_example_runs_as_its_comments_say(capsys):
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["incompatible False", "('avx512f',)", "libvirt-missing 3 3 Host CPU does not provide required features: avx512f"]
    assert "Haswell" in out and "True" in out
    assert "bad.xml:2:3: unknown CPU model Haswel" in out
    assert "unknown-name bad.xml 2 3 unknown CPU model Haswel" in out


@pytest.mark.parametrize("guest", ["guest-z13.xml", "host-passthrough.xml"])
def test_s390x_guests_are_read_as_kvm_on_the_host_reads_them(guest, cli, in_root):
    data = Path("specs/cases/s390x/data")
    host, g = str(data / "host-z14.xml"), str(data / guest)
    _, want, _ = cli("compare", host, g, "--arch", "s390x", "--format", "json")
    s = cpucompat.Engine("s390x")
    assert s.compare(Path(host), Path(g)).to_json() == want
    if guest == "host-passthrough.xml":
        # Without a host, s390x has no CPU to read a passthrough guest as: give it as text.
        with pytest.raises(cpucompat.UnknownNameError, match="'host' is unknown"):
            s.load(g)
    else:
        # A guest already read gives the same answer: it is re-checked for the host.
        assert s.compare(s.load(host), s.load(g)).to_json() == want
