// The capture flow through the embeddable script, as an integrator's page on another origin
// uses it: a capture token from its backend, OzLiveness.open({...}), the fake camera playing a
// clip, the callbacks.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { API, CAMERAS, FIXTURES, browser, call, newUser, page, screenshot } from "./lib.mjs";

// The integrator: localhost is another origin than the API's 127.0.0.1.
const INTEGRATOR = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Integrator</title><link rel="icon" href="data:,">
<script src="${API}/web/oz-liveness.js"></script></head><body><h1>Shop checkout</h1>
<script>
window.events = [];
window.runCheck = async (opts) => {
  if (opts.reference_url) opts.reference = await (await fetch(opts.reference_url)).blob();
  return new Promise((resolve) => OzLiveness.open({
  ...opts,
  on_capture_complete: (d) => events.push(["capture_complete", d]),
  on_result: (d) => events.push(["result", d]),
  on_complete: (d) => { events.push(["complete", d]); resolve({ ok: true, result: d }); },
  on_error: (e) => { events.push(["error", e]); resolve({ ok: false, error: e }); },
  on_close: () => { events.push(["close", null]); resolve({ ok: false, closed: true }); },
  }));
};
</script></body></html>`;

let site;
let siteUrl;
let client;

before(async () => {
  site = createServer((req, res) => {
    if (req.url === "/") return res.writeHead(200, { "content-type": "text/html" }).end(INTEGRATOR);
    const file = join(FIXTURES, req.url.slice(1).replace(/[^\w.-]/g, ""));
    if (!existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "image/png" }).end(readFileSync(file));
  });
  await new Promise((ok) => site.listen(0, "127.0.0.1", ok));
  siteUrl = `http://localhost:${site.address().port}/`;
  // The integrator's backend: a CLIENT SERVICE account, which never reaches the browser.
  client = await newUser("CLIENT SERVICE");
});

after(() => site.close());

/** Runs one capture with `camera` playing; returns the result, the events and the folder. */
async function capture(camera, opts, shots, width = 1280) {
  const b = await browser(camera);
  try {
    const p = await page(b, { width });
    await p.goto(siteUrl);
    // What the integrator's backend hands the page: a capture token for one new folder.
    const grant = await call("POST", "/api/authorize/capture", { token: client.token, json: { meta_data: opts.meta, ttl: 300 } });
    const run = p.evaluate((o) => window.runCheck(o), { token: grant.access_token, folder_id: grant.folder_id, ...opts });
    const frame = p.frameLocator("iframe[title='Liveness check']");
    await frame.locator(".capture .prompt").waitFor();
    if (shots) await screenshot(p, `${shots}-capturing`);
    const out = await run;
    const events = await p.evaluate(() => window.events);
    if (shots) {
      await frame.locator(".verdict strong").waitFor();
      await screenshot(p, `${shots}-verdict`);
    }
    await p.done();
    assert.ok(out.ok, `the capture failed: ${JSON.stringify(out.error)}`);
    const folder = await call("GET", `/api/folders/${out.result.folder_id}?with_analyses=true`, { token: client.token });
    return { result: out.result, events, folder };
  } finally {
    await b.close();
  }
}

test("a blinking face, captured passively through the embedded page, passes", async () => {
  const { result, events, folder } = await capture("blink.y4m", { action: "passive", meta: { order: "42" } }, "capture-desktop");
  assert.deepEqual(events.map(([k]) => k), ["capture_complete", "result", "complete"]);
  const captured = events[0][1];
  assert.ok(captured.frames >= 24, `${captured.frames} frames: at least 8 fps over 3 s`);
  assert.equal(captured.action, "video_selfie_blank");
  assert.equal(folder.media.length, 1);
  assert.equal(folder.media[0].media_type, "SHOTS_SET");
  assert.deepEqual(folder.media[0].tags.sort(), ["video_selfie", "video_selfie_blank"]);
  assert.deepEqual(folder.meta_data, { order: "42" });
  const q = folder.analyses.find((a) => a.type === "QUALITY");
  assert.equal(q.state, "FINISHED", JSON.stringify(q));
  assert.equal(result.resolution, "SUCCESS", JSON.stringify(q.results_media));
});

test("a still photo as the camera is declined for a head turn", async () => {
  const { result, folder } = await capture("still.y4m", { action: "left" });
  assert.equal(result.resolution, "DECLINED");
  const r = folder.analyses[0].results_media[0];
  assert.equal(r.results_data.gesture.name, "left", JSON.stringify(r.results_data.gesture));
  assert.equal(r.results_data.gesture.performed, false);
});

test("a reference photo adds a 1:1 match of the same person", async () => {
  const { folder } = await capture("blink.y4m", { action: "passive", reference_url: "/astronaut.png" }, "capture-phone", 375);
  const bio = folder.analyses.find((a) => a.type === "BIOMETRY");
  assert.ok(bio, "a biometry analysis ran");
  assert.equal(bio.resolution, "SUCCESS", JSON.stringify(bio.results_data));
});

for (const [clip, want] of [["live", "SUCCESS"], ["replay", "DECLINED"]]) {
  test(`selfie-turns-${clip} through the page is ${want}`, { skip: !existsSync(join(CAMERAS, `${clip}.y4m`)) && "no ../shared/data" }, async () => {
    const { result, folder } = await capture(`${clip}.y4m`, { action: "passive" });
    assert.equal(result.resolution, want, JSON.stringify(folder.analyses[0].results_media[0].results_data));
  });
}

test("the standalone capture page uses the console's session", async () => {
  const b = await browser("blink.y4m");
  try {
    const user = await newUser("CLIENT");
    const p = await page(b);
    await p.goto(`${API}/#/login`);
    await p.getByLabel("Email").fill(user.email);
    await p.getByLabel("Password").fill(user.password);
    await p.getByRole("button", { name: "Log in" }).click();
    await p.getByRole("link", { name: "Capture" }).click();
    await p.getByText(`Signed in to the console as ${user.email}.`).waitFor();
    await p.getByLabel("Action").selectOption("video_selfie_eyes");
    await screenshot(p, "capture-form-desktop");
    await p.getByRole("button", { name: "Start" }).click();
    await p.locator(".capture .prompt").getByText("Blink a few times").waitFor();
    const verdict = p.locator(".verdict strong");
    await verdict.waitFor({ timeout: 60_000 });
    assert.equal(await verdict.getAttribute("data-resolution"), "SUCCESS", await p.locator(".verdict").innerText());
    await p.getByRole("link", { name: "Capture again" }).waitFor();
    await p.done();
  } finally {
    await b.close();
  }
});

test("with no face in view the page says so, and Cancel closes it", async () => {
  const b = await browser(); // Chromium's own test pattern: no face
  try {
    const p = await page(b, { width: 375 });
    await p.goto(siteUrl);
    const grant = await call("POST", "/api/authorize/capture", { token: client.token, json: {} });
    const run = p.evaluate((o) => window.runCheck(o), { token: grant.access_token, folder_id: grant.folder_id, action: "random" });
    const frame = p.frameLocator("iframe[title='Liveness check']");
    await frame.getByRole("status").getByText(/^(No face: look at the camera|Too dark: face a light)$/).waitFor();
    await screenshot(p, "capture-hint-phone");
    await frame.getByRole("button", { name: "Cancel" }).click();
    assert.deepEqual(await run, { ok: false, closed: true });
    assert.equal(await p.locator("iframe").count(), 0, "the frame is gone");
    await p.done();
    const folder = await call("GET", `/api/folders/${grant.folder_id}`, { token: client.token });
    assert.equal(folder.media.length, 0, "nothing was uploaded");
  } finally {
    await b.close();
  }
});
