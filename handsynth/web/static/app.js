// handsynth serve: the page's script. It posts the form to /api/write/stream, draws the pen steps
// of the Server-Sent Events as they come, then shows the page drawn by the server's renderer (the
// one `handsynth write` uses) and offers it for download in the formats `handsynth write` writes.
// The pad below turns pointer events into strokes of [x, y, time] and saves them as a style with
// /api/styles; the picked style's own line is shown from /api/styles/NAME/preview.svg, and a saved
// one can be renamed (PATCH) or deleted (DELETE /api/styles/NAME).
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

let config = null; // /api/config: limits and defaults
let written = null; // the last finished write: {lines, texts, faults}
let running = null; // the AbortController of the write in progress

// --- talking to the server ---

async function postJson(url, body, signal) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

async function errorOf(response) {
  try {
    return (await response.json()).error;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

// Reads a text/event-stream body and calls onEvent(name, data) for each event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      onEvent(name, JSON.parse(data));
    }
  }
}

function say(element, message, isError = false) {
  element.textContent = message;
  element.classList.toggle("error", isError);
}

// --- the live drawing ---

// Draws pen offsets (raw pen units) as they arrive: one row per line of the text, one <path> per
// stroke, at the renderer's default scale.
class LiveDrawing {
  constructor(container, lines, rows) {
    this.scale = config.defaults.scale;
    this.pitch = 90; // px between rows, about what the renderer's line spacing gives
    this.margin = 20;
    this.svg = document.createElementNS(SVG_NS, "svg");
    this.ink = document.createElementNS(SVG_NS, "g");
    this.ink.setAttribute("fill", "none");
    this.ink.setAttribute("stroke-linecap", "round");
    this.ink.setAttribute("stroke-linejoin", "round");
    this.restyle();
    this.svg.appendChild(this.ink);
    container.replaceChildren(this.svg);
    // The rows of offsets are the text's non-empty lines, in order.
    this.pens = rows.map((line) => ({ line, x: 0, y: 0, up: true, path: null, d: "" }));
    this.width = 0;
    this.size(lines.length);
    this.firstStroke = null;
  }

  restyle() {
    this.ink.setAttribute("stroke", $("colour").value);
    this.ink.setAttribute("stroke-width", $("stroke-width").value);
  }

  size(rowCount) {
    const width = Math.max(this.width + 2 * this.margin, 300);
    const height = rowCount * this.pitch + 2 * this.margin;
    this.svg.setAttribute("width", width.toFixed(0));
    this.svg.setAttribute("height", height.toFixed(0));
    this.svg.setAttribute("viewBox", `0 0 ${width.toFixed(0)} ${height.toFixed(0)}`);
  }

  // steps: per pen step, per row [dx, dy, eos] or null once the row's line is finished.
  add(steps) {
    for (const step of steps) {
      step.forEach((offset, row) => {
        if (offset === null) return;
        const pen = this.pens[row];
        pen.x += offset[0] * this.scale;
        pen.y += offset[1] * this.scale;
        const x = (this.margin + pen.x).toFixed(1);
        const y = (this.margin + this.pitch * (pen.line + 0.5) + pen.y).toFixed(1);
        if (pen.up) {
          pen.path = document.createElementNS(SVG_NS, "path");
          this.ink.appendChild(pen.path);
          pen.d = `M${x} ${y} L${x} ${y}`;
          if (this.firstStroke === null) this.firstStroke = performance.now();
        } else {
          pen.d += ` L${x} ${y}`;
        }
        pen.path.setAttribute("d", pen.d);
        pen.up = offset[2] > 0.5;
        this.width = Math.max(this.width, pen.x);
      });
    }
    this.size(Math.max(...this.pens.map((pen) => pen.line + 1), 1));
  }
}

// --- writing ---

function writeRequest() {
  const request = {
    text: $("text").value,
    bias: Number($("bias").value),
    wrap: $("wrap").value === "" ? config.defaults.wrap : Number($("wrap").value),
    style: $("style").value || null,
  };
  if ($("seed").value !== "") request.seed = Number($("seed").value);
  return request;
}

// Until the colour is picked, the renderer's default is asked for by leaving it out, so that the
// files are the very ones `handsynth write` makes with its defaults.
function renderOptions() {
  const options = { stroke_width: Number($("stroke-width").value) };
  if ($("colour").dataset.picked) options.colour = $("colour").value;
  return options;
}

function busy(on) {
  $("write-button").disabled = on;
  $("stop-button").disabled = !on;
  $("download").disabled = on || written === null;
}

function faultText(result) {
  const notes = [];
  result.faults.forEach((faults, n) => {
    if (faults.length) {
      const what = faults.map((fault) => fault.detail).join("; ");
      notes.push(`line ${n + 1} “${result.texts[n]}”: ${what}`);
    }
  });
  return notes.length ? ` Still not right: ${notes.join(" | ")}` : "";
}

async function write(event) {
  event.preventDefault();
  if (running) return;
  const status = $("status");
  const drawing = $("drawing");
  written = null;
  delete drawing.dataset.firstStrokeMs;
  delete drawing.dataset.final;
  running = new AbortController();
  busy(true);
  say(status, "Writing…");
  const started = performance.now();
  let live = null;
  try {
    const response = await postJson("/api/write/stream", writeRequest(), running.signal);
    if (!response.ok) {
      say(status, await errorOf(response), true);
      return;
    }
    let notice = "";
    await readEvents(response, (name, data) => {
      if (name === "start") {
        live = new LiveDrawing(drawing, data.lines, data.rows);
        notice = data.notice ? ` (${data.notice})` : "";
        if (data.queued) say(status, "Waiting for another job to finish…");
      } else if (name === "steps") {
        if (data.draw === 0) {
          live.add(data.steps);
          if (live.firstStroke !== null && !drawing.dataset.firstStrokeMs) {
            drawing.dataset.firstStrokeMs = (live.firstStroke - started).toFixed(0);
          }
          say(status, `Writing…${notice}`);
        } else {
          say(status, `Drawing again the lines that came out wrong (try ${data.draw + 1})…`);
        }
      } else if (name === "done") {
        written = data;
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const count = data.lines.length;
        say(status, `Wrote ${count} line${count === 1 ? "" : "s"} in ${seconds} s.${notice}` +
          faultText(data));
      } else if (name === "error") {
        say(status, data.error, true);
      }
    });
    if (written) await showWritten();
  } catch (error) {
    if (error.name === "AbortError") say(status, "Stopped.");
    else say(status, `The server did not answer: ${error.message}`, true);
  } finally {
    running = null;
    busy(false);
  }
}

// The finished page, drawn by the server exactly as `handsynth write` would draw it.
async function showWritten() {
  const response = await postJson("/api/render", { lines: written.lines, format: "svg",
    ...renderOptions() });
  if (!response.ok) {
    say($("status"), await errorOf(response), true);
    return;
  }
  $("drawing").innerHTML = await response.text();
  $("drawing").dataset.final = "yes";
}

async function download(format) {
  const response = await postJson("/api/render", { lines: written.lines, texts: written.texts,
    format, ...renderOptions() });
  if (!response.ok) {
    say($("status"), await errorOf(response), true);
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = format === "animated-svg" ? "handwriting-animated.svg" : `handwriting.${format}`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// --- styles ---

const savedStyles = new Set(); // the names of the saved styles in the picker

async function loadStyles(select) {
  const response = await fetch("/api/styles");
  const { styles } = await response.json();
  const picker = $("style");
  picker.replaceChildren(new Option("none: each line in a hand of its own", "0"));
  savedStyles.clear();
  for (const style of styles) {
    const label = style.saved ? `${style.name}: “${style.text}”` :
      `shipped ${style.name}${style.default ? " (default)" : ""}: “${style.text}”`;
    picker.appendChild(new Option(label, style.name));
    if (style.saved) savedStyles.add(style.name);
  }
  const fallback = styles.find((style) => style.default);
  picker.value = select ?? (fallback ? fallback.name : "0");
  showStyle();
}

// Shows the picked style's own line, and the tools for a saved one.
function showStyle() {
  const picked = $("style").value;
  const name = picked === "0" ? "" : picked;
  $("style-box").hidden = !name;
  $("style-tools").hidden = !savedStyles.has(name);
  say($("style-status"), "");
  const preview = $("style-preview");
  if (!name) {
    preview.removeAttribute("src");
    delete preview.dataset.style;
    return;
  }
  delete preview.dataset.style;
  preview.onload = () => { preview.dataset.style = name; };
  preview.onerror = () => say($("style-status"), `Style “${name}” could not be drawn.`, true);
  preview.src = `/api/styles/${encodeURIComponent(name)}/preview.svg`;
  $("style-new-name").value = "";
}

async function renameStyle() {
  const name = $("style").value;
  const response = await fetch(`/api/styles/${encodeURIComponent(name)}`, {
    method: "PATCH",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: $("style-new-name").value.trim() }),
  });
  if (!response.ok) {
    say($("style-status"), await errorOf(response), true);
    return;
  }
  const renamed = await response.json();
  await loadStyles(renamed.name);
  say($("style-status"), `Renamed “${name}” to “${renamed.name}”.`);
}

async function deleteStyle() {
  const name = $("style").value;
  if (!window.confirm(`Delete the style “${name}”? Its file is removed.`)) return;
  const response = await fetch(`/api/styles/${encodeURIComponent(name)}`, { method: "DELETE" });
  if (!response.ok) {
    say($("style-status"), await errorOf(response), true);
    return;
  }
  await loadStyles("");
  say($("hand-status"), `Deleted style “${name}”.`);
}

// --- the writing pad ---

const pad = { strokes: [], current: null, points: 0 };

function padPoint(event) {
  const canvas = $("pad");
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) * canvas.width) / box.width;
  const y = ((event.clientY - box.top) * canvas.height) / box.height;
  return [Math.round(x * 10) / 10, Math.round(y * 10) / 10, Math.round(event.timeStamp * 10) / 10];
}

function padDraw(from, to) {
  const context = $("pad").getContext("2d");
  context.strokeStyle = "#1d2330";
  context.lineWidth = 3;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.beginPath();
  context.moveTo(from[0], from[1]);
  context.lineTo(to[0], to[1]);
  context.stroke();
}

function padDown(event) {
  event.preventDefault();
  const canvas = $("pad");
  try {
    canvas.setPointerCapture(event.pointerId);
  } catch {
    // a synthetic pointer has nothing to capture
  }
  const point = padPoint(event);
  pad.current = [point];
  pad.strokes.push(pad.current);
  pad.points += 1;
  padDraw(point, point);
}

function padMove(event) {
  if (!pad.current) return;
  const point = padPoint(event);
  padDraw(pad.current[pad.current.length - 1], point);
  pad.current.push(point);
  pad.points += 1;
  if (pad.points > config.limits.max_style_points) {
    say($("hand-status"), `That is more than ${config.limits.max_style_points} pen points: ` +
      "a style is one line. Clear the pad and write a shorter line.", true);
  }
}

function padUp() {
  pad.current = null;
}

function padClear() {
  const canvas = $("pad");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  pad.strokes = [];
  pad.current = null;
  pad.points = 0;
  say($("hand-status"), "");
}

async function saveStyle() {
  const status = $("hand-status");
  const name = $("hand-name").value.trim();
  const body = { name, text: $("hand-text").value, strokes: pad.strokes };
  const response = await postJson("/api/styles", body);
  if (!response.ok) {
    say(status, await errorOf(response), true);
    return;
  }
  const saved = await response.json();
  await loadStyles(saved.name);
  say(status, `Saved style “${saved.name}” (${saved.points} points); it is picked above.`);
}

// --- start ---

async function start() {
  config = await (await fetch("/api/config")).json();
  const { limits, defaults } = config;
  $("text").maxLength = limits.max_characters;
  $("bias").value = defaults.bias;
  $("bias-shown").textContent = Number(defaults.bias).toFixed(1);
  $("wrap").value = defaults.wrap;
  $("wrap").max = limits.wrap[1];
  $("stroke-width").value = defaults.stroke_width;
  $("width-shown").textContent = defaults.stroke_width;
  $("hand-text").maxLength = limits.max_style_characters;
  await loadStyles();

  $("write-form").addEventListener("submit", write);
  $("stop-button").addEventListener("click", () => running && running.abort());
  $("download").addEventListener("click", () => download($("download-format").value));
  // The browser's own checks (a number out of range...) stop the form before `write` runs: show
  // what it refused instead of a previous write's error, which no longer applies.
  $("write-form").addEventListener("invalid", (event) => {
    const field = event.target.closest("label")?.firstChild?.textContent?.trim() || event.target.id;
    say($("status"), `${field}: ${event.target.validationMessage}`, true);
  }, true);
  $("bias").addEventListener("input", () => {
    $("bias-shown").textContent = Number($("bias").value).toFixed(1);
  });
  $("colour").addEventListener("input", () => {
    $("colour").dataset.picked = "yes";
  });
  for (const id of ["stroke-width", "colour"]) {
    $(id).addEventListener("change", () => written && !running && showWritten());
  }
  $("stroke-width").addEventListener("input", () => {
    $("width-shown").textContent = $("stroke-width").value;
  });

  const canvas = $("pad");
  canvas.addEventListener("pointerdown", padDown);
  canvas.addEventListener("pointermove", padMove);
  canvas.addEventListener("pointerup", padUp);
  canvas.addEventListener("pointercancel", padUp);
  $("hand-clear").addEventListener("click", padClear);
  $("hand-save").addEventListener("click", saveStyle);
  $("style").addEventListener("change", showStyle);
  $("style-rename").addEventListener("click", renameStyle);
  $("style-new-name").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault(); // Enter renames; it does not submit the write form
    renameStyle();
  });
  $("style-delete").addEventListener("click", deleteStyle);
  document.body.dataset.ready = "yes";
}

start();
