"""The web page in a real headless Chromium (Debian's, driven by Playwright): a generated
song chosen with the keyboard, its genres, timeline, tags and similar songs shown, nothing
fetched from outside, readable on a phone; a multi-label model's timeline; file names shown
as they are. A screenshot is kept as a test artefact. (Refusals, the keyboard and the live
regions: test_page_refusals.py.)"""

from __future__ import annotations

import contextlib
import os
import re
from base64 import b64encode
from pathlib import Path

import pytest

from genriflow.service.config import ServiceConfig

ARTIFACTS = Path(os.environ.get("GENRIFLOW_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "test-artifacts"))
#: Every element that reaches past the window's right edge, unless a box of its own that
#: scrolls (or clips) holds it, and how wide the document is: ``[[], width]`` when
#: nothing overflows horizontally.
OVERFLOW = """(() => {
  const past = (e) => e.getBoundingClientRect().right > window.innerWidth + 1;
  const held = (e) => { for (let a = e.parentElement; a && a !== document.body;
                                 a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible' && !past(a)) return true; }
    return false; };
  return [[...document.querySelectorAll('body *')].filter((e) => past(e) && !held(e)).map(
    (e) => e.tagName + '#' + e.id + '.' + e.className), document.documentElement.scrollWidth];
})()"""


#: Drop ``[[base64, name], ...]`` on the page as files. The bytes go as base64: a list of
#: numbers, one a byte, took Playwright 9 s to carry for one 8-second song (30 s for three).
DROP = """(songs) => {
  const dropped = new DataTransfer();
  for (const [b64, name] of songs)
    dropped.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name,
                               {type: 'audio/wav'}));
  document.querySelector('#drop').dispatchEvent(new DragEvent('drop',
    {dataTransfer: dropped, bubbles: true, cancelable: true})); }"""


def base64(path: Path) -> str:
    """A file's bytes in base64, for :data:`DROP`."""
    return b64encode(path.read_bytes()).decode("ascii")


def analyse(page, song: Path) -> None:
    page.set_input_files("#song", str(song))
    page.click("#analyse")
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)


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
    # each column stacks every label's share of its window (the answer's timeline:
    # {genre: probability} per window, in the order of the song's probabilities)
    assert "add up to 100" in page.inner_text("#timeline-note")
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
    assert page.evaluate(OVERFLOW) == [[], 375]
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
    page.wait_for_function("document.querySelector('#error').textContent.startsWith("
                           "'Not analysed')", timeout=30_000)
    assert "notes.mp3: not a recognised audio format" in page.inner_text("#error")
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


@pytest.fixture(scope="module")
def multi_label_model(demo_corpus, feature_cache, tmp_path_factory) -> Path:
    """A multi-label model (one-vs-rest heads: each genre's probability on its own) trained
    on the generated demo corpus, its features from the store the demo model fills."""
    from genriflow.datasets.splits import SplitConfig
    from genriflow.features.dataset import from_audio
    from genriflow.features.options import RunOptions
    from genriflow.training.classical import TrainConfig
    from genriflow.workflows.experiment import train_to_folder

    out = tmp_path_factory.mktemp("models") / "multi-label"
    dataset = from_audio(demo_corpus, options=RunOptions(store=feature_cache))
    train_to_folder(dataset, out, TrainConfig(model="logreg", multi_label=True,
                                              split=SplitConfig(method="stratified", seed=0)))
    return out


def test_a_multi_label_models_timeline_gives_each_genre_its_own_strip(
        browser, running, multi_label_model, songs):
    # The timeline stacked every label's probability in a column: a multi-label model's
    # add up to more than 1 (rock 93 %, hiphop 81 %, blues 51 % ...), so its columns rose
    # to 290 %, drawn out of the chart, under a legend that read as shares.
    with running(ServiceConfig(model=str(multi_label_model), workers=1)) as service:
        with service.client() as http:
            answer = http.post("/v1/classify", params={"tags": "false"}, files={
                "file": ("rock.wav", songs["rock"].read_bytes())}).json()
        assert max(sum(w["probabilities"].values()) for w in answer["timeline"]) > 1.2
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(service.url + "/")
        page.wait_for_function("document.querySelector('#token-row').hidden === true")
        page.uncheck("#tags")
        analyse(page, songs["rock"])

        # every mark inside its chart
        outside = page.evaluate("""[...document.querySelectorAll('#timeline svg')].flatMap(
            (svg) => { const box = svg.viewBox.baseVal;
              return [...svg.querySelectorAll('rect')].filter((r) =>
                +r.getAttribute('y') < box.y - 1e-6 ||
                +r.getAttribute('y') + +r.getAttribute('height') > box.y + box.height + 1e-6
              ).map((r) => r.textContent); })""")
        assert outside == []
        # one strip a genre, each window as dark as that genre's own probability
        strips = page.evaluate("""[...document.querySelectorAll('#timeline .heat > svg')].map(
            (svg) => [svg.previousElementSibling.textContent,
                      [...svg.querySelectorAll('rect')].map(
                        (r) => +r.getAttribute('fill-opacity'))])""")
        labels = list(answer["probabilities"])
        assert [label for label, _ in strips] == labels
        for label, shades in strips:
            assert shades == pytest.approx(
                [w["probabilities"][label] for w in answer["timeline"]], abs=1e-4)
        assert "need not add up to 100" in page.inner_text("#timeline-note")
        assert page.is_hidden("#legend")  # no colour key that reads as shares of a whole
        # the figures, window by window, the same numbers as text
        page.click("#timeline-figures summary")
        cells = page.evaluate("""[...document.querySelectorAll('#timeline-table tbody tr')].map(
            (tr) => [...tr.querySelectorAll('td')].map((td) => parseFloat(td.textContent)))""")
        assert cells == [pytest.approx([100 * w["probabilities"][label] for label in labels],
                                       abs=0.051) for w in answer["timeline"]]
        # the song's genres are the model's (at or above their thresholds), all of them
        genres = [g["genre"] for g in answer["genres"]]
        assert len(genres) >= 2
        assert page.inner_text("#genres-note").endswith(": " + ", ".join(genres) + ".")
        status = page.inner_text("#status")
        assert [g for g in re.findall(r"(\w+) \(", status)] == genres
        page.close()
        with service.client() as http:  # how the page knows, before any song
            assert http.get("/readyz").json()["multi_label"] is True
            assert http.get("/v1/models").json()["loaded"]["multi_label"] is True


#: A name that would be markup, and a long one with brackets, accents, CJK and no room to
#: break (under 255 bytes: a file system's limit).
NAMES = ("<img src=x onerror=alert(1)>.wav",
         "[Live at Ünïcode Hall] 東京 — {Remaster} (feat. Ørjan & Zoë) "
         + "a_long_name_without_any_space_" * 4 + ".wav")


def test_names_are_shown_as_they_are_and_nothing_overflows_a_phone(
        browser, service, write_clip, tmp_path):
    page = browser.new_page(viewport={"width": 375, "height": 740})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(service.url + "/")
    page.wait_for_function("document.querySelector('#token-row').hidden === true")
    for i, name in enumerate(NAMES):
        song = write_clip(tmp_path / name, "jazz", seconds=4.0, seed=i)
        analyse(page, song)
        assert page.text_content("#file-name") == name
        assert page.locator("main img").count() == 0
        assert page.evaluate(OVERFLOW) == [[], 375]
        page.click("#timeline-figures summary")  # open: the table scrolls in its own box
        assert page.evaluate("document.documentElement.scrollWidth") == 375
        page.click("#timeline-figures summary")
    assert dialogs == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "service-page-phone-names.png"), full_page=True)
    page.close()


def test_a_dropped_song_is_analysed_and_shown_as_the_chosen_one(browser, service, songs):
    # The chooser went on saying "No file chosen" (or the song before) while Analyse sent
    # the dropped one again.
    page = browser.new_page()
    page.goto(service.url + "/")
    page.wait_for_load_state("networkidle")
    page.evaluate(DROP, [[base64(songs["jazz"]), "dropped [take 2].wav"]])
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    assert page.text_content("#file-name") == "dropped [take 2].wav"
    assert page.evaluate("document.querySelector('#song').files[0].name") == \
        "dropped [take 2].wav"
    page.close()


def test_several_dropped_files_say_that_only_the_first_is_analysed(browser, service, songs):
    # the first was analysed and the others dropped silently, as if all had been
    page = browser.new_page()
    page.goto(service.url + "/")
    page.wait_for_load_state("networkidle")
    page.evaluate(DROP, [[base64(songs[g]), f"{g}.wav"] for g in ("jazz", "rock", "classical")])
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    assert page.text_content("#file-name") == "jazz.wav"
    status = page.text_content("#status")
    assert status.startswith("Done: ") and status.endswith(
        " Only the first of the 3 files dropped is analysed: the page takes one song at a "
        "time (several: a job, POST /v1/jobs)."), status
    assert page.evaluate("[...document.querySelector('#song').files].map((f) => f.name)"
                         ) == ["jazz.wav"]
    page.close()


def test_a_name_holding_markup_and_a_slash_is_shown_whole_as_text(browser, service, songs):
    # a File named "<b>x</b>.wav" (dropped from another page, or made by a script) was
    # shown as "b>.wav": the service cut the name at its last slash
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(service.url + "/")
    page.wait_for_load_state("networkidle")
    for name in ("<b>x</b>.wav", "<img src=x onerror=alert(1)>/[bold]y[/bold].wav"):
        page.set_input_files("#song", files=[{"name": name, "mimeType": "audio/wav",
                                              "buffer": songs["jazz"].read_bytes()}])
        page.click("#analyse")
        page.wait_for_function("document.querySelector('#status').textContent"
                               ".startsWith('Done')", timeout=60_000)
        assert page.text_content("#file-name") == name
        assert page.locator("main b, main img").count() == 0
    assert dialogs == []
    page.close()


def test_a_song_chosen_before_the_service_answered_waits_for_its_settings(browser, service,
                                                                          songs):
    # The page learns from /readyz whether the service has a library (similar songs) or
    # needs a token. A song sent before that answer came went without its similar songs
    # (a CI run showed it: the page's first test found no similar song).
    page = browser.new_page()
    held = []
    page.route("**/readyz", lambda route: held.append(route))  # no answer yet
    page.goto(service.url + "/")
    page.wait_for_function("document.readyState === 'complete'")
    page.set_input_files("#song", str(songs["rock"]))
    page.click("#analyse")
    page.wait_for_timeout(300)                      # time for a song sent too early
    # the route's handler runs when Playwright's event for it is read here, which need
    # not have come by the page's load on a loaded machine: waited for, not assumed
    for _ in range(600):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    similar = page.locator("#similar li")
    assert similar.count() == 3 and str(songs["rock"]) in similar.nth(0).inner_text()
    page.close()


def test_a_lost_settings_answer_is_asked_again_and_a_waiting_song_then_goes(browser, service,
                                                                            songs):
    # The page asked /readyz once: after one failed fetch (a restart, a network blip) it
    # said "cannot be reached" for good, and a song chosen then waited for ever, silently.
    page = browser.new_page()
    asked = []

    def first_lost(route) -> None:
        asked.append(route.request.url)
        route.abort() if len(asked) == 1 else route.continue_()

    page.route("**/readyz", first_lost)
    page.goto(service.url + "/")
    page.wait_for_function("document.querySelector('#error').textContent"
                           ".includes('cannot be reached')", timeout=30_000)
    page.set_input_files("#song", str(songs["rock"]))
    page.click("#analyse")                          # waits for the settings, not for ever
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    assert len(asked) >= 2 and page.text_content("#error") == ""
    similar = page.locator("#similar li")
    assert similar.count() == 3 and str(songs["rock"]) in similar.nth(0).inner_text()
    page.close()


def test_a_second_song_chosen_while_the_first_is_analysed_is_the_one_analysed(
        browser, service, songs):
    # Analyse pressed for another song while one was analysed did nothing, silently: the
    # first song's results came, under a chooser that named the second.
    page = browser.new_page()
    held = []
    page.route("**/v1/classify?*",
               lambda route: held.append(route) if not held else route.continue_())
    page.goto(service.url + "/")
    page.wait_for_load_state("networkidle")
    page.uncheck("#tags")
    page.set_input_files("#song", str(songs["rock"]))
    page.click("#analyse")
    for _ in range(600):                            # the first song's request, held
        if held:
            break
        page.wait_for_timeout(50)
    assert page.text_content("#status") == "Analysing rock.wav ..."
    page.keyboard.press("Enter")                    # again, the same song: nothing new
    page.set_input_files("#song", str(songs["jazz"]))
    page.focus("#analyse")                          # marked busy (aria-disabled), not off
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#status').textContent"
                           ".startsWith('Done')", timeout=60_000)
    assert page.text_content("#file-name") == "jazz.wav"
    with contextlib.suppress(Exception):            # given up: nothing to continue
        held[0].continue_()                         # the first's answer, were it waited for
    page.wait_for_timeout(1000)
    assert page.text_content("#file-name") == "jazz.wav"
    assert page.text_content("#status").startswith("Done") and page.is_visible("#results")
    assert page.get_attribute("#analyse", "aria-disabled") is None
    page.close()


def test_a_song_chosen_while_the_model_loads_is_said_to_wait_for_it(browser, service, songs):
    # "The model is still loading" went on, the song chosen meanwhile never mentioned: it
    # seemed ignored until, later, it was analysed.
    page = browser.new_page()
    asked = []

    def loading_at_first(route) -> None:
        asked.append(route.request.url)
        if len(asked) == 1:
            route.fulfill(status=503, json={"error": {"code": "not-ready",
                                                      "message": "the model is loading"}})
        else:
            route.continue_()

    page.route("**/readyz", loading_at_first)
    page.goto(service.url + "/")
    page.wait_for_function("document.querySelector('#status').textContent"
                           ".includes('still loading')", timeout=30_000)
    page.set_input_files("#song", str(songs["rock"]))
    page.click("#analyse")
    assert "rock.wav" in page.text_content("#status")
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    assert page.text_content("#file-name") == "rock.wav" and len(asked) >= 2
    page.close()
