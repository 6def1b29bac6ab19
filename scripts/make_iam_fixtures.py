"""Write the tiny IAM-OnDB tree of data/fixtures/iam/ used by the tests (run from anywhere).

Three forms in the real layout and format, plus split lists and a text blacklist:
    a01-000u (trainset)   lines 01, 02 good; 03 blacklisted; 04 past the 3-line CSR list
    a02-004  (testset_t)  line 01 good; 02 truncated XML
    b01-001x (testset_v)  lines 01, 03 good; 02 an XXE attempt; 04 only 4 points
Coordinates are small integers so tests can check values by hand.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "iam"

HEADER = """<?xml version="1.0" encoding="ISO-8859-1"?>
<WhiteboardCaptureSession>
  <WhiteboardDescription>
    <SensorLocation corner="top_left"/>
  </WhiteboardDescription>
  <StrokeSet>
"""
FOOTER = "  </StrokeSet>\n</WhiteboardCaptureSession>\n"
XXE = """<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE WhiteboardCaptureSession [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
<WhiteboardCaptureSession>
  <StrokeSet>
    <Stroke colour="black" start_time="0" end_time="1">
      <Point x="&leak;" y="1" time="0"/>
    </Stroke>
  </StrokeSet>
</WhiteboardCaptureSession>
"""


def line_xml(strokes: list[list[tuple[int, int]]], t0: float) -> str:
    """A line file whose points are 0.01 s apart, starting at time t0."""
    parts, t = [HEADER], t0
    for stroke in strokes:
        start = t
        points = []
        for x, y in stroke:
            points.append(f'      <Point x="{x}" y="{y}" time="{t:.2f}"/>\n')
            t += 0.01
        parts.append(f'    <Stroke colour="black" start_time="{start:.2f}" end_time="{t:.2f}">\n')
        parts += points
        parts.append("    </Stroke>\n")
    parts.append(FOOTER)
    return "".join(parts)


def zigzag(x0: int, y0: int, n: int, dx: int, dy: int) -> list[tuple[int, int]]:
    """n points stepping dx right and alternately dy down and up (y grows downwards)."""
    return [(x0 + i * dx, y0 + (dy if i % 2 else 0)) for i in range(n)]


def ascii_txt(csr: list[str]) -> str:
    ocr = " ".join(csr)
    return "OCR:\n\n" + ocr + "\n\nCSR:\n\n" + "\n".join(csr) + "\n"


def write(relative: str, text: str) -> None:
    path = FIXTURES / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("iso-8859-1"))


def main() -> None:
    good = {
        "a01/a01-000/a01-000u-01.xml": [zigzag(100, 200, 6, 10, 30), zigzag(180, 210, 6, 8, 20)],
        "a01/a01-000/a01-000u-02.xml": [zigzag(50, 400, 7, 12, 25), zigzag(150, 380, 5, 6, 40)],
        "a01/a01-000/a01-000u-03.xml": [zigzag(60, 600, 3, 10, 10)],
        "a01/a01-000/a01-000u-04.xml": [zigzag(70, 800, 3, 10, 10)],
        "a02/a02-004/a02-004-01.xml": [zigzag(300, 100, 6, 15, 35), zigzag(400, 90, 6, 5, 15)],
        "b01/b01-001/b01-001x-01.xml": [zigzag(10, 20, 8, 9, 27), zigzag(90, 30, 4, 7, 11)],
        "b01/b01-001/b01-001x-03.xml": [zigzag(20, 300, 5, 11, 33), zigzag(80, 290, 7, 4, 22)],
        "b01/b01-001/b01-001x-04.xml": [zigzag(20, 500, 4, 5, 5)],
    }
    for index, (relative, strokes) in enumerate(sorted(good.items())):
        write(f"lineStrokes/{relative}", line_xml(strokes, t0=100.0 * (index + 1)))
    truncated = line_xml([zigzag(0, 0, 4, 10, 10)], t0=5.0)
    write("lineStrokes/a02/a02-004/a02-004-02.xml", truncated[: len(truncated) // 2])
    write("lineStrokes/b01/b01-001/b01-001x-02.xml", XXE)

    write("ascii/a01/a01-000/a01-000u.txt", ascii_txt(["A MOVE to stop", "Mr. Gaitskell", "from"]))
    write("ascii/a02/a02-004/a02-004.txt", ascii_txt(["Labour life Peers", "is to be"]))
    write(
        "ascii/b01/b01-001/b01-001x.txt",
        ascii_txt(["M Ps tomorrow", "put down a", '"resolution" on 3', "it"]),
    )
    write("splits/trainset.txt", " a01-000u\n")
    write("splits/testset_t.txt", " a02-004\n\n")
    write("splits/testset_v.txt", " b01-001x\n")
    write("splits/blacklist.txt", "a01-000u-03\n")


if __name__ == "__main__":
    main()
