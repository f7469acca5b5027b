// What the browser tests share: the server scripts/browser-test started, API calls for setup,
// Chromium with a fake camera, a page that fails its test on any console error, screenshots.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const API = process.env.OZ_BROWSER_API;
export const ADMIN = { email: process.env.OZ_BROWSER_ADMIN_EMAIL, password: process.env.OZ_BROWSER_ADMIN_PASSWORD };
export const CAMERAS = process.env.OZ_BROWSER_CAMERAS;
export const FIXTURES = process.env.OZ_BROWSER_FIXTURES;
const SHOTS = process.env.OZ_SCREENSHOTS_DIR || "screenshots";
assert.ok(API, "run these through scripts/browser-test, which starts the server");

/** A JSON call to the API; throws with the Oz error body on failure. */
export async function call(method, path, { token, json, form } = {}) {
  const headers = token ? { "X-Forensic-Access-Token": token } : {};
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else body = form;
  const res = await fetch(API + path, { method, headers, body });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return data;
}

export async function login({ email, password }) {
  return (await call("POST", "/api/authorize/auth", { json: { credentials: { email, password } } })).access_token;
}

let users = 0;
/** A new user of `role` in the admin's company, logged in: {email, password, token, user_id}. */
export async function newUser(role) {
  const admin = await login(ADMIN);
  const me = await call("POST", "/api/authorize/auth", { json: { credentials: ADMIN } });
  const email = `${role.toLowerCase().replace(/ /g, "-")}-${Date.now()}-${users++}@example.com`;
  const password = "browser-user-pass-1";
  const u = await call("POST", "/api/users", {
    token: admin,
    json: { email, password, user_type: role, company_id: me.user.company_id, first_name: "Test", last_name: role },
  });
  return { email, password, user_id: u.user_id, token: await login({ email, password }) };
}

const FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
];

/** Chromium whose camera plays `camera` (a file of OZ_BROWSER_CAMERAS), or the default test pattern. */
export async function browser(camera) {
  const args = [...FLAGS];
  if (camera) args.push(`--use-file-for-fake-video-capture=${join(CAMERAS, camera)}`);
  return chromium.launch({ executablePath: process.env.OZ_CHROMIUM || "/usr/bin/chromium", args });
}

/**
 * A page whose console errors and uncaught exceptions are collected; `done()` asserts there
 * were none. `width` 375 gives a phone-sized viewport.
 */
export async function page(b, { width = 1280, height = 860 } = {}) {
  const ctx = await b.newContext({ viewport: { width, height }, permissions: ["camera"] });
  const p = await ctx.newPage();
  const errors = [];
  p.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  p.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  p.done = async () => {
    await ctx.close();
    assert.deepEqual(errors, [], "the browser logged errors");
  };
  // A refused request (401, 404) is logged by Chromium as a console error; the tests that expect
  // one say so.
  p.allowFailedRequests = (pattern) => {
    const keep = errors.splice(0).filter((e) => !(e.includes("Failed to load resource") && pattern.test(e)));
    errors.push(...keep);
  };
  return p;
}

/** A screenshot under OZ_SCREENSHOTS_DIR, e.g. `folder-desktop.png`. */
export async function screenshot(p, name) {
  mkdirSync(SHOTS, { recursive: true });
  await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
