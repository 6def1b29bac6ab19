"""The package's shape: no import cycle between its modules, and the model description read in one
place."""

import ast
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "handsynth"


def _module_name(path: Path) -> str:
    """handsynth/write/lines.py -> handsynth.write.lines; a folder's __init__.py -> the folder."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _module_imports(path: Path, top_level: bool = True) -> set[str]:
    """The handsynth modules `path` imports: when it is imported (top level), or anywhere in it."""
    nodes = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in nodes.body if top_level else ast.walk(nodes):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names}
            if submodules <= MODULES.keys():  # `from handsynth.nn import mdn`: the modules named
                names |= submodules
            else:
                names.add(node.module)
    return {n for n in names if n in MODULES and n != "handsynth"} - {_module_name(path)}


def test_no_import_cycle_between_modules():
    graph = {name: _module_imports(path) for name, path in MODULES.items()}
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
    assert "handsynth.nn.recogniser" not in graph["handsynth.nn.models"]


def test_the_model_description_is_read_by_the_front_door_and_the_model_file_module_only():
    readers = [
        str(p.relative_to(PACKAGE))
        for p in MODULES.values()
        if re.search(
            r"""description\[|\[["']data["']\]\[["'](alphabet|normalisation)""", p.read_text()
        )
    ]
    assert sorted(readers) == ["loaded.py", "nn/weights.py"]


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


# The stages from the bottom up: a module imports only from its own stage or from those below it.
# The base (errors, ranges, options) is below everything; the front door (`loaded.py`) and
# training both stand on writing, side by side; evaluation stands on both.
STAGES = [
    ("base", ["errors", "limits", "values", "options", "guard", "atomic"]),
    ("data", ["data"]),
    ("nn", ["nn"]),
    ("sample", ["sample"]),
    ("write", ["write"]),
    ("front door", ["loaded"]),
    ("train", ["train"]),
    ("eval", ["eval"]),
    ("web", ["web"]),
    ("cli", ["cli"]),
    ("package", ["__init__", "__main__"]),
]
SIDE_BY_SIDE = {frozenset({"front door", "train"})}  # neither imports the other


def _stage(module: str) -> str:
    part = module.split(".")[1] if "." in module else "__init__"
    for stage, parts in STAGES:
        if part in parts:
            return stage
    raise AssertionError(f"{module} is in no stage; add it to STAGES")


def test_imports_point_down_the_stages():
    order = [stage for stage, _ in STAGES]
    wrong = []
    for module, path in MODULES.items():
        for imported in _module_imports(path, top_level=False):  # function-level imports too
            here, there = _stage(module), _stage(imported)
            if here == there:
                continue
            if order.index(there) > order.index(here) or {here, there} in SIDE_BY_SIDE:
                wrong.append(f"{module} ({here}) imports {imported} ({there})")
    assert not wrong, "\n".join(wrong)


def test_the_library_names_no_command_line_flag():
    """Outside cli/, errors and warnings name arguments (`style_text`), never flags
    (`--style-text`), and nothing reads the command line: the CLI names its flags
    (`errors.FieldError`)."""
    flag = re.compile(r"(?<![\w-])--[a-z]")
    wrong = []
    for module, path in MODULES.items():
        if _stage(module) in ("cli", "package"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) or (
                isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "warn"
            ):
                strings = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]
                wrong += [
                    f"{module}:{node.lineno}: {s!r}"
                    for s in strings
                    if isinstance(s, str) and flag.search(s)
                ]
            if isinstance(node, ast.Attribute) and node.attr == "argv":
                wrong.append(f"{module}:{node.lineno}: reads sys.argv")
        imported = _module_imports(path, top_level=False)
        wrong += [f"{module} imports {name}" for name in imported if _stage(name) == "cli"]
        if re.search(r"^\s*import argparse", path.read_text(encoding="utf-8"), re.M):
            wrong.append(f"{module} imports argparse")
    assert not wrong, "\n".join(wrong)
