"""Imports in `hub/` flow one way: down the domain table of docs/architecture.md.

The table is the rule: a module may import its own package, the kernel and the domains
of lower layers, never a domain beside or above it; the wiring (routers, app, state,
console, metrics, jobs) may import anything, and nothing below it imports the wiring.
Imports under `if TYPE_CHECKING:` and inside functions count too.
"""

import ast
import re
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / "hub"
TABLE_ROW = re.compile(r"^\| (\d+|wiring) \| (.+?) \|")


def layers() -> dict[str, int]:
    """{package or module pattern: layer} from the table under "Domains"; wiring is 99."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Domains", 1)[1].split("\n## ", 1)[0]
    found: dict[str, int] = {}
    for line in section.splitlines():
        match = TABLE_ROW.match(line)
        if match:
            layer = 99 if match[1] == "wiring" else int(match[1])
            for name in re.findall(r"`([^`]+)`", match[2]):
                found[name] = layer
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str, table: dict[str, int]) -> tuple[str, int]:
    """The table entry a module falls under: itself, else a wildcard row it matches
    (`hub.*.router`), else the longest package that holds it."""
    matches = [
        pattern
        for pattern in table
        if module == pattern or module.startswith(pattern + ".") or fnmatch(module, pattern)
    ]
    assert matches, f"{module} is in no row of the domain table (docs/architecture.md)"
    best = max(matches, key=lambda p: (module == p, fnmatch(module, p), len(p)))
    return best, table[best]


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if name == "hub" or name.startswith("hub.")}


def real_modules() -> set[str]:
    return {module_name(path) for path in HUB.rglob("*.py")}


def test_every_module_has_a_layer() -> None:
    table = layers()
    assert "hub" in table and "hub.app" in table, "the table lost its kernel or wiring rows"
    for module in sorted(real_modules()):
        unit_of(module, table)


def test_imports_go_down_the_domain_table() -> None:
    table = layers()
    modules = real_modules()
    wrong = []
    for path in sorted(HUB.rglob("*.py")):
        source = module_name(path)
        unit, layer = unit_of(source, table)
        for target in sorted(imported(path)):
            if target not in modules:
                continue  # `from hub.x import name`: the module itself is listed too
            other, other_layer = unit_of(target, table)
            if other == unit or layer == 99:
                continue
            if other_layer >= layer:
                wrong.append(f"{source} (layer {layer}) imports {target} (layer {other_layer})")
    assert not wrong, "\n".join(wrong)
