"""The package's import graph has no cycle.

Every module is parsed with ``ast``; imports inside functions count (they
are deferred, not absent), imports under ``if TYPE_CHECKING:`` do not.  Two
levels are checked: modules (an edge per import, to the deepest module it
names), and the units right under ``credential_process`` (a subpackage such as
``cache`` is one unit), so that two packages cannot lean on each other
through different modules either.
"""

import ast
import pathlib

import credential_process

PACKAGE = "credential_process"
ROOT = pathlib.Path(credential_process.__file__).parent


def module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules():
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_names(tree, name, is_package):
    """Every module name an import statement of the tree refers to (absolute)."""
    found = []

    def visit(node):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.extend(f"{base}.{alias.name}" for alias in node.names)
            found.append(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def module_graph():
    modules = all_modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target in imported_names(tree, name, path.name == "__init__.py"):
            if not target.startswith(PACKAGE):
                continue
            # "from a.b import c": the module a.b.c when it is one, else a.b.
            while target not in modules:
                target = target.rpartition(".")[0]
            if target != name:
                targets.add(target)
        # "from a.b import c" adds both a.b.c and a.b: keep only the deepest.
        graph[name] = {target for target in targets
                       if not any(other.startswith(target + ".") for other in targets)}
    return graph


def unit_of(name):
    parts = name.split(".")
    return ".".join(parts[:2])


def unit_graph():
    graph = {}
    for name, targets in module_graph().items():
        edges = graph.setdefault(unit_of(name), set())
        edges.update(unit_of(target) for target in targets if unit_of(target) != unit_of(name))
    graph.pop(PACKAGE, None)  # the root holds only __version__ and imports nothing
    return graph


def find_cycle(graph):
    """One cycle as a list of names (first == last), or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_root_package_imports_nothing_of_ours():
    assert module_graph()[PACKAGE] == set()


def test_modules_import_each_other_without_a_cycle():
    cycle = find_cycle(module_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_packages_import_each_other_without_a_cycle():
    cycle = find_cycle(unit_graph())
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_imports_inside_functions_count_and_type_checking_ones_do_not():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from credential_process import cli\n"
        "def f():\n    from credential_process.cache import entry\n"
    )
    names = imported_names(tree, "credential_process.x", False)
    assert "credential_process.cache.entry" in names
    assert "credential_process.cli" not in names
