"""The apps form no import cycle: every import counts, those inside functions too.

The graph is built from the source (ast), so an import hidden in a function body cannot hide a
cycle. Migrations and management commands sit above every app and are left out.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = sorted(path.parent.name for path in ROOT.glob("*/apps.py"))


def _modules_imported(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
    return found


def import_graph() -> dict[str, dict[str, str]]:
    """{app: {imported app: the first file that imports it}}."""
    graph: dict[str, dict[str, str]] = {app: {} for app in APPS}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "management" in parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for module in _modules_imported(tree):
                top = module.split(".")[0]
                if top in graph and top != app:
                    graph[app].setdefault(top, str(path.relative_to(ROOT)))
    return graph


def find_cycle(graph: dict[str, dict[str, str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(app):
        state[app] = "open"
        stack.append(app)
        for other in sorted(graph.get(app, {})):
            if state.get(other) == "open":
                return [*stack[stack.index(other) :], other]
            if other not in state:
                cycle = visit(other)
                if cycle:
                    return cycle
        stack.pop()
        state[app] = "done"
        return None

    for app in sorted(graph):
        if app not in state:
            cycle = visit(app)
            if cycle:
                return cycle
    return None


def test_the_apps_form_no_import_cycle():
    graph = import_graph()
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"{a} -> {b} ({graph[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False)]
        raise AssertionError("import cycle: " + "; ".join(steps))


RECORD_APPS = {"incidents", "catalogue", "problems", "changes"}


def test_the_apps_that_serve_every_record_type_import_no_record_app():
    graph = import_graph()
    every_type = ("accounts", "servicedesk", "sla", "cmdb", "dashboards", "portal", "knowledge")
    for app in (*every_type, "checklists", "replies"):
        imported = set(graph[app]) & RECORD_APPS
        assert not imported, (app, graph[app])


def test_the_cycle_finder_names_a_cycle_hidden_in_a_function(tmp_path):
    source = "def later():\n    from incidents import services\n"
    assert _modules_imported(ast.parse(source)) == ["incidents"]
    graph = {"sla": {"incidents": "sla/actions.py"}, "incidents": {"sla": "incidents/x.py"}}
    assert find_cycle(graph) == ["incidents", "sla", "incidents"]
    assert find_cycle({"sla": {}, "incidents": {"sla": "incidents/x.py"}}) is None
