"""The web page as a keyboard and a screen reader meet it, and when the service refuses a
song: chosen and sent with the keyboard alone, progress and results in a polite live region
and a refusal in an alert, each chart with a text alternative; a file that is not audio, a
song too short, a full queue (503) and a missing or wrong token (401) each said in one
message, the last song's results gone, the focus kept and the page usable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from genriflow.service.config import ServiceConfig

#: Which element has the focus.
FOCUSED = "document.activeElement.id || document.activeElement.tagName"


def ready(page, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_load_state("networkidle")  # /readyz answered: the token row decided


def send(page, song: Path) -> None:
    page.set_input_files("#song", str(song))
    page.click("#analyse")


def results(page) -> None:
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    assert page.text_content("#error") == ""


def refusal(page) -> str:
    """The one message the page shows for a refusal, once it does."""
    page.wait_for_function("document.querySelector('#error').textContent !== ''",
                           timeout=60_000)
    assert page.get_attribute("#error", "role") == "alert"
    assert page.text_content("#status") == ""     # one message, not a stale "Analysing"
    assert page.is_hidden("#results")             # not the last song's results under it
    return page.text_content("#error")


def test_the_keyboard_alone_chooses_sends_and_reads_a_song(browser, service, songs):
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    # Playwright asks the browser to intercept file choosers without waiting for the answer
    # when the first listener comes: a key pressed at once can beat it (a CI run waited 30 s
    # for a chooser the browser had not been told to report). Listen from before the load.
    page.on("filechooser", lambda _chooser: None)
    ready(page, service.url)
    page.keyboard.press("Tab")                    # the first stop: the song's chooser
    assert page.evaluate(FOCUSED) == "song"
    with page.expect_file_chooser() as chooser:   # opened by the keyboard
        page.keyboard.press("Space")
    chooser.value.set_files(str(songs["jazz"]))
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == "tags"
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == "analyse"
    page.keyboard.press("Enter")
    results(page)
    assert page.get_attribute("#status", "role") == "status"  # polite: read when idle
    assert page.text_content("#status").startswith("Done: ")
    assert page.evaluate(FOCUSED) == "results-title"          # read next, not the top

    # each chart says in words what it draws: the bars are a list of names and figures,
    # the timeline an image with a label and the figures in a table, one row a window
    for rows in ("#genres li", "#moods li"):
        texts = page.locator(rows).all_inner_texts()
        assert texts and all(any(c.isdigit() for c in text) for text in texts)
    picture = page.locator("#timeline [role=img]")
    assert picture.count() == 1 and "table below" in picture.get_attribute("aria-label")
    windows = len(page.inner_text("#timeline .axis").split("top genre of each: ")[1]
                  .split(", "))
    page.keyboard.press("Tab")                    # from the results' title to the figures
    assert page.evaluate(FOCUSED) == "SUMMARY"
    page.keyboard.press("Enter")
    assert page.locator("#timeline-table tbody tr").count() == windows
    assert page.locator("#timeline-table thead th").count() == 1 + 10
    page.close()


def test_a_file_that_is_not_audio_and_a_song_too_short_are_said_and_the_page_goes_on(
        browser, service, songs, tmp_path):
    notes = tmp_path / "notes.mp3"
    notes.write_text("not a song\n" * 100)
    short = tmp_path / "short.wav"
    sf.write(short, 0.3 * np.sin(np.arange(int(0.4 * 22050)) / 5), 22050)
    page = browser.new_page()
    ready(page, service.url)
    page.click("#analyse")                        # nothing chosen yet
    assert refusal(page) == "Choose a song first."
    assert page.evaluate(FOCUSED) == "song"
    for bad, said in ((notes, "notes.mp3: not a recognised audio format"),
                      (short, "short.wav: too short: 0.40 s of audio, at least 1.00 s")):
        send(page, songs["rock"])
        results(page)
        send(page, bad)
        message = refusal(page)
        assert message.startswith(f"Not analysed: {said}")
        # the button kept the focus (a disabled one dropped it to the page's top)
        assert page.evaluate(FOCUSED) == "analyse"
    send(page, songs["jazz"])                     # still usable: the next song goes through
    results(page)
    page.close()


def test_a_song_too_large_to_send_is_named_in_the_refusal(browser, running, songs):
    # "Not analysed: the request body is larger than the limit of ..." named no file: the
    # service refuses it from its length, before reading the name
    with running(ServiceConfig(model="gtzan-table", workers=1,
                               max_upload_bytes=256 << 10)) as service:
        page = browser.new_page()
        ready(page, service.url)
        send(page, songs["rock"])
        message = refusal(page)
        assert message == (f"Not analysed: {songs['rock'].name}: the request body is larger "
                           "than the limit of 262144 bytes (0.25 MiB)")
        page.close()


def test_a_full_queue_says_busy_and_the_next_try_goes_through(browser, running, songs):
    with running(ServiceConfig(model="gtzan", workers=1, queue_limit=1)) as service:
        page = browser.new_page()
        ready(page, service.url)
        page.uncheck("#tags")
        send(page, songs["rock"])
        results(page)
        engine = service.app.state.engine
        engine.pending = 1                        # the queue full, as if a song waited
        try:
            page.click("#analyse")
            message = refusal(page)
        finally:
            engine.pending = 0
        assert message == ("The service is busy: the queue is full (1 of 1 songs); retry "
                           "later. Try again in 1 s.")
        assert page.evaluate(FOCUSED) == "analyse"
        page.keyboard.press("Enter")              # again, once the queue has room
        results(page)
        page.close()


def test_a_service_that_needs_a_token_asks_for_it(browser, running, songs, token, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text(token + "\n")
    config = ServiceConfig(model="gtzan", workers=1, require_token=True, token_file=tokens)
    with running(config) as service:
        page = browser.new_page()
        ready(page, service.url)
        # shown by the page's script once /readyz's answer is read, which network idle
        # (no request for 500 ms) does not wait for
        page.wait_for_selector("#token", state="visible", timeout=30_000)
        page.uncheck("#tags")
        send(page, songs["rock"])                 # no token: asked for before sending
        assert refusal(page) == "Enter the API token first."
        assert page.evaluate(FOCUSED) == "token"
        page.fill("#token", token)
        page.click("#analyse")
        results(page)
        page.fill("#token", token + "x")          # a wrong one: the service's 401
        page.click("#analyse")
        assert refusal(page) == ("The service needs a valid API token: the token is not "
                                 "accepted.")
        assert page.evaluate(FOCUSED) == "token"  # where to put it right
        page.close()


def test_a_model_that_failed_to_load_is_said_not_still_loading(browser, running, songs,
                                                               tmp_path):
    # /readyz said why (a damaged model folder) and the page said "The model is still
    # loading; it will answer shortly" for ever, a song chosen meanwhile waiting for it.
    damaged = tmp_path / "damaged-model"
    damaged.mkdir()
    (damaged / "config.json").write_text("{}\n")
    with running(ServiceConfig(model=str(damaged), workers=1), wait_ready=False) as service:
        page = browser.new_page()
        page.goto(service.url + "/")
        page.wait_for_function("document.querySelector('#error').textContent !== ''",
                               timeout=30_000)
        message = page.text_content("#error")
        assert message.startswith("The service cannot analyse songs: its model failed to "
                                  f"load: {damaged}: "), message
        assert page.text_content("#status") == ""
        send(page, songs["rock"])                 # the reason stays: the song cannot go
        page.wait_for_timeout(300)
        assert page.text_content("#error") == message
        page.close()
