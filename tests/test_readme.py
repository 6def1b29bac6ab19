"""The README's quick start and the Python API example of docs/python-api.md, checked as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
API_DOC = ROOT / "docs" / "python-api.md"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SCREEN_LINES = 50  # the quick start fits on one screen


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def quick_start() -> str:
    return README.read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]


def test_readme_quick_start_fits_a_screen_with_a_picture_on_top():
    text = README.read_text(encoding="utf-8")
    assert len(quick_start().strip().splitlines()) <= SCREEN_LINES
    picture = re.search(r"!\[[^\]]*\]\(([^)]+)\)", text.split("## Quick start", 1)[0]).group(1)
    assert (ROOT / picture).is_file()


def test_readme_quick_start_commands_match_ci_and_run_from_the_root():
    commands = [
        line.split("  #", 1)[0].strip()
        for line in code_blocks(quick_start(), "bash")[0].splitlines()
        if line.strip()
    ]
    assert commands[0].startswith("python3 -m venv .venv")  # Debian's pip needs a venv
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in commands:
        if command.startswith("pip install") or "pytest" in command:
            # .ci/run installs and tests as the README says (pip there only adds --quiet)
            assert command.replace("pip install", "pip install --quiet") in ci or command in ci
        for name in re.findall(r"< (\S+)", command):  # files read by the examples exist
            assert (ROOT / name).is_file(), name
    # every page of docs the README links to exists
    for link in re.findall(r"\]\((docs/[^)#]+)", README.read_text(encoding="utf-8")):
        assert (ROOT / link).is_file(), link


def test_readme_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code_blocks(quick_start(), "python")[0], str(README), "exec"), namespace)
    assert namespace["hw"].texts == ["Dear Ada,", "thank you"]
    assert (tmp_path / "letter.svg").read_text(encoding="utf-8").startswith("<svg")


def test_python_api_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example writes its files into the current folder
    namespace = {}
    example = code_blocks(API_DOC.read_text(encoding="utf-8"), "python")[0]
    exec(compile(example, str(API_DOC), "exec"), namespace)
    hw = namespace["hw"]
    assert hw.texts == ["Dear Ada,", "thank you"]
    assert [line.shape[1] for line in hw.lines] == [3, 3] and len(hw.faults) == 2
    assert namespace["svg"].startswith("<svg")
    assert (tmp_path / "letter.png").read_bytes().startswith(PNG_MAGIC)
    assert (tmp_path / "scribble.svg").read_text(encoding="utf-8").startswith("<svg")
    assert len(namespace["scribble"].lines[0]) == 701
    assert namespace["text"].startswith("the market") and len(namespace["text"]) == 210
