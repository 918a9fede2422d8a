"""Ordering framework layers: dependency order, cycle detection, C3 linearisation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class CycleError(Exception):
    """The declared framework dependencies form a cycle (``path`` lists it)."""

    def __init__(self, path: Sequence[str]):
        super().__init__(" -> ".join(path))
        self.path = tuple(path)


class LinearisationError(Exception):
    """C3 linearisation found contradictory orders (``remaining`` lists them)."""

    def __init__(self, remaining: Sequence[Sequence[str]]):
        super().__init__(str([list(seq) for seq in remaining]))
        self.remaining = tuple(tuple(seq) for seq in remaining)


def dependency_order(deps: Mapping[str, Sequence[str]]) -> list[str]:
    """Names sorted so each comes after everything it depends on.

    Ties keep the mapping's own order, so a spec written in dependency order keeps it.
    Names in ``deps`` values that are not keys of ``deps`` are ignored.
    """
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = placed
    for root in deps:
        if state.get(root) == 2:
            continue
        path: list[str] = [root]
        stack = [iter(deps[root])]
        state[root] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                done = path.pop()
                state[done] = 2
                order.append(done)
                continue
            if child not in deps or state.get(child) == 2:
                continue
            if state.get(child) == 1:
                raise CycleError([*path[path.index(child) :], child])
            state[child] = 1
            path.append(child)
            stack.append(iter(deps[child]))
    return order


def c3_merge(sequences: Sequence[Sequence[str]]) -> list[str]:
    """Merge sequences with C3 (as used for Python's MRO)."""
    pending = [list(seq) for seq in sequences if seq]
    result: list[str] = []
    while pending:
        for seq in pending:
            head = seq[0]
            if not any(head in other[1:] for other in pending):
                break
        else:
            raise LinearisationError(pending)
        result.append(head)
        for seq in pending:
            if seq and seq[0] == head:
                del seq[0]
        pending = [seq for seq in pending if seq]
    return result


def linearise(
    declared: Sequence[str], linearised: Mapping[str, Sequence[str]]
) -> list[str]:
    """Linearise the lower frameworks of a layer declaring ``declared``.

    ``linearised`` maps each framework to its own already-linearised lower frameworks.
    The layer itself is not part of the result.
    """
    sequences = [[name, *linearised[name]] for name in declared]
    return c3_merge([*sequences, list(declared)])
