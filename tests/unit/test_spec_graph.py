"""venvstacks.spec.graph: dependency order, cycle detection and C3 linearisation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from venvstacks.spec.graph import (
    CycleError,
    LinearisationError,
    c3_merge,
    dependency_order,
    linearise,
)

# -- dependency_order ------------------------------------------------------------------


def test_dependency_order_keeps_input_order_when_already_sorted() -> None:
    deps = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
    assert dependency_order(deps) == ["a", "b", "c", "d"]


def test_dependency_order_ties_keep_input_order() -> None:
    # No dependencies at all: the mapping's order is the result.
    assert dependency_order(dict.fromkeys("zyxw", ())) == ["z", "y", "x", "w"]
    # Independent roots stay in input order; dependencies are pulled in just before
    # their first dependent.
    deps = {"app": ["lib2", "lib1"], "lib1": [], "other": [], "lib2": []}
    assert dependency_order(deps) == ["lib2", "lib1", "app", "other"]


def test_dependency_order_puts_dependencies_first() -> None:
    deps = {"top": ["mid"], "mid": ["base"], "base": []}
    order = dependency_order(deps)
    assert order == ["base", "mid", "top"]


def test_dependency_order_ignores_unknown_names() -> None:
    assert dependency_order({"a": ["missing"], "b": ["a"]}) == ["a", "b"]


def test_dependency_order_every_name_after_its_dependencies() -> None:
    deps = {
        "k": ["d", "a"],
        "z": ["k", "a"],
        "a": ["o"],
        "d": ["o"],
        "o": [],
    }
    order = dependency_order(deps)
    assert sorted(order) == sorted(deps)
    for name, needs in deps.items():
        for dep in needs:
            assert order.index(dep) < order.index(name)


@pytest.mark.parametrize(
    ("deps", "path"),
    [
        ({"a": ["a"]}, ("a", "a")),
        ({"a": ["b"], "b": ["a"]}, ("a", "b", "a")),
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, ("a", "b", "c", "a")),
        # The cycle is reported without the acyclic path that led to it.
        ({"top": ["x"], "x": ["y"], "y": ["z"], "z": ["x"]}, ("x", "y", "z", "x")),
        ({"ok": [], "b": ["c"], "c": ["b"]}, ("b", "c", "b")),
    ],
)
def test_cycles_are_reported_with_their_path(
    deps: Mapping[str, Sequence[str]], path: tuple[str, ...]
) -> None:
    with pytest.raises(CycleError) as info:
        dependency_order(deps)
    assert info.value.path == path
    assert str(info.value) == " -> ".join(path)


def test_shared_dependency_is_not_a_cycle() -> None:
    deps = {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}
    assert dependency_order(deps) == ["d", "b", "c", "a"]


def test_deep_chain_does_not_recurse() -> None:
    deps = {f"n{i}": [f"n{i + 1}"] for i in range(5000)}
    deps["n5000"] = []
    order = dependency_order(deps)
    assert order[0] == "n5000"
    assert order[-1] == "n0"


# -- C3 --------------------------------------------------------------------------------


def mro(bases: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The linearisation (without the class itself) of every class in ``bases``."""
    linearised: dict[str, list[str]] = {}
    for name in dependency_order(bases):
        linearised[name] = linearise(bases[name], linearised)
    return linearised


def python_mro(bases: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """Python's own MRO for the same hierarchy, as names, without ``name`` itself."""
    classes: dict[str, type] = {}
    for cls_name in dependency_order(bases):
        parents = tuple(classes[b] for b in bases[cls_name]) or (object,)
        classes[cls_name] = type(cls_name, parents, {})
    return [c.__name__ for c in classes[name].__mro__[1:-1]]


# "The Python 2.3 Method Resolution Order", the K1/K2/K3/Z example.
MRO_EXAMPLE = {
    "O": [],
    "A": ["O"],
    "B": ["O"],
    "C": ["O"],
    "D": ["O"],
    "E": ["O"],
    "K1": ["A", "B", "C"],
    "K2": ["D", "B", "E"],
    "K3": ["D", "A"],
    "Z": ["K1", "K2", "K3"],
}


def test_c3_mro_document_example() -> None:
    linearised = mro(MRO_EXAMPLE)
    assert linearised["K1"] == ["A", "B", "C", "O"]
    assert linearised["K2"] == ["D", "B", "E", "O"]
    assert linearised["K3"] == ["D", "A", "O"]
    assert linearised["Z"] == ["K1", "K2", "K3", "D", "A", "B", "C", "E", "O"]


def test_c3_matches_python_mro() -> None:
    linearised = mro(MRO_EXAMPLE)
    # O is the root "framework" here; Python adds only `object` above it.
    for name in MRO_EXAMPLE:
        assert linearised[name] == python_mro(MRO_EXAMPLE, name)


def test_c3_second_document_example() -> None:
    # O; F(O); E(O); D(O); C(D, F); B(D, E); A(B, C)  ->  A B C D E F O
    bases = {
        "O": [],
        "F": ["O"],
        "E": ["O"],
        "D": ["O"],
        "C": ["D", "F"],
        "B": ["D", "E"],
        "A": ["B", "C"],
    }
    assert mro(bases)["A"] == ["B", "C", "D", "E", "F", "O"]
    # Swapping B's bases changes the order: B(E, D)  ->  A B E C D F O
    bases["B"] = ["E", "D"]
    assert mro(bases)["A"] == ["B", "E", "C", "D", "F", "O"]


def test_c3_diamond_differs_from_depth_first() -> None:
    bases = {"base": [], "left": ["base"], "right": ["base"], "app": ["left", "right"]}
    # A naive depth-first walk would give left, base, right.
    assert mro(bases)["app"] == ["left", "right", "base"]


def test_c3_conflict_is_reported() -> None:
    # The document's failing example: X(O), Y(O), A(X, Y), B(Y, X), Z(A, B).
    bases = {"O": [], "X": ["O"], "Y": ["O"], "A": ["X", "Y"], "B": ["Y", "X"]}
    linearised = mro(bases)
    with pytest.raises(LinearisationError) as info:
        linearise(["A", "B"], linearised)
    remaining = info.value.remaining
    assert ("X", "Y", "O") in remaining
    assert ("Y", "X", "O") in remaining
    with pytest.raises(TypeError, match="MRO"):  # and so does Python
        python_mro({**bases, "Z": ["A", "B"]}, "Z")


def test_c3_merge_basics() -> None:
    assert c3_merge([]) == []
    assert c3_merge([[], []]) == []
    assert c3_merge([["a", "b"], ["a", "c"], ["a"]]) == ["a", "b", "c"]
    with pytest.raises(LinearisationError):
        c3_merge([["a", "b"], ["b", "a"]])


def test_linearise_declared_order_is_kept() -> None:
    assert linearise(["x", "y", "z"], {"x": [], "y": [], "z": []}) == ["x", "y", "z"]
    assert linearise(["only"], {"only": ["below"]}) == ["only", "below"]
