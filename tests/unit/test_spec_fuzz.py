"""Property tests: no input makes the spec loader fail other than with a SpecError.

Generated documents are biased towards the real key names and towards values that are
nearly right, so that most examples get past the TOML and type checks and reach the
graph, platform, index and module checks. Whatever loads must satisfy the model's
invariants; whatever fails must fail as a one-line SpecError.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from venvstacks.errors import SpecError
from venvstacks.spec import LayeredSpec, StackSpec, load_stack_spec, load_stack_spec_text
from venvstacks.spec.layerfields import APPLICATION_KEYS, RUNTIME_KEYS

EXAMPLES = 500
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

GOOD_SPECS = Path(__file__).parents[1] / "data" / "good_specs"

#: Every key a layer table may hold, from the loader itself.
LAYER_KEYS = sorted({*RUNTIME_KEYS, *APPLICATION_KEYS})
OTHER_KEYS = [
    "runtimes",
    "applications",
    "tool",
    "uv",
    "index",
    "sources",
    "exclude-newer",
    "url",
    "explicit",
    "default",
    "requirement",
    "lanch_module",
]
KEYS = st.one_of(
    st.sampled_from([*LAYER_KEYS, *OTHER_KEYS]),
    st.sampled_from(["rt", "fw", "torch", "Torch", "internal", "zope.interface", ""]),
    st.text(max_size=8),
)

# Values that are right (or nearly right) for some key.
LAYER_NAMES = ["rt", "rt2", "a", "b", "c", "app", "app-x", "framework-y", "bad name", ""]
PLATFORMS = ["linux_x86_64", "linux_aarch64", "macosx_arm64", "win_amd64", "linux"]
INDEXES = ["internal", "pytorch", "pytorh", "", "bad name"]
MODULES = [
    "hello.py",
    "pkg",
    "lib.py",
    "support",
    "missing.py",
    "my-app.py",
    "/abs.py",
    ".",
]
IMPLEMENTATIONS = [
    "cpython@3.11",
    "cpython@3.12.7",
    "CPython@3.13",
    "pypy@3.10",
    "cpython3.11",
    "cpython@2.7",
    "cpython@3.x",
    "cpython@3.011",
    "@",
]
REQUIREMENTS = ["numpy", "scipy>=1.11", "torch; sys_platform == 'linux'", "a @ ", ">=1"]
TIMESTAMPS = [
    "2024-01-01",
    "2024-01-01T00:00:00Z",
    "2024-01-01T12:00:00+05:30",
    "soon",
    # the ends of the representable range, pushed past them by the offset
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
]
NEARLY_RIGHT = st.sampled_from(
    [
        *LAYER_NAMES,
        *PLATFORMS,
        *INDEXES,
        *MODULES,
        *IMPLEMENTATIONS,
        *REQUIREMENTS,
        *TIMESTAMPS,
        "glibc",
        "glibc@2.28",
        "musl",
        "11.0",
        "14",
        "https://pypi.example.com/simple",
    ]
)

TIMEZONES = st.sampled_from(
    [
        None,
        dt.UTC,
        dt.timezone(dt.timedelta(hours=2)),
        dt.timezone(dt.timedelta(hours=-9, minutes=-30)),
        dt.timezone(dt.timedelta(hours=23, minutes=59)),
    ]
)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
SCALARS = st.one_of(
    NEARLY_RIGHT,
    TEXT,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    st.datetimes(timezones=TIMEZONES),
    st.dates(),
    st.times(),
)
TOML_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4),
    ),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(KEYS, TOML_VALUES, max_size=5)


# Nearly valid documents. All strategies are built once, here: building strategies
# inside a composite on every draw is what makes generation slow.

#: Cheap wrong values (no deep nesting).
WRONG = st.one_of(SCALARS, st.lists(SCALARS, max_size=2))
DICE = st.integers(0, 1000)


def _rare(draw: st.DrawFn, odds: int) -> bool:
    """True about once in ``odds`` draws.

    Hypothesis favours the ends of an integer range (and ``one_of`` weighs its branches
    evenly), so the rare case is chosen by values from the middle of a wide range.
    """
    return draw(DICE) % odds == odds // 2


def _value(draw: st.DrawFn, usual: st.SearchStrategy[Any], odds: int = 25) -> Any:
    """Nearly always a draw from ``usual``; now and then a value of a wrong type."""
    return draw(WRONG) if _rare(draw, odds) else draw(usual)


def _pick(draw: st.DrawFn, good: list[Any], bad: list[Any], odds: int = 20) -> Any:
    """One of ``good`` most of the time, one of ``bad`` now and then."""
    return draw(st.sampled_from(bad)) if _rare(draw, odds) else draw(st.sampled_from(good))


@st.composite
def _picks(draw: st.DrawFn, good: list[Any], bad: list[Any]) -> Any:
    return _pick(draw, good, bad)


KIND_NAMES = {
    "runtime": ["rt", "rt2"],
    "framework": ["a", "b", "c", "d"],
    "application": ["x", "y"],
}
BAD_NAMES = ["app-x", "framework-y", "bad name", "", "a/b", "rt\n"]
GOOD_INDEXES = ["internal", "pytorch"]
PACKAGES = st.sampled_from(["torch", "Torch", "numpy"])
INDEX_NAMES = _picks(GOOD_INDEXES, INDEXES)
REQUIREMENT_LISTS = st.lists(_picks(REQUIREMENTS[:3], REQUIREMENTS[3:]), max_size=2)
RUNTIME_REFS = _picks(KIND_NAMES["runtime"], ["a", "rt3", ""])
FRAMEWORK_REFS = st.lists(
    _picks(KIND_NAMES["framework"], ["rt", "e", "x"]), min_size=1, max_size=3, unique=True
)
IMPLEMENTATION_VALUES = _picks(IMPLEMENTATIONS[:3], IMPLEMENTATIONS[3:])
LAUNCH_MODULES = _picks(["hello.py", "pkg"], MODULES)
SUPPORT_MODULES = st.lists(_picks(["lib.py", "support"], MODULES), max_size=2)
OPTIONAL_LAYER_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "platforms": st.lists(_picks(PLATFORMS[:4], PLATFORMS[4:]), max_size=3),
    "versioned": st.booleans(),
    "linux_target": _picks(["glibc", "glibc@2.28"], ["musl", "glibc@2"]),
    "macosx_target": _picks(["11.0", "14"], ["sonoma", "14\n"]),
    "package_indexes": st.dictionaries(PACKAGES, INDEX_NAMES, max_size=2),
    "priority_indexes": st.lists(INDEX_NAMES, max_size=2),
    "index_overrides": st.dictionaries(INDEX_NAMES, INDEX_NAMES, max_size=2),
    "dynlib_exclude": st.lists(st.sampled_from(["libcuda*", "*.so"]), max_size=2),
    "build_requirements": st.lists(st.sampled_from(REQUIREMENTS), max_size=1),
}
OPTIONAL_LAYER_KEYS = st.lists(
    st.sampled_from(sorted(OPTIONAL_LAYER_VALUES)), max_size=3, unique=True
)


@st.composite
def layer_tables(draw: st.DrawFn, kind: str, name: str) -> dict[str, Any]:
    """A layer table that is nearly valid, with references into a small name pool."""
    table: dict[str, Any] = {
        "name": _pick(draw, [name], BAD_NAMES),
        "requirements": _value(draw, REQUIREMENT_LISTS),
    }
    if kind == "runtime":
        table["python_implementation"] = _value(draw, IMPLEMENTATION_VALUES)
        if _rare(draw, 50):
            table["fully_versioned_name"] = draw(st.sampled_from(IMPLEMENTATIONS))
    elif draw(st.integers(0, 2)) == 0:
        table["runtime"] = _value(draw, RUNTIME_REFS)
    else:
        table["frameworks"] = _value(draw, FRAMEWORK_REFS)
        if _rare(draw, 30):
            table["runtime"] = draw(RUNTIME_REFS)
    if kind == "application":
        table["launch_module"] = _value(draw, LAUNCH_MODULES)
        if draw(st.booleans()):
            table["support_modules"] = _value(draw, SUPPORT_MODULES)
    for key in draw(OPTIONAL_LAYER_KEYS):
        table[key] = _value(draw, OPTIONAL_LAYER_VALUES[key])
    if _rare(draw, 30):
        table.setdefault(draw(KEYS), draw(WRONG))
    return table


LAYER_NAME_LISTS = {
    kind: st.lists(st.sampled_from(names), max_size=len(names), unique=True)
    for kind, names in KIND_NAMES.items()
}


@st.composite
def layer_lists(draw: st.DrawFn, kind: str) -> list[dict[str, Any]]:
    names = draw(LAYER_NAME_LISTS[kind])
    if names and _rare(draw, 50):
        names.append(names[0])  # a duplicate name, now and then
    return [draw(layer_tables(kind, name)) for name in names]


INDEX_TABLES = [{"name": n, "url": f"https://{n}.example.com/"} for n in GOOD_INDEXES]
RANDOM_INDEX_TABLES = st.lists(
    st.fixed_dictionaries(
        {"name": INDEX_NAMES, "url": st.just("https://pypi.example.com/simple")},
        optional={"explicit": st.booleans(), "default": st.booleans(), "x": WRONG},
    ),
    max_size=3,
)
SOURCES = st.dictionaries(
    PACKAGES, st.fixed_dictionaries({"index": INDEX_NAMES}) | WRONG, max_size=2
)
EXCLUDE_NEWER = st.one_of(
    st.sampled_from(TIMESTAMPS),
    st.sampled_from([t for t in TIMESTAMPS if t[0].isdigit()]).map(
        dt.datetime.fromisoformat
    ),
    st.datetimes(timezones=TIMEZONES),
)


@st.composite
def uv_tables(draw: st.DrawFn) -> dict[str, Any]:
    """A ``[tool.uv]`` table (or a ``venvstacks.uv.toml``) defining the good indexes."""
    uv: dict[str, Any] = {
        "index": draw(RANDOM_INDEX_TABLES) if _rare(draw, 5) else INDEX_TABLES
    }
    if draw(st.booleans()):
        uv["sources"] = _value(draw, SOURCES)
    if draw(st.booleans()):
        uv["exclude-newer"] = _value(draw, EXCLUDE_NEWER)
    if _rare(draw, 20):
        uv[draw(KEYS)] = draw(WRONG)
    return uv


@st.composite
def nearly_valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    runtimes = draw(layer_lists("runtime"))
    if not runtimes and not _rare(draw, 10):
        runtimes = [draw(layer_tables("runtime", "rt"))]
    document: dict[str, Any] = {
        "runtimes": runtimes,
        "frameworks": draw(layer_lists("framework")),
        "applications": draw(layer_lists("application")),
    }
    if _rare(draw, 40):
        document["runtimes"] = draw(WRONG)
    if draw(st.integers(0, 3)):
        document["tool"] = {"uv": _value(draw, uv_tables())}
    return document


UV_TABLES = uv_tables()


# -- checks ----------------------------------------------------------------------------


def check_error(error: SpecError) -> None:
    assert type(error) is SpecError
    paragraph = error.paragraph()
    assert paragraph.startswith("spec error")
    assert len(paragraph.splitlines()) == 1, paragraph
    for part in (error.layer, error.field):
        assert part is None or (isinstance(part, str) and len(part.splitlines()) == 1)


def check_model(spec: StackSpec) -> None:
    """Invariants every loaded stack satisfies."""
    assert isinstance(spec, StackSpec)
    names = [layer.env_name for layer in spec.layers()]
    assert len(names) == len(set(names))
    assert spec.runtimes
    for layer in spec.layers():
        assert spec.layer(layer.env_name) is layer
        assert len(layer.env_name.splitlines()) == 1
        lower = spec.lower_layers(layer)
        for below in lower:
            assert set(layer.platforms) <= set(below.platforms)
        if not isinstance(layer, LayeredSpec):
            continue
        linear = layer.linearised_frameworks
        assert set(layer.frameworks) <= set(linear)
        assert len(linear) == len(set(linear))
        assert spec.runtime_of(layer).env_name == layer.runtime
        for position, name in enumerate(linear):
            below_fw = spec.frameworks[name]
            assert below_fw.runtime == layer.runtime
            # C3 is monotonic: each framework's own order is kept, after itself.
            indexes = [linear.index(x) for x in below_fw.linearised_frameworks]
            assert indexes == sorted(indexes)
            assert all(i > position for i in indexes)


def load_checked_text(text: str, spec_path: Path) -> None:
    try:
        spec = load_stack_spec_text(text, spec_path)
    except SpecError as error:
        check_error(error)
    else:
        check_model(spec)


def load_checked_file(spec_path: Path) -> None:
    try:
        spec = load_stack_spec(spec_path)
    except SpecError as error:
        check_error(error)
        event("spec error")
    else:
        check_model(spec)
        event("loaded")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with the module files the generated specs refer to."""
    folder = tmp_path_factory.mktemp("fuzz")
    files = {
        "hello.py": "",
        "lib.py": "",
        "my-app.py": "",
        "pkg/__main__.py": "",
        "pkg/__init__.py": "",
        "support/__init__.py": "",
    }
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    yield folder


def write_document(folder: Path, document: dict[str, Any], uv: Any = None) -> Path:
    spec_path = folder / "venvstacks.toml"
    spec_path.write_text(tomli_w.dumps(document), encoding="utf-8")
    side_file = folder / "venvstacks.uv.toml"
    if uv is None:
        side_file.unlink(missing_ok=True)
    else:
        side_file.write_text(tomli_w.dumps(uv), encoding="utf-8")
    return spec_path


# -- properties ------------------------------------------------------------------------


@FUZZ
@given(document=DOCUMENTS, uv=st.none() | st.dictionaries(KEYS, TOML_VALUES, max_size=3))
def test_random_documents(project: Path, document: dict[str, Any], uv: Any) -> None:
    load_checked_file(write_document(project, document, uv))


@FUZZ
@given(document=nearly_valid_documents(), uv=st.none() | UV_TABLES)
def test_nearly_valid_documents(project: Path, document: dict[str, Any], uv: Any) -> None:
    load_checked_file(write_document(project, document, uv))


TOKENS = st.sampled_from(
    [
        "[[runtimes]]\n",
        "[[frameworks]]\n",
        "[[applications]]\n",
        "[tool.uv]\n",
        "[[tool.uv.index]]\n",
        "[tool.uv.sources]\n",
        'name = "rt"\n',
        'name = "a"\n',
        'python_implementation = "cpython@3.12"\n',
        "requirements = []\n",
        'runtime = "rt"\n',
        'frameworks = ["a"]\n',
        'launch_module = "hello.py"\n',
        'platforms = ["linux_x86_64"]\n',
        'url = "https://x.example.com/"\n',
        "exclude-newer = 2024-01-01\n",
        "[",
        "]",
        "=",
        '"',
        "'''",
        "{",
        "}",
        ",",
        ".",
        "\n",
        " ",
        "#",
        "\\",
        "\r\n",
        "\x00",
        "\ufeff",
    ]
)


@FUZZ
@given(text=st.one_of(st.text(), st.lists(TOKENS, max_size=30).map("".join)))
def test_random_text(project: Path, text: str) -> None:
    load_checked_text(text, project / "venvstacks.toml")


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes(project: Path, data: bytes) -> None:
    spec_path = project / "venvstacks.toml"
    spec_path.write_bytes(data)
    (project / "venvstacks.uv.toml").unlink(missing_ok=True)
    load_checked_file(spec_path)


GOOD_TEXTS = sorted(
    (p.parent, p.read_text("utf-8")) for p in GOOD_SPECS.glob("*/venvstacks.toml")
)


@st.composite
def mutated_good_specs(draw: st.DrawFn) -> tuple[Path, str]:
    """A good spec with a few lines deleted, duplicated, swapped or garbled."""
    folder, text = draw(st.sampled_from(GOOD_TEXTS))
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "garble", "insert"]))
        if action == "delete":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, lines[at])
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif action == "garble":
            line = lines[at]
            cut = draw(st.integers(0, len(line)))
            noise = draw(st.text(string.printable, max_size=3))
            lines[at] = line[:cut] + noise + line[cut + 1 :]
        else:
            lines.insert(at, draw(TOKENS))
    return folder, "".join(lines)


@FUZZ
@given(case=mutated_good_specs())
def test_mutated_good_specs(case: tuple[Path, str]) -> None:
    folder, text = case
    load_checked_text(text, folder / "venvstacks.toml")


def test_good_spec_texts_are_found() -> None:
    assert len(GOOD_TEXTS) >= 4


# -- framework graphs against Python's own MRO -----------------------------------------


@st.composite
def framework_dags(draw: st.DrawFn) -> tuple[dict[str, list[str]], list[int]]:
    """Acyclic framework dependencies (each only on earlier ones) and a shuffled order."""
    count = draw(st.integers(1, 8))
    deps: dict[str, list[str]] = {}
    for index in range(count):
        earlier = [f"f{i}" for i in range(index)]
        chosen = (
            draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3))
            if earlier
            else []
        )
        deps[f"f{index}"] = chosen
    order = draw(st.permutations(range(count)))
    return deps, list(order)


def python_mro(deps: dict[str, list[str]]) -> dict[str, list[str]] | None:
    """Each framework's linearisation as Python computes MROs (None on a conflict)."""
    classes: dict[str, type] = {}
    try:
        for name, bases in deps.items():  # earlier frameworks first
            parents = tuple(classes[b] for b in bases) or (object,)
            classes[name] = type(name, parents, {})
    except TypeError:
        return None
    return {name: [c.__name__ for c in cls.__mro__[1:-1]] for name, cls in classes.items()}


@FUZZ
@given(dag=framework_dags())
def test_linearisation_matches_python_mro(
    dag: tuple[dict[str, list[str]], list[int]],
) -> None:
    deps, order = dag
    lines = ['[[runtimes]]\nname = "rt"\npython_implementation = "cpython@3.12"\n']
    lines.append("requirements = []\n")
    names = list(deps)
    for position in order:  # declared in any order: forward references are fine
        name = names[position]
        lines.append(f'\n[[frameworks]]\nname = "{name}"\nrequirements = []\n')
        if deps[name]:
            lines.append(f"frameworks = {deps[name]!r}\n".replace("'", '"'))
        else:
            lines.append('runtime = "rt"\n')
    text = "".join(lines)
    expected = python_mro(deps)
    try:
        spec = load_stack_spec_text(text, Path("venvstacks.toml"))
    except SpecError as error:
        check_error(error)
        assert expected is None, error.paragraph()
        assert "C3 linearisation failed" in error.message
        event("conflict")
        return
    event("linearised")
    assert expected is not None
    check_model(spec)
    for name, mro in expected.items():
        layer = spec.frameworks[f"framework-{name}"]
        assert [spec.frameworks[x].name for x in layer.linearised_frameworks] == mro
