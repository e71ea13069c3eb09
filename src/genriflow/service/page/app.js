// genriflow's page: send a song to /v1/classify, draw what comes back. No dependencies.
"use strict";

const $ = (id) => document.getElementById(id);
const COLOURS = ["#0550ae", "#bf3989", "#1a7f37", "#bc4c00", "#8250df", "#0a7ea4",
  "#cf222e", "#7d4e00", "#57606a", "#116329", "#953800", "#6639ba"];
let settings = { needs_token: false, library: false };
let chosen = null;

function say(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function percent(p) { return `${(100 * p).toFixed(1)} %`; }

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

// every label's probability, for the song and for each window: {genre: p} in the
// model's label order (one shape, the answer's `probabilities`)
function timeline(result) {
  const labels = Object.keys(result.probabilities);
  const windows = result.timeline;
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  const width = Math.max(windows.length, 1) * 10;
  svg.setAttribute("viewBox", `0 0 ${width} 100`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  const described = windows.map((w) => `${w.start.toFixed(0)} s ${w.genre}`).join(", ");
  svg.setAttribute("aria-label", `Genre probabilities over the song, window by window: ${described}`);
  windows.forEach((w, i) => {
    let y = 100;
    labels.forEach((label, j) => {
      const p = w.probabilities[label];
      const rect = document.createElementNS(svgNS, "rect");
      const h = p * 100;
      y -= h;
      rect.setAttribute("x", i * 10);
      rect.setAttribute("y", y);
      rect.setAttribute("width", 9.5);
      rect.setAttribute("height", h);
      rect.setAttribute("fill", COLOURS[j % COLOURS.length]);
      const title = document.createElementNS(svgNS, "title");
      title.textContent = `${w.start.toFixed(1)} s: ${label} ${percent(p)}`;
      rect.append(title);
      svg.append(rect);
    });
  });
  const axis = document.createElement("p");
  axis.className = "axis";
  const last = windows.length ? windows[windows.length - 1].start : 0;
  const starts = windows.length === 1 ? "starting at 0 s"
    : `starting 0 s to ${last.toFixed(0)} s`;
  axis.textContent = `${windows.length} window${windows.length === 1 ? "" : "s"}, ` +
    `${starts}; top genre of each: ` + windows.map((w) => w.genre).join(", ");
  $("timeline").replaceChildren(svg, axis);
  $("legend").replaceChildren(...labels.map((label, j) => {
    const li = document.createElement("li");
    const swatch = document.createElement("i");
    swatch.style.background = COLOURS[j % COLOURS.length];
    li.append(swatch, label);
    return li;
  }));
}

function show(result) {
  $("file-name").textContent = result.file;
  $("model-line").textContent =
    `${result.duration.toFixed(1)} s of audio · model ${result.model.identity}`;
  const ranked = Object.entries(result.probabilities).sort((a, b) => b[1] - a[1]);
  bars($("genres"), ranked);
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

async function analyse(file) {
  const body = new FormData();
  body.append("file", file, file.name);
  const params = new URLSearchParams({ tags: $("tags").checked, similar: settings.library });
  const headers = {};
  if (settings.needs_token && $("token").value) {
    headers.Authorization = `Bearer ${$("token").value}`;
  }
  $("analyse").disabled = true;
  $("results").hidden = true; // the last song's results are not this one's
  say(`Analysing ${file.name} ...`);
  try {
    const response = await fetch(`/v1/classify?${params}`, { method: "POST", body, headers });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const message = data && data.error ? data.error.message : response.statusText;
      say(`Not analysed: ${message}`, true);
      return;
    }
    show(data);
    const verdict = data.unknown ? "none of the model's genres; best guess " : "";
    say(`Done: ${verdict}${data.genre} (${percent(data.probabilities[data.genre])}).`);
    $("results-title").focus({ preventScroll: true });
  } catch (err) {
    say(`The service cannot be reached: ${err}`, true);
  } finally {
    $("analyse").disabled = false;
  }
}

$("song").addEventListener("change", () => { chosen = $("song").files[0] || null; });

$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  const file = chosen || $("song").files[0];
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
  const file = event.dataTransfer.files[0];
  if (file) { chosen = file; analyse(file); }
});

$("results-title").tabIndex = -1;
function checkReady() {
  fetch("/readyz").then((r) => r.json()).then((data) => {
    if (data.status === "ready") {
      settings = { needs_token: data.needs_token, library: data.library };
      $("token-row").hidden = !settings.needs_token;
      if ($("status").dataset.loading) { say(""); delete $("status").dataset.loading; }
    } else {
      say("The model is still loading; it will answer shortly.");
      $("status").dataset.loading = "1";
      setTimeout(checkReady, 2000);
    }
  }).catch(() => say("The service cannot be reached.", true));
}
checkReady();
