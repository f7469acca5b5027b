// DOM building blocks of the console: elements, badges, a value drawn against its threshold,
// a per-frame signal chart, tables, and the rendering of one analysis with its evidence.

/** `h("a", {href}, "text", child)`: attributes starting with "on" become listeners. */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "text") e.textContent = v;
    else if (k === "style") Object.assign(e.style, v); // CSSOM, which the pages' CSP allows; a style attribute it refuses
    else e.setAttribute(k, v === true ? "" : v);
  }
  e.append(...present(children));
  return e;
}

/** `children` flattened, without the null, undefined and false that conditionals leave. */
export function present(children) {
  return children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false);
}

export const badge = (value) => h("span", { class: `badge ${value || ""}` }, value || "—");

export const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "—");

const fmt = (x) => (typeof x === "number" ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3)) : "—");

/**
 * `value` on a 0..`max` bar with `threshold` marked. `badAbove`: values at or above the threshold
 * are the bad side (attack scores); otherwise below is bad (match scores).
 */
export function meter(label, value, threshold, { badAbove = true, max = 1 } = {}) {
  const v = typeof value === "number" ? value : null;
  const bad = v !== null && (badAbove ? v >= threshold : v < threshold);
  const pct = (x) => `${Math.max(0, Math.min(100, (x / max) * 100))}%`;
  return h(
    "div",
    { class: `meter ${bad ? "bad" : "good"}`, role: "group", "aria-label": `${label}: ${fmt(v)}, threshold ${fmt(threshold)}` },
    h("span", {}, label),
    h(
      "span",
      { class: "track" },
      v === null ? null : h("span", { class: "fill", style: { width: pct(v) } }),
      h("span", { class: "mark", style: { left: pct(threshold) }, title: `threshold ${fmt(threshold)}` }),
    ),
    h("span", { class: "mono" }, `${fmt(v)} / ${fmt(threshold)}`),
  );
}

/** An SVG line of `values` (one per frame) with a dashed line at `threshold`. */
export function spark(values, threshold, label) {
  const nums = values.filter((v) => typeof v === "number");
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 100 40");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${label}: ${nums.map(fmt).join(", ")}; threshold ${fmt(threshold)}`);
  if (!nums.length) return svg;
  const all = typeof threshold === "number" ? nums.concat(threshold) : nums;
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const y = (v) => 36 - ((v - lo) / (hi - lo || 1)) * 32;
  const x = (i) => (values.length > 1 ? (i / (values.length - 1)) * 100 : 50);
  const pts = values.map((v, i) => (typeof v === "number" ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null)).filter(Boolean);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", pts.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#0b5fff");
  line.setAttribute("stroke-width", "1.5");
  line.setAttribute("vector-effect", "non-scaling-stroke");
  svg.append(line);
  if (typeof threshold === "number") {
    const t = document.createElementNS(ns, "line");
    for (const [k, v] of [["x1", 0], ["x2", 100], ["y1", y(threshold)], ["y2", y(threshold)]]) t.setAttribute(k, v);
    t.setAttribute("stroke", "#c0392b");
    t.setAttribute("stroke-dasharray", "3 2");
    t.setAttribute("vector-effect", "non-scaling-stroke");
    svg.append(t);
  }
  return svg;
}

/** A table of `rows` with `columns` = [[heading, row => cell]]. */
export function table(columns, rows, { wide = true, empty = "Nothing here yet." } = {}) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h(
    "table",
    { class: wide ? "wide" : "" },
    h("thead", {}, h("tr", {}, columns.map(([name]) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(r)))))),
  );
}

/** The PAD signals of `pad` (results_data.evidence.pad), each attack score against 0.5. */
function padSignals(pad) {
  const out = [];
  for (const [name, s] of Object.entries(pad || {})) {
    if (!s || typeof s !== "object" || Array.isArray(s) || name === "config") continue;
    const score = typeof s.attack_score === "number" ? s.attack_score : s.score;
    if (typeof score !== "number") continue;
    out.push(meter(`${name.replace(/_/g, " ")}${s.verdict ? ` (${s.verdict})` : ""}`, score, 0.5));
  }
  return out;
}

/** The gesture check of a result: verdict, reason, and its signal per frame. */
function gesture(g) {
  if (!g) return null;
  const ev = g.evidence || {};
  const samples = Array.isArray(ev.samples) ? ev.samples : [];
  const values = samples.map((s) => s[ev.signal]);
  return h(
    "div",
    { class: "gesture" },
    h("p", {}, h("strong", {}, `Gesture ${g.name}: `), badge(g.performed ? "SUCCESS" : "DECLINED"), " ", g.reason || ""),
    values.length ? spark(values, ev.threshold_value ?? ev.threshold, `${ev.signal} per frame`) : null,
    values.length ? h("small", {}, `${ev.signal} per frame; dashed: threshold`) : null,
  );
}

/** The score a biometry analysis was decided against: its own band's top, else the company's. */
const matchThreshold = (a, thresholds) => a.params?.threshold_max ?? thresholds.biometry ?? 0.85;

/** One media's result of an analysis. */
function mediaResult(a, r, mediaName, thresholds) {
  const d = r.results_data || {};
  const shot = (r.output_images || [])[0]?.original_url;
  const pad = d.evidence?.pad;
  return h(
    "div",
    { class: "card result" },
    h("p", {}, h("strong", {}, mediaName(r.source_media_id)), " ", r.resolution_status ? badge(r.resolution_status) : null),
    typeof d.confidence_spoofing === "number"
      ? meter("confidence_spoofing", d.confidence_spoofing, thresholds.liveness ?? 0.5)
      : null,
    typeof d.min_confidence === "number"
      ? meter("least match to the others", d.min_confidence, matchThreshold(a, thresholds), { badAbove: false })
      : null,
    pad ? h("details", {}, h("summary", {}, "PAD signals"), padSignals(pad), (pad.notes || []).map((n) => h("p", {}, n))) : null,
    gesture(d.gesture),
    typeof d.confidence === "number" ? meter("confidence", d.confidence, a.params?.decision_threshold ?? 0.85, { badAbove: true }) : null,
    d.candidates?.length
      ? table([["person", (c) => h("code", {}, c.person_id)], ["confidence", (c) => fmt(c.confidence)]], d.candidates, { wide: false })
      : null,
    d.reason ? h("p", { class: "error" }, d.reason) : null,
    shot ? h("figure", {}, h("img", { class: "shot", src: shot, alt: `Best shot of ${mediaName(r.source_media_id)}` }), h("figcaption", {}, "Best shot")) : null,
  );
}

/** Webhook attempts recorded on the analysis. */
function webhook(a) {
  const w = a.technical_meta_data?.webhook;
  if (!w) return null;
  const attempts = Array.isArray(w.attempts) ? w.attempts : [];
  return h(
    "details",
    {},
    h("summary", {}, `Webhook: ${w.state} (${attempts.length} attempt${attempts.length === 1 ? "" : "s"})`),
    table(
      [
        ["when", (t) => when(t.time)],
        ["HTTP status", (t) => String(t.status_code ?? "—")],
        ["ms", (t) => String(t.duration_ms ?? "")],
        ["error", (t) => t.error || ""],
      ],
      attempts,
      { wide: false, empty: "No attempt yet." },
    ),
  );
}

/** An analysis card: state, decision, scores against thresholds, evidence, best shots. */
export function analysisCard(a, mediaName, { thresholds = {}, decide } = {}) {
  const d = a.results_data || {};
  const bio = a.type === "BIOMETRY";
  return h(
    "section",
    { class: "card analysis", "data-analysis": a.analyse_id, "data-type": a.type },
    h("h3", {}, `${a.type.toLowerCase()} `, badge(a.resolution), " ", h("small", {}, a.state)),
    h("p", {}, h("small", {}, "analyse_id "), h("code", {}, a.analyse_id), " · ", when(a.time_created)),
    a.error_message ? h("p", { class: "error" }, a.error_message) : null,
    bio && typeof d.min_confidence === "number"
      ? meter("min_confidence (match)", d.min_confidence, matchThreshold(a, thresholds), { badAbove: false })
      : null,
    bio && Array.isArray(d.pairs)
      ? table(
          [
            ["pair", (p) => `${mediaName(p.media_ids[0])} – ${mediaName(p.media_ids[1])}`],
            ["confidence", (p) => fmt(p.confidence)],
          ],
          d.pairs,
          { wide: false },
        )
      : null,
    a.type === "COLLECTION" && d.person_ids?.length ? h("p", {}, "Hit: ", d.person_ids.map((p) => h("code", {}, p))) : null,
    (a.results_media || []).map((r) => mediaResult(a, r, mediaName, thresholds)),
    a.resolution === "OPERATOR_REQUIRED" && decide
      ? h(
          "div",
          { class: "row" },
          h("button", { type: "button", onclick: () => decide(a, "SUCCESS") }, "Approve"),
          h("button", { type: "button", class: "danger", onclick: () => decide(a, "DECLINED") }, "Decline"),
        )
      : null,
    a.technical_meta_data?.operator_decision
      ? h("p", { class: "decided" }, `Operator decision: ${a.technical_meta_data.operator_decision.to} by ${a.technical_meta_data.operator_decision.role}, ${when(a.technical_meta_data.operator_decision.time)}`)
      : null,
    webhook(a),
  );
}
