"""The web page as it looks to people whose browser is set otherwise: a system in dark mode
(every text 4.5:1 on its background, every mark of a chart 3:1), a high-contrast theme
(forced colours: the bars still drawn) and a phone with a model whose genre names are long
(the timeline's strips still there). Contrast is computed from the computed styles, as
WCAG defines it, not read off a screenshot."""

from __future__ import annotations

import json

import pytest

#: WCAG's contrast of two CSS colours, and each colour's effective background (the first
#: ancestor's that is not transparent), in the page.
CONTRAST = """
  const rgb = (s) => s.match(/[\\d.]+/g).map(Number);
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const contrast = (a, b) => { const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05); };
  const behind = (e) => { for (let a = e; a; a = a.parentElement) {
      const c = getComputedStyle(a).backgroundColor;
      if (rgb(c).length < 4 || rgb(c)[3] > 0) return c; }
    return getComputedStyle(document.documentElement).backgroundColor; };
"""

#: ``[what, ratio]`` for every visible text, and every mark of a chart, under its minimum.
POOR = "(() => {" + CONTRAST + """
  const poor = [];
  for (const e of document.querySelectorAll('body *')) {
    const box = e.getBoundingClientRect();
    if (!box.width || ![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
      continue;
    const r = contrast(getComputedStyle(e).color, behind(e));
    if (r < 4.5) poor.push([`text ${e.tagName}#${e.id}.${e.className}`, r]);
  }
  const panel = behind(document.querySelector('#timeline'));
  document.querySelectorAll('#timeline rect').forEach((rect, i) => {
    const r = contrast(getComputedStyle(rect).fill, panel);
    if (r < 3) poor.push([`timeline mark ${i} ${getComputedStyle(rect).fill}`, r]); });
  document.querySelectorAll('#legend i').forEach((swatch) => {
    const r = contrast(getComputedStyle(swatch).backgroundColor, panel);
    if (r < 3) poor.push([`swatch of ${swatch.parentElement.textContent}`, r]); });
  document.querySelectorAll('.bar > span').forEach((fill) => {
    const r = contrast(getComputedStyle(fill).backgroundColor,
                       getComputedStyle(fill.parentElement).backgroundColor);
    if (r < 3) poor.push([`bar of ${fill.closest('li').textContent}`, r]); });
  const focus = getComputedStyle(document.activeElement).outlineColor;
  const around = contrast(focus, behind(document.activeElement.parentElement));
  if (around < 3) poor.push([`focus outline ${focus}`, around]);
  return poor;
})()"""


def analysed(page, url: str, song) -> None:
    page.goto(url + "/")
    page.wait_for_load_state("networkidle")
    page.set_input_files("#song", str(song))
    page.click("#analyse")
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_and_the_charts_marks_keep_their_contrast_in_light_and_dark_mode(
        browser, service, songs, scheme):
    # In dark mode the timeline kept the light page's colours: four genres' (blue, brown,
    # grey, dark green) were 2.3:1 to 2.7:1 on the dark panel, its legend's swatches too.
    page = browser.new_page(color_scheme=scheme, viewport={"width": 1100, "height": 1000})
    analysed(page, service.url, songs["rock"])
    assert page.locator("#timeline svg.stacked rect").count() >= 10
    assert page.locator("#legend i").count() == 10
    page.keyboard.press("Tab")                    # from the results' title to the figures
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")                  # the table shown, its outline drawn
    assert page.evaluate(POOR) == []
    page.dispatch_event("#drop", "dragenter")     # a song dragged over: the drop zone lit
    assert page.evaluate("document.querySelector('#drop').classList.contains('over')")
    assert page.evaluate(POOR) == []              # its hint was 4.497:1 in dark mode
    page.close()


def test_a_high_contrast_theme_still_draws_the_bars_and_the_legend(browser, service, songs):
    # Forced colours paint every background Canvas: each bar's fill was the colour of its
    # track (1:1), and the legend's swatches vanished, keying nothing.
    for scheme in ("light", "dark"):
        page = browser.new_page(color_scheme=scheme, forced_colors="active",
                                viewport={"width": 1100, "height": 1000})
        analysed(page, service.url, songs["rock"])
        assert page.evaluate("matchMedia('(forced-colors: active)').matches")
        assert page.locator("#moods .bar > span").count() >= 5
        assert page.evaluate(POOR) == [], scheme
        page.close()


#: A model's genre names as long as some are (a taxonomy's path, no space to break at).
LONG = "electronic---progressive-house-and-melodic-techno-"


def test_a_multi_label_models_strips_keep_their_width_on_a_phone(browser, service, songs):
    # The strips' names sat in an auto column that grew to a long name's whole width and
    # left the strips none: on a phone every strip was 0 px wide, the chart gone.
    with service.client() as http:               # the service's answer, its genres renamed
        answer = http.post("/v1/classify", params={"tags": "false", "similar": "false"},
                           files={"file": ("rock.wav", songs["rock"].read_bytes())}).json()
    renamed = [f"{LONG}{genre}" for genre in answer["probabilities"]]
    text = json.dumps(answer)
    for genre, name in zip(answer["probabilities"], renamed, strict=True):
        text = text.replace(f'"{genre}"', f'"{name}"')
    page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    # the page told the model is multi-label, then given that answer (a route cannot pass
    # a file on: Playwright sends its body empty)
    page.route("**/readyz", lambda route: route.fulfill(
        json=route.fetch().json() | {"multi_label": True}))
    page.route("**/v1/classify?*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=text))
    page.goto(service.url + "/")
    page.wait_for_load_state("networkidle")
    page.uncheck("#tags")
    page.set_input_files("#song", str(songs["rock"]))
    page.click("#analyse")
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    strips = page.evaluate("""[...document.querySelectorAll('#timeline .heat > svg')].map(
        (svg) => [svg.previousElementSibling.textContent, svg.getBoundingClientRect().width,
                  svg.parentElement.getBoundingClientRect().width])""")
    assert [name for name, _, _ in strips] == renamed
    for name, width, whole in strips:
        assert width >= 0.5 * whole, (name, width, whole)
    assert page.evaluate("document.documentElement.scrollWidth") == 360
    page.close()
