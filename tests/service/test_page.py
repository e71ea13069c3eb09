"""The web page in a real headless Chromium (Debian's, driven by Playwright): a generated
song chosen with the keyboard, its genres, timeline, tags and similar songs shown, nothing
fetched from outside, readable on a phone. A screenshot is kept as a test artefact."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("GENRIFLOW_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "test-artifacts"))


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs it (apt-get install "
                        "chromium)")
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): "
                    "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def test_the_page_shows_genres_timeline_tags_and_similar_songs(browser, service, songs):
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(service.url + "/")
    page.wait_for_function("document.querySelector('#token-row').hidden === true")

    page.set_input_files("#song", str(songs["rock"]))
    page.focus("#song")
    page.keyboard.press("Tab")                      # to the tags box, labelled
    assert page.evaluate("document.activeElement.id") == "tags"
    assert page.is_checked("#tags")
    page.keyboard.press("Tab")                      # to the button
    assert page.evaluate("document.activeElement.id") == "analyse"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"                        # a visible focus
    page.keyboard.press("Enter")

    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    genres = page.locator("#genres li")
    assert genres.count() == 10
    first = genres.nth(0).inner_text()
    assert page.inner_text("#status").startswith("Done: ")
    assert first.split()[0] in page.inner_text("#status")
    windows = page.locator("#timeline svg rect")
    assert windows.count() >= 2 * 10                # a column of 10 genres per window
    assert re.match(r"\d+ windows, starting 0 s to \d+ s; top genre of each: ",
                    page.inner_text("#timeline .axis"))
    assert page.locator("#legend li").count() == 10
    # each column stacks every label's probability of its window (the answer's timeline:
    # {genre: probability} per window, in the order of the song's probabilities)
    columns = page.evaluate("""[...document.querySelectorAll('#timeline svg rect')].map(
        (r) => [+r.getAttribute('x'), +r.getAttribute('height')])""")
    for x in {x for x, _ in columns}:
        assert sum(h for at, h in columns if at == x) == pytest.approx(100, abs=1e-3)
    shown = page.inner_text("#results")
    assert "NaN" not in shown and "undefined" not in shown
    assert page.locator("#tag-list li").count() == 10
    assert page.inner_text("#voice").split()[0] in ("vocal", "instrumental")
    assert page.locator("#moods li").count() >= 5
    similar = page.locator("#similar li")
    assert similar.count() == 3 and str(songs["rock"]) in similar.nth(0).inner_text()
    assert page.get_attribute("label[for=song]", "for") == "song"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "service-page.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000

    page.set_viewport_size({"width": 375, "height": 740})  # a phone
    wider = page.evaluate("""[...document.querySelectorAll('body *')].filter(
        (e) => e.getBoundingClientRect().right > window.innerWidth + 1).map(
        (e) => e.tagName + '#' + e.id + '.' + e.className)""")
    assert wider == []
    phone = ARTIFACTS / "service-page-phone.png"
    page.screenshot(path=str(phone), full_page=True)
    print(f"screenshot: {phone}")

    outside = [url for url in requested
               if not url.startswith((service.url, "data:"))]
    assert outside == []
    page.close()


def test_the_page_says_why_a_file_is_refused(browser, service, songs, tmp_path):
    notes = tmp_path / "notes.mp3"
    notes.write_text("not a song\n" * 100)
    page = browser.new_page()
    page.goto(service.url + "/")
    page.set_input_files("#song", str(songs["rock"]))  # a song first: its results shown
    page.click("#analyse")
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    # they stayed under the refusal, as if they were the refused file's
    page.set_input_files("#song", str(notes))
    page.click("#analyse")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith("
                           "'Not analysed')", timeout=30_000)
    assert "notes.mp3: not a recognised audio format" in page.inner_text("#status")
    assert page.is_hidden("#results")
    page.close()


def test_the_page_says_none_of_these_for_noise(browser, service, tmp_path):
    from genriflow.datasets.synthetic.farout import write_far_out

    noise = write_far_out(tmp_path, per_kind=1, seconds=8.0, seed=2, kinds=("pink-noise",))[0]
    page = browser.new_page()
    page.goto(service.url + "/")
    page.set_input_files("#song", str(noise))
    page.click("#analyse")
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    assert page.is_visible("#unknown")
    assert "None of these" in page.inner_text("#unknown")
    assert "none of the model's genres" in page.inner_text("#status")
    assert page.locator("#genres li").count() == 10      # still its best guesses
    page.close()
