// genriflow's page: send a song to /v1/classify, draw what comes back. No dependencies.
"use strict";

const $ = (id) => document.getElementById(id);
// a genre's colour: style.css's --c0 ... --c11, a lighter set in dark mode
const colour = (j) => `var(--c${j % 12})`;
let settings = { needs_token: false, library: false, multi_label: false };
// the service's settings (a library? a token?) shape the request: a song chosen before
// /readyz answered waits for them instead of going without its similar songs
let settingsLoaded;
const settingsReady = new Promise((resolve) => { settingsLoaded = resolve; });
// the song in hand, { file, stop } (stop: its request's AbortController), or null: one at
// a time, and an earlier answer never lands on a later song
let current = null;
let ready = false; // /readyz said so

// progress and results in the polite status region, a refusal in the alert region: one
// message at a time, the other emptied
function say(text, isError = false) {
  $("status").textContent = isError ? "" : text;
  $("error").textContent = isError ? text : "";
}

function percent(p) { return `${(100 * p).toFixed(1)}\u00a0%`; } // never "%" alone on a line

function bars(list, rows) {
  list.replaceChildren(...rows.map(([name, value, text]) => {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = name;
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.setAttribute("aria-hidden", "true");
    const fill = document.createElement("span");
    fill.style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;
    bar.append(fill);
    const shown = document.createElement("span");
    shown.className = "value";
    shown.textContent = text === undefined ? percent(value) : text;
    li.append(label, bar, shown);
    return li;
  }));
}

// The answer's timeline: each window's probability of every label, {genre: p} in the
// model's label order. A single-label model's add up to 1 in each window: a column of
// shares, stacked. A multi-label model's are each genre's own (a song can be rock and
// blues at 90 % each): stacked they would pass 100 %, so each genre gets its own strip,
// darker where more probable.
function isMultiLabel(result) {
  if (settings.multi_label) return true;
  const sums = [result.probabilities, ...result.timeline.map((w) => w.probabilities)]
    .map((p) => Object.values(p).reduce((a, b) => a + b, 0));
  return sums.some((sum) => Math.abs(sum - 1) > 1e-3); // whatever /readyz said
}

const SVG = "http://www.w3.org/2000/svg";
function svgOf(width, height) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  return svg;
}
function rectOf(x, y, width, height, title) {
  const rect = document.createElementNS(SVG, "rect");
  Object.entries({ x, y, width, height }).forEach(([k, v]) => rect.setAttribute(k, v));
  const tip = document.createElementNS(SVG, "title");
  tip.textContent = title;
  rect.append(tip);
  return rect;
}

function stacked(labels, windows) {
  const svg = svgOf(Math.max(windows.length, 1) * 10 - 0.5, 100);
  svg.classList.add("stacked");
  windows.forEach((w, i) => {
    let y = 100;
    labels.forEach((label, j) => {
      const h = w.probabilities[label] * 100;
      y -= h;
      const rect = rectOf(i * 10, y, 9.5, h,
        `${w.start.toFixed(1)} s: ${label} ${percent(w.probabilities[label])}`);
      rect.style.fill = colour(j); // a style: an attribute takes no var()
      svg.append(rect);
    });
  });
  return svg;
}

function strips(labels, windows) {
  const heat = document.createElement("div");
  heat.className = "heat";
  labels.forEach((label) => {
    const name = document.createElement("span");
    name.textContent = label;
    const svg = svgOf(Math.max(windows.length, 1) * 10 - 0.5, 10);
    windows.forEach((w, i) => {
      const p = w.probabilities[label];
      const rect = rectOf(i * 10, 0, 9.5, 10, `${w.start.toFixed(1)} s: ${label} ${percent(p)}`);
      rect.setAttribute("fill-opacity", Math.max(0, Math.min(1, p)).toFixed(4));
      svg.append(rect);
    });
    heat.append(name, svg);
  });
  return heat;
}

function figures(labels, windows, multi) {
  const table = $("timeline-table");
  const caption = document.createElement("caption");
  caption.textContent = multi ? "Each genre's own probability in each window"
    : "Each genre's share in each window";
  const head = document.createElement("tr");
  ["start", ...labels].forEach((text) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    head.append(th);
  });
  const thead = document.createElement("thead");
  thead.append(head);
  const tbody = document.createElement("tbody");
  windows.forEach((w) => {
    const row = document.createElement("tr");
    const start = document.createElement("th");
    start.scope = "row";
    start.textContent = `${w.start.toFixed(1)} s`;
    row.append(start, ...labels.map((label) => {
      const td = document.createElement("td");
      td.textContent = percent(w.probabilities[label]);
      return td;
    }));
    tbody.append(row);
  });
  table.replaceChildren(caption, thead, tbody);
}

function timeline(result) {
  const labels = Object.keys(result.probabilities);
  const windows = result.timeline;
  const multi = isMultiLabel(result);
  const n = `${windows.length} window${windows.length === 1 ? "" : "s"}`;
  const picture = multi ? strips(labels, windows) : stacked(labels, windows);
  picture.setAttribute("role", "img");
  picture.setAttribute("aria-label", multi
    ? `Each genre's own probability over the song, ${n}, one strip a genre; the figures ` +
      "are in the table below"
    : `Each genre's share of each window over the song, ${n}; the figures are in the ` +
      "table below");
  $("timeline-note").textContent = multi
    ? "Each genre's own probability in each window, the colour the stronger the more " +
      "probable (a song can be several genres: they need not add up to 100\u00a0%)."
    : "Each genre's share of each window (they add up to 100\u00a0%).";
  const axis = document.createElement("p");
  axis.className = "axis";
  const last = windows.length ? windows[windows.length - 1].start : 0;
  const starts = windows.length === 1 ? "starting at 0 s"
    : `starting 0 s to ${last.toFixed(0)} s`;
  axis.textContent = `${n}, ${starts}; top genre of each: ` +
    windows.map((w) => w.genre).join(", ");
  $("timeline").replaceChildren(picture, axis);
  $("legend").hidden = multi; // the strips name their genres
  $("legend").replaceChildren(...(multi ? [] : labels.map((label, j) => {
    const li = document.createElement("li");
    const swatch = document.createElement("i");
    swatch.style.background = colour(j);
    li.append(swatch, label);
    return li;
  })));
  figures(labels, windows, multi);
}

function show(result) {
  $("file-name").textContent = result.file;
  $("model-line").textContent =
    `${result.duration.toFixed(1)} s of audio · model ${result.model.identity}`;
  const ranked = Object.entries(result.probabilities).sort((a, b) => b[1] - a[1]);
  bars($("genres"), ranked);
  $("genres-note").textContent = isMultiLabel(result)
    ? `Each genre's own probability; the song's genres (at or above their thresholds): ${
      result.genres.map((g) => g.genre).join(", ")}.`
    : "Each genre's share (they add up to 100\u00a0%).";
  $("unknown").hidden = result.unknown !== true;
  timeline(result);
  const hasTags = Array.isArray(result.tags);
  $("tags-section").hidden = !hasTags;
  if (hasTags) {
    $("tag-list").replaceChildren(...result.tags.map((t) => {
      const li = document.createElement("li");
      const [source, name] = t.tag.includes(":") ? t.tag.split(":", 2) : ["", t.tag];
      li.textContent = `${name} ${percent(t.probability)}`;
      li.title = `${source.toUpperCase()} tagger`;
      const from = document.createElement("small");
      from.textContent = ` ${source}`;
      li.append(from);
      return li;
    }));
    $("voice").textContent =
      `${result.voice} (vocal ${percent(result.vocal_probability)})`;
    const top = Math.max(...result.moods.map((m) => m.score), 1e-9);
    bars($("moods"), result.moods.map((m) => [m.mood, m.score / top, m.score.toFixed(2)]));
  }
  const hasSimilar = Array.isArray(result.similar);
  $("similar-section").hidden = !hasSimilar;
  if (hasSimilar) {
    $("similar").replaceChildren(...result.similar.map((s) => {
      const li = document.createElement("li");
      li.textContent = `${s.path} (${s.similarity.toFixed(3)})`;
      return li;
    }));
  }
  $("results").hidden = false;
}

function summary(data) {
  const verdict = data.unknown ? "none of the model's genres; best guess " : "";
  const named = isMultiLabel(data) ? data.genres : [data.genres[0]];
  return `Done: ${verdict}` +
    named.map((g) => `${g.genre} (${percent(g.probability)})`).join(", ") + ".";
}

function refusal(response, data, file) {
  const message = data && data.error ? data.error.message
    : `${response.status} ${response.statusText}`.trim();
  if (response.status === 401) {
    $("token-row").hidden = false;
    return `The service needs a valid API token: ${message}.`;
  }
  if (response.status === 503) {
    const wait = response.headers.get("Retry-After");
    return `The service is busy: ${message}.${wait ? ` Try again in ${wait} s.` : ""}`;
  }
  // a body refused before it is read (too large) cannot name the file: the page can
  return `Not analysed: ${message.startsWith(`${file.name}: `) ? "" : `${file.name}: `}` +
    message;
}

// the same file chosen again (a drop and the chooser give two File objects for one file)
const same = (a, b) =>
  a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;

// `note`: said with the progress and the outcome (several files dropped)
async function analyse(file, note = "") {
  if (current && same(current.file, file)) return; // Analyse again: that song is in hand
  // another song chosen or dropped meanwhile is the one wanted now: the earlier one's
  // answer is not waited for (it was, and the later song silently never sent)
  if (current) current.stop.abort();
  const mine = { file, stop: new AbortController() };
  current = mine;
  $("results").hidden = true; // the last song's results are not this one's
  // aria-disabled, not disabled: a disabled button would drop the keyboard focus
  $("analyse").setAttribute("aria-disabled", "true");
  const also = note ? ` ${note}` : "";
  if (!ready && !$("error").dataset.unreachable) say(`${file.name} waits for the service: it goes once the model is ready.`);
  try {
    await settingsReady; // meanwhile checkReady says what the song waits for
    if (current !== mine) return;
    if (settings.needs_token && !$("token").value) {
      say("Enter the API token first.", true);
      $("token").focus();
      return;
    }
    const body = new FormData();
    body.append("file", file, file.name);
    const params = new URLSearchParams({ tags: $("tags").checked, similar: settings.library });
    const headers = {};
    if ($("token").value) headers.Authorization = `Bearer ${$("token").value}`;
    say(`Analysing ${file.name} ...${also}`);
    const response = await fetch(`/v1/classify?${params}`,
      { method: "POST", body, headers, signal: mine.stop.signal });
    const data = await response.json().catch(() => null);
    if (current !== mine) return;
    if (!response.ok || !data) {
      say(refusal(response, data, file) + also, true);
      if (response.status === 401) $("token").focus();
      return;
    }
    show(data);
    say(summary(data) + also);
    $("results-title").focus({ preventScroll: true });
  } catch (err) {
    if (current !== mine) return; // stopped for a later song: not the service's fault
    say(`The service cannot be reached (${err.message || err}).`, true);
  } finally {
    if (current === mine) {
      current = null;
      $("analyse").removeAttribute("aria-disabled");
    }
  }
}

$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  const file = $("song").files[0];
  if (!file) { say("Choose a song first.", true); $("song").focus(); return; }
  analyse(file);
});

const drop = $("drop");
["dragenter", "dragover"].forEach((name) => drop.addEventListener(name, (event) => {
  event.preventDefault();
  drop.classList.add("over");
}));
["dragleave", "drop"].forEach((name) => drop.addEventListener(name, () => drop.classList.remove("over")));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  const files = event.dataTransfer.files;
  if (!files.length) return;
  // one song at a time: the chooser shows the one analysed, and Analyse sends it again;
  // the others were dropped silently before, as if all had been analysed
  const one = new DataTransfer();
  one.items.add(files[0]);
  $("song").files = one.files;
  analyse(files[0], files.length > 1 ? `Only the first of the ${files.length} files ` +
    "dropped is analysed: the page takes one song at a time (several: a job, " +
    "POST /v1/jobs)." : "");
});

$("results-title").tabIndex = -1;
function checkReady() {
  fetch("/readyz").then((r) => r.json()).then((data) => {
    if (data.status === "ready") {
      settings = { needs_token: data.needs_token, library: data.library,
        multi_label: data.multi_label === true };
      $("token-row").hidden = !settings.needs_token;
      ready = true;
      settingsLoaded();
      if ($("status").dataset.loading) { say(""); delete $("status").dataset.loading; }
      if ($("error").dataset.unreachable) { say(""); delete $("error").dataset.unreachable; }
    } else if (data.error && data.error.message !== "the model is loading") {
      // why the model cannot be loaded (a damaged model folder): no wait mends it, and
      // "still loading" was said for ever; asked again, for a service restarted
      say(`The service cannot analyse songs: its model failed to load: ${
        data.error.message}.`, true);
      $("error").dataset.unreachable = "1";
      setTimeout(checkReady, 5000);
    } else {
      say("The model is still loading; it will answer shortly" +
        `${current ? `, and ${current.file.name} goes then` : ""}.`);
      $("status").dataset.loading = "1";
      setTimeout(checkReady, 2000);
    }
  }).catch(() => {
    // asked again, not given up: a song chosen meanwhile waits for these settings, and
    // would wait for ever after one lost answer (a service restarting, a network blip)
    say("The service cannot be reached; trying again every few seconds" +
      `${current ? `, and ${current.file.name} goes once it answers` : ""}.`, true);
    $("error").dataset.unreachable = "1";
    setTimeout(checkReady, 3000);
  });
}
checkReady();
