"""The package's shape: no import cycle between its modules, and the model description read in one
place."""

import ast
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "handsynth"


def _module_imports(path: Path) -> set[str]:
    """The handsynth modules `path` imports when it is imported (top level, not in functions)."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module != "handsynth":
                names.add(node.module)
                continue
            for alias in node.names:  # a module (`mdn`) or a name the package exports
                module = PACKAGE / f"{alias.name}.py"
                names.add(f"handsynth.{alias.name}" if module.exists() else "handsynth.__init__")
    return {n for n in names if n.startswith("handsynth.") and (PACKAGE / f"{n[10:]}.py").exists()}


def test_no_import_cycle_between_modules():
    graph = {f"handsynth.{p.stem}": _module_imports(p) for p in PACKAGE.glob("*.py")}
    done, path = set(), []

    def visit(module: str) -> None:
        assert module not in path, " -> ".join([*path[path.index(module) :], module])
        if module in done:
            return
        path.append(module)
        for imported in sorted(graph[module]):
            visit(imported)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    assert "handsynth.recogniser" not in graph["handsynth.models"]


def test_the_model_description_is_read_by_the_front_door_and_the_model_file_module_only():
    readers = [
        p.name
        for p in PACKAGE.glob("*.py")
        if re.search(
            r"""description\[|\[["']data["']\]\[["'](alphabet|normalisation)""", p.read_text()
        )
    ]
    assert sorted(readers) == ["loaded.py", "weights.py"]


def test_the_command_line_parses_without_importing_torch():
    code = (
        "import sys\n"
        "from handsynth import cli\n"
        "cli.build_parser().parse_args(['write', 'hello'])\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_writing_an_svg_never_imports_torch_or_matplotlib(tmp_path):
    output = tmp_path / "hello.svg"
    code = (
        "import sys\n"
        "from handsynth import cli\n"
        f"cli.main(['write', 'hello', '-o', {str(output)!r}, '--seed', '1'])\n"
        "print(sorted({'torch', 'matplotlib'} & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert output.read_text().count("<path") >= 1
