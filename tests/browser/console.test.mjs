// The console's main flows, by keyboard and mouse, desktop and phone width: a wrong password,
// login, a folder with two photos, biometry and quality with their scores and best shot, an
// operator decision, a collection hit, admin pages, and what a CLIENT does not see.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ADMIN, API, CAMERAS, FIXTURES, browser, call, login, newUser, page, screenshot } from "./lib.mjs";

const SELFIE = join(FIXTURES, "astronaut.png");
const ID_PHOTO = join(CAMERAS, "astronaut-id.jpg");

async function signIn(p, { email, password }) {
  await p.goto(`${API}/#/login`);
  await p.getByLabel("Email").fill(email);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Log in" }).click();
  await p.getByRole("heading", { name: "Folders" }).waitFor();
}

async function both(b, name, go) {
  for (const [suffix, width] of [["desktop", 1280], ["phone", 375]]) {
    const p = await page(b, { width });
    await go(p);
    await screenshot(p, `${name}-${suffix}`);
    await p.done();
  }
}

test("the console: login, a folder, analyses, a decision, a collection hit, roles", async (t) => {
  const b = await browser();
  let folderUrl;
  let collectionUrl;
  const operator = { email: `operator-${Date.now()}@example.com`, password: "operator-pass-12" };
  try {
    await t.test("a wrong password shows the Oz error message", async () => {
      const want = await fetch(`${API}/api/authorize/auth`, {
        method: "POST",
        body: JSON.stringify({ credentials: { email: ADMIN.email, password: "not-the-password" } }),
      }).then((r) => r.json());
      const p = await page(b);
      await p.goto(`${API}/`);
      // Keyboard only: the email field has focus, Tab moves to the password, Enter submits.
      await p.keyboard.type(ADMIN.email);
      await p.keyboard.press("Tab");
      await p.keyboard.type("not-the-password");
      await p.keyboard.press("Enter");
      await assert.doesNotReject(p.getByRole("alert").getByText(want.error_message).waitFor());
      await screenshot(p, "login-error-desktop");
      p.allowFailedRequests(/401/);
      await p.done();
    });

    await t.test("login by keyboard, create a folder with two photos, run biometry and quality", async () => {
      const p = await page(b);
      await p.goto(`${API}/`);
      await p.keyboard.type(ADMIN.email);
      await p.keyboard.press("Tab");
      await p.keyboard.type(ADMIN.password);
      await p.keyboard.press("Enter");
      await p.getByRole("heading", { name: "Folders" }).waitFor();
      await p.getByText("New folder").click();
      await p.getByLabel("File 1", { exact: true }).setInputFiles(SELFIE);
      await p.getByRole("button", { name: "Add another file" }).click();
      await p.getByLabel("File 2", { exact: true }).setInputFiles(ID_PHOTO);
      assert.equal(await p.getByLabel("Tags of file 2").inputValue(), "photo_id");
      await p.getByRole("button", { name: "Create folder" }).click();
      await p.getByRole("heading", { name: "Folder", exact: true }).waitFor();
      folderUrl = p.url();
      await p.locator(".media-grid img").nth(1).waitFor();
      await p.getByLabel("biometry", { exact: true }).check();
      await p.getByLabel("quality", { exact: true }).check();
      await p.getByRole("button", { name: "Start analyses" }).click();
      const bio = p.locator(".analysis[data-type=BIOMETRY]");
      await bio.locator("h3 .badge.SUCCESS").waitFor({ timeout: 60_000 });
      assert.match(await bio.locator(".meter").first().getAttribute("aria-label"), /^min_confidence \(match\): [01]\.\d{3}, threshold 0\.850$/);
      const quality = p.locator(".analysis[data-type=QUALITY]");
      await quality.locator("h3 .badge.SUCCESS").waitFor({ timeout: 60_000 });
      await quality.locator("img.shot").first().waitFor();
      assert.ok(await quality.locator("img.shot").first().evaluate((img) => img.complete && img.naturalWidth > 0), "the best shot loads");
      assert.match(await quality.locator(".meter").first().getAttribute("aria-label"), /^confidence_spoofing: /);
      await p.done();
      await both(b, "folder", async (q) => {
        await signIn(q, ADMIN);
        await q.goto(folderUrl);
        await q.locator(".analysis[data-type=BIOMETRY] h3 .badge.SUCCESS").waitFor();
        await q.locator(".analysis[data-type=QUALITY] details summary").first().click();
      });
      await both(b, "folders", async (q) => {
        await signIn(q, ADMIN);
        await q.locator("table a").first().waitFor();
      });
    });

    await t.test("an administrator creates an operator, who decides an OPERATOR_REQUIRED analysis", async () => {
      const p = await page(b);
      await signIn(p, ADMIN);
      await p.getByRole("link", { name: "Users" }).click();
      await p.getByLabel("Email").fill(operator.email);
      await p.getByLabel("Password").fill(operator.password);
      await p.getByLabel("First name").fill("Olga");
      await p.getByLabel("Last name").fill("Operator");
      await p.getByLabel("Role").selectOption("OPERATOR");
      await p.getByRole("button", { name: "Create user" }).click();
      await p.getByRole("cell", { name: operator.email }).waitFor();
      await p.done();
      for (const [name, heading] of [["users", "Users"], ["companies", "Companies"]]) {
        await both(b, name, async (q) => {
          await signIn(q, ADMIN);
          await q.getByRole("link", { name: heading }).click();
          await q.getByRole("heading", { name: heading }).waitFor();
          await q.locator("tbody tr").first().waitFor();
        });
      }

      // A band every score below 1 falls in: OPERATOR_REQUIRED (the same person scores 0.9999+).
      const token = await login(ADMIN);
      const folderId = folderUrl.split("/").pop();
      await call("POST", `/api/folders/${folderId}/analyses`, {
        token,
        json: { analyses: [{ type: "biometry", params: { threshold_min: 0.01, threshold_max: 1.0 } }] },
      });
      const o = await page(b);
      await signIn(o, operator);
      await o.goto(folderUrl);
      const pending = o.locator(".analysis[data-type=BIOMETRY]", { has: o.locator("h3 .badge.OPERATOR_REQUIRED") });
      await pending.waitFor({ timeout: 60_000 });
      await screenshot(o, "operator-decision-desktop");
      await pending.getByRole("button", { name: "Approve" }).click();
      await o.locator(".decided").getByText(/Operator decision: SUCCESS by OPERATOR/).waitFor();
      assert.equal(await o.getByRole("button", { name: "Approve" }).count(), 0, "nothing left to decide");
      await o.done();
    });

    await t.test("enrol a person in a collection and get a hit", async () => {
      const p = await page(b);
      await signIn(p, ADMIN);
      await p.getByRole("link", { name: "Collections" }).click();
      await p.getByLabel("Alias").fill(`watchlist-${Date.now()}`);
      await p.getByRole("button", { name: "Create collection" }).click();
      await p.getByRole("heading", { name: /^Collection watchlist-/ }).waitFor();
      collectionUrl = p.url();
      await p.getByLabel("Name (meta_data.name)").fill("Eileen");
      await p.getByLabel("File 1", { exact: true }).setInputFiles(SELFIE);
      await p.getByRole("button", { name: "Enrol person" }).click();
      await p.getByRole("cell", { name: /"name":"Eileen"/ }).waitFor({ timeout: 60_000 });
      await p.goto(folderUrl);
      await p.getByLabel("collection", { exact: true }).check();
      await p.getByRole("button", { name: "Start analyses" }).click();
      const hit = p.locator(".analysis[data-type=COLLECTION]");
      await hit.locator("h3 .badge.DECLINED").waitFor({ timeout: 60_000 });
      await hit.getByText("Hit:").waitFor();
      await p.done();
      await both(b, "collection", async (q) => {
        await signIn(q, ADMIN);
        await q.goto(collectionUrl);
        await q.getByRole("cell", { name: /"name":"Eileen"/ }).waitFor();
      });
      await both(b, "login", async (q) => {
        await q.goto(`${API}/`);
        await q.getByLabel("Email").waitFor();
      });
    });

    await t.test("a CLIENT sees no admin pages and cannot delete folders", async () => {
      const client = await newUser("CLIENT");
      const p = await page(b, { width: 375 });
      await signIn(p, client);
      const nav = p.getByRole("navigation", { name: "Main" });
      assert.deepEqual(await nav.getByRole("link").allTextContents(), ["Folders", "Collections", "Capture", "API reference"]);
      await p.goto(`${API}/#/companies`);
      await p.getByRole("heading", { name: "Folders" }).waitFor();
      await p.goto(`${API}/#/users`);
      await p.getByRole("heading", { name: "Folders" }).waitFor();
      await p.getByText("New folder").click();
      await p.getByLabel("File 1", { exact: true }).setInputFiles(SELFIE);
      await p.getByRole("button", { name: "Create folder" }).click();
      await p.getByRole("heading", { name: "Folder", exact: true }).waitFor();
      assert.equal(await p.getByRole("button", { name: "Delete folder" }).count(), 0);
      await p.getByRole("link", { name: "Collections" }).click();
      await p.getByRole("heading", { name: "Collections" }).waitFor();
      assert.equal(await p.getByRole("button", { name: "Create collection" }).count(), 0);
      await screenshot(p, "client-collections-phone");
      await p.getByRole("button", { name: "Log out" }).click();
      await p.getByLabel("Email").waitFor();
      await p.done();
    });
  } finally {
    await b.close();
  }
});
