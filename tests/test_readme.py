"""The README's Python API example, run as it is written (with the shipped models)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def python_api_example() -> str:
    section = README.read_text(encoding="utf-8").split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_python_api_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example writes its files into the current folder
    namespace = {}
    exec(compile(python_api_example(), str(README), "exec"), namespace)
    hw = namespace["hw"]
    assert hw.texts == ["Dear Ada,", "thank you"]
    assert [line.shape[1] for line in hw.lines] == [3, 3] and len(hw.faults) == 2
    assert namespace["svg"].startswith("<svg")
    assert (tmp_path / "letter.png").read_bytes().startswith(PNG_MAGIC)
    assert (tmp_path / "scribble.svg").read_text(encoding="utf-8").startswith("<svg")
    assert len(namespace["scribble"].lines[0]) == 701
    assert namespace["text"].startswith("the market") and len(namespace["text"]) == 210
