"""The page in a real browser: the system's headless chromium, driven by selenium, against the app
served by uvicorn with the shipped model. It types a text and watches strokes appear, downloads the
SVG, draws a line on the pad with synthetic pointer events, saves it as a style and writes with it;
a line typed under another text is refused, and a saved style is previewed, renamed and deleted.

Skipped only where chromium and chromedriver are not installed (`.ci/run` installs Debian's).
HANDSYNTH_SCREENSHOTS=FOLDER also saves the screenshots in docs/web.md of the page there.
"""

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("selenium")
pytest.importorskip("uvicorn")

from lxml import etree  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from handsynth.loaded import load_model  # noqa: E402
from handsynth.web import create_app  # noqa: E402
from handsynth.web.server import LOOPBACK_HOSTS, listen, make_server  # noqa: E402
from handsynth.write.style_folder import StyleFolder  # noqa: E402
from tests.test_web import SHIPPED_TEXT, pointer_line  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = os.environ.get("HANDSYNTH_SCREENSHOTS")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="no chromium and chromedriver (apt-get install chromium chromium-driver)",
    ),
]
# A fresh profile and nothing fetched in the background: the machine may have no internet.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,1100",
]
DRAW_ON_PAD = """
const [strokes] = arguments;
const pad = document.getElementById("pad");
const box = pad.getBoundingClientRect();
const fire = (type, [x, y]) => pad.dispatchEvent(new PointerEvent(type, {
  pointerId: 7, pointerType: "pen", isPrimary: true, bubbles: true, cancelable: true,
  pressure: type === "pointerup" ? 0 : 0.5,
  clientX: box.left + (x * box.width) / pad.width,
  clientY: box.top + (y * box.height) / pad.height,
}));
for (const stroke of strokes) {
  fire("pointerdown", stroke[0]);
  for (const point of stroke.slice(1)) fire("pointermove", point);
  fire("pointerup", stroke[stroke.length - 1]);
}
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app with the shipped model on 127.0.0.1 at a free port: (url, model, styles folder)."""
    styles = tmp_path_factory.mktemp("styles")
    model = load_model()
    app = create_app(model, StyleFolder(styles), allowed_hosts=LOOPBACK_HOSTS)
    sock = listen("127.0.0.1", 0)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/", model, styles
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="handsynth-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.downloads = downloads
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait(driver, condition, seconds: float = 30):
    return WebDriverWait(driver, seconds, poll_frequency=0.05).until(condition)


def attribute(driver, element_id: str, name: str):
    return driver.find_element(By.ID, element_id).get_attribute(name)


def fill(driver, element_id: str, text: str) -> None:
    element = driver.find_element(By.ID, element_id)
    element.clear()
    element.send_keys(text)


def write_and_wait(driver) -> None:
    """Press Write, see strokes drawn while it writes, and wait for the finished page."""
    driver.find_element(By.ID, "write-button").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#drawing path"))
    live = Path(f"{SCREENSHOTS}/web-live.png")
    if SCREENSHOTS and not live.exists() and not attribute(driver, "drawing", "data-final"):
        time.sleep(0.8)
        driver.execute_script("window.scrollTo(0, 0)")
        driver.find_element(By.ID, "write-section").screenshot(str(live))
    wait(driver, lambda d: attribute(d, "drawing", "data-final") == "yes")
    status = driver.find_element(By.ID, "status")
    assert "error" not in status.get_attribute("class"), status.text
    assert status.text.startswith("Wrote 1 line"), status.text
    assert attribute(driver, "drawing", "data-first-stroke-ms") is not None  # drawn live first


def test_type_watch_download_and_write_in_your_own_hand(served, browser):
    url, model, styles = served
    text = "Dear Ada, thank you" if SCREENSHOTS else "hi"
    browser.get(url)
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    fill(browser, "text", text)
    fill(browser, "seed", "1")
    write_and_wait(browser)
    first_stroke_ms = int(attribute(browser, "drawing", "data-first-stroke-ms"))
    print(f"first stroke {first_stroke_ms} ms after pressing Write")

    browser.find_element(By.ID, "download").click()  # SVG, the menu's first format
    download = Path(browser.downloads) / "handwriting.svg"
    wait(browser, lambda d: download.is_file() and download.stat().st_size > 0)
    svg = etree.parse(str(download)).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.findall(".//{http://www.w3.org/2000/svg}path")  # some ink, and exactly write's:
    assert download.read_text(encoding="utf-8") == model.write(text, seed=1).to_svg()

    browser.execute_script(DRAW_ON_PAD, pointer_line(pixels_per_unit=0.3))
    fill(browser, "hand-text", SHIPPED_TEXT)
    fill(browser, "hand-name", "test-hand")
    browser.find_element(By.ID, "hand-save").click()
    wait(browser, lambda d: "Saved style" in d.find_element(By.ID, "hand-status").text)
    assert attribute(browser, "style", "value") == "test-hand"
    assert (styles / "test-hand.xml").is_file()
    fill(browser, "text", "hi" if not SCREENSHOTS else "in my own hand")
    write_and_wait(browser)
    if SCREENSHOTS:
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(f"{SCREENSHOTS}/web-own-hand.png")


def test_a_mismatched_line_is_refused_and_a_saved_style_is_previewed_renamed_and_deleted(
    served, browser
):
    url, _, styles = served
    browser.get(url)
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    browser.execute_script(DRAW_ON_PAD, pointer_line(pixels_per_unit=0.3))
    fill(browser, "hand-text", "completely different words here")
    fill(browser, "hand-name", "wrong-words")
    browser.find_element(By.ID, "hand-save").click()
    status = browser.find_element(By.ID, "hand-status")
    wait(browser, lambda d: "reads as" in status.text)
    assert "error" in status.get_attribute("class") and "type what you wrote" in status.text
    assert not (styles / "wrong-words.xml").exists()

    fill(browser, "hand-text", SHIPPED_TEXT)  # the same strokes, told what they say
    fill(browser, "hand-name", "to-rename")
    browser.find_element(By.ID, "hand-save").click()
    wait(browser, lambda d: "Saved style" in status.text)
    # Picked, its own line drawn above the buttons, with the tools of a saved style.
    preview = browser.find_element(By.ID, "style-preview")
    wait(browser, lambda d: preview.get_attribute("data-style") == "to-rename")
    assert browser.execute_script("return arguments[0].naturalWidth", preview) > 100
    assert browser.find_element(By.ID, "style-tools").is_displayed()

    fill(browser, "style-new-name", "renamed")
    browser.find_element(By.ID, "style-rename").click()
    wait(browser, lambda d: attribute(d, "style", "value") == "renamed")
    assert (styles / "renamed.xml").is_file() and not (styles / "to-rename.xml").exists()
    wait(browser, lambda d: preview.get_attribute("data-style") == "renamed")

    browser.find_element(By.ID, "style-delete").click()
    wait(browser, lambda d: d.switch_to.alert).accept()  # "Delete the style ...?"
    wait(browser, lambda d: "Deleted style" in status.text)
    assert not (styles / "renamed.xml").exists()
    assert attribute(browser, "style", "value") == ""  # back to the model's own hand
    assert not browser.find_element(By.ID, "style-box").is_displayed()

    # A shipped style is previewed too, without the tools.
    browser.find_element(By.CSS_SELECTOR, "#style option[value='1']").click()
    wait(browser, lambda d: preview.get_attribute("data-style") == "1")
    assert not browser.find_element(By.ID, "style-tools").is_displayed()


SAMPLE_DASH_OFFSETS = """
const [done] = [arguments[arguments.length - 1]];
// The first stroke the pen starts at least 0.5 s in, so sampling starts before it moves.
const path = [...document.querySelectorAll("animate")]
  .find((a) => parseFloat(a.getAttribute("begin")) >= 0.5).parentElement;
const seen = [];
const timer = setInterval(() => {
  seen.push(getComputedStyle(path).strokeDashoffset);
  const now = seen[seen.length - 1];
  if (seen.length >= 100 || now === "0px" || now === "0") {
    clearInterval(timer);
    done(seen);
  }
}, 25);
"""


def test_phone_width_stale_errors_and_the_animated_download(served, browser):
    url, _, _ = served
    browser.set_window_size(420, 900)
    try:
        browser.get(url)
        wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
        # A refused text leaves an error; the browser then refuses a field by itself (wrap over its
        # maximum) and the old error must not stay on screen as if it were the answer.
        fill(browser, "text", "a€")
        browser.find_element(By.ID, "write-button").click()
        status = browser.find_element(By.ID, "status")
        wait(browser, lambda d: "cannot write" in status.text)
        fill(browser, "wrap", "500")
        browser.find_element(By.ID, "write-button").click()
        wait(browser, lambda d: "cannot write" not in status.text)
        assert status.text.startswith("Wrap:"), status.text
        fill(browser, "wrap", "50")

        fill(browser, "text", "Dear Ada, thank you for the letter")
        fill(browser, "seed", "1")
        driver = browser
        driver.find_element(By.ID, "write-button").click()
        wait(driver, lambda d: attribute(d, "drawing", "data-final") == "yes", 60)
        # At 420 px nothing scrolls sideways, the style picker fits and the drawing is whole.
        sizes = driver.execute_script(
            """const box = (id) => document.getElementById(id).getBoundingClientRect();
            const svg = document.querySelector("#drawing svg").getBoundingClientRect();
            return {page: document.documentElement.scrollWidth, view: window.innerWidth,
                    picker: box("style").right, paper: box("drawing").right, svg: svg.right,
                    menu: box("download").right};"""
        )
        assert sizes["page"] <= sizes["view"], sizes
        assert sizes["picker"] <= sizes["view"] and sizes["menu"] <= sizes["view"], sizes
        assert sizes["svg"] <= sizes["paper"] + 0.5, sizes
        if SCREENSHOTS:
            driver.save_screenshot(f"{SCREENSHOTS}/web-phone.png")

        # The animated SVG from the download menu plays: its strokes' dash offsets move in time.
        driver.find_element(
            By.CSS_SELECTOR, "#download-format option[value='animated-svg']"
        ).click()
        driver.find_element(By.ID, "download").click()
        download = Path(driver.downloads) / "handwriting-animated.svg"
        wait(driver, lambda d: download.is_file() and download.stat().st_size > 0)
    finally:
        browser.set_window_size(1200, 1100)
    browser.get(download.as_uri())
    browser.set_script_timeout(20)
    seen = [
        float(value.removesuffix("px"))
        for value in browser.execute_async_script(SAMPLE_DASH_OFFSETS)
    ]
    assert seen[0] > 0.5 and seen[-1] == 0.0, seen  # hidden at the start, drawn at the end
    assert len(set(seen)) > 3, seen  # and uncovered bit by bit in between
