// The console: a hash-routed page per object (login, folders, a folder, collections, a
// collection, companies, users) over the same API every client uses. What the signed-in role
// may not do is not offered; any refusal shows the API's `error_message`.

import { Api, folderForm } from "./api.js";
import { analysisCard, badge, h, present, table, when } from "./views.js";

const api = new Api({ store: sessionStorage });
const view = document.getElementById("view");

const TAGS = [
  "photo_selfie", "photo_id", "photo_id_front", "photo_id_back", "video_selfie", "video_selfie_blank",
  "video_selfie_eyes", "video_selfie_smile", "video_selfie_left", "video_selfie_right", "video_selfie_high",
  "video_selfie_down", "video_selfie_zoom_in", "video_selfie_zoom_out", "video_selfie_scan",
  "orientation_portrait", "orientation_landscape",
];

/** What the signed-in user's role may do. */
function can(what) {
  const role = api.user?.user_type;
  const rules = {
    companies: ["ADMIN"],
    users: ["ADMIN", "CLIENT ADMIN"],
    write_folders: ["ADMIN", "CLIENT", "CLIENT ADMIN", "CLIENT SERVICE"],
    delete_folders: ["ADMIN", "CLIENT ADMIN"],
    decide: ["OPERATOR", "CLIENT OPERATOR"],
    read_persons: ["ADMIN", "CLIENT ADMIN", "OPERATOR", "CLIENT OPERATOR"],
    manage_collections: ["ADMIN", "CLIENT ADMIN"],
  };
  return (rules[what] || []).includes(role);
}

const analysisAllowed = (type) => api.user?.[`can_start_analysis_${type}`] !== false;

/** The message area of a page: errors show the API's `error_message`. */
function alertBox() {
  return h("p", { class: "error", role: "alert" });
}

/** Runs `fn`, showing its failure in `box`; `button` is disabled meanwhile. */
async function attempt(box, fn, button) {
  box.textContent = "";
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (e) {
    box.textContent = e.message;
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

function render(title, ...children) {
  document.title = `${title} · oz-api console`;
  view.replaceChildren(h("h1", {}, title), ...present(children));
  view.focus({ preventScroll: true });
}

function nav(current) {
  const links = [["folders", "Folders"], ["collections", "Collections"]];
  if (can("companies")) links.push(["companies", "Companies"]);
  if (can("users")) links.push(["users", "Users"]);
  document.getElementById("nav").replaceChildren(
    ...present([
      api.user ? links.map(([id, text]) => h("a", { href: `#/${id}`, "aria-current": current === id ? "page" : null }, text)) : [],
      api.user ? h("a", { href: "/capture" }, "Capture") : null,
      h("a", { href: "/docs" }, "API reference"),
    ]),
  );
  document.getElementById("who").replaceChildren(
    ...(api.user
      ? [
          `${api.user.email} (${api.user.user_type}) `,
          h("button", { type: "button", class: "secondary", onclick: logout }, "Log out"),
        ]
      : []),
  );
}

async function logout() {
  await api.logout().catch(() => {});
  location.hash = "#/login";
}

api.onLogout = () => {
  location.hash = "#/login";
};

// --- login

function loginPage() {
  const box = alertBox();
  const email = h("input", { id: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit" }, "Log in");
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (e) => {
        e.preventDefault();
        const ok = await attempt(box, () => api.login(email.value, password.value), submit);
        if (!ok) return;
        if (location.hash === "#/folders") route();
        else location.hash = "#/folders";
      },
    },
    h("label", { for: "email" }, "Email"),
    email,
    h("label", { for: "password" }, "Password"),
    password,
    h("p", {}, submit),
    box,
  );
  render("Log in", form);
  email.focus();
}

// --- files with tags (new folder, add media, enrol a person)

function fileRows(defaultTags) {
  const rows = h("div", { class: "file-rows" });
  const datalist = h("datalist", { id: `tags-${Math.random().toString(36).slice(2)}` }, TAGS.map((t) => h("option", { value: t })));
  const add = (tags) => {
    const n = rows.children.length + 1;
    const file = h("input", { type: "file", id: `${datalist.id}-file-${n}`, accept: "image/*,video/mp4,video/quicktime,application/zip" });
    const tag = h("input", { id: `${datalist.id}-tags-${n}`, list: datalist.id, value: tags, placeholder: "tags, comma separated" });
    rows.append(
      h(
        "div",
        { class: "row file-row" },
        h("div", {}, h("label", { for: file.id }, `File ${n}`), file),
        h("div", {}, h("label", { for: tag.id }, `Tags of file ${n}`), tag),
      ),
    );
  };
  add(defaultTags[0] || "");
  const more = h("button", { type: "button", class: "secondary", onclick: () => add(defaultTags[rows.children.length] || "") }, "Add another file");
  const collect = () => {
    const files = [];
    const tags = {};
    [...rows.children].forEach((row, i) => {
      const [file, tag] = row.querySelectorAll("input");
      if (!file.files[0]) return;
      const key = `file${i + 1}`;
      files.push([key, file.files[0]]);
      tags[key] = tag.value.split(",").map((t) => t.trim()).filter(Boolean);
    });
    return { files, tags };
  };
  return { element: h("div", {}, rows, datalist, more), collect };
}

// --- folders

async function foldersPage(params) {
  const box = alertBox();
  const q = {
    offset: Number(params.get("offset") || 0),
    limit: Number(params.get("limit") || 20),
    sorting: params.get("sorting") || "-time_created",
    resolution_status: params.get("resolution_status") || "",
    meta_data: params.get("meta_data") || "",
    "time_created.min": params.get("from") ? Date.parse(params.get("from")) / 1000 : "",
    "time_created.max": params.get("to") ? Date.parse(params.get("to")) / 1000 + 86399 : "",
  };
  const filters = h(
    "form",
    {
      class: "inline card",
      "aria-label": "Filters",
      onsubmit: (e) => {
        e.preventDefault();
        const f = new FormData(e.target);
        const p = new URLSearchParams();
        for (const [k, v] of f) if (v) p.set(k, v);
        location.hash = `#/folders?${p}`;
      },
    },
    h("div", {}, h("label", { for: "f-status" }, "Status"),
      h("select", { id: "f-status", name: "resolution_status" },
        ["", "INITIAL", "PROCESSING", "FINISHED", "FAILED"].map((s) =>
          h("option", { value: s, selected: s === q.resolution_status }, s || "any")))),
    h("div", {}, h("label", { for: "f-from" }, "Created from"), h("input", { id: "f-from", name: "from", type: "date", value: params.get("from") || "" })),
    h("div", {}, h("label", { for: "f-to" }, "Created to"), h("input", { id: "f-to", name: "to", type: "date", value: params.get("to") || "" })),
    h("div", {}, h("label", { for: "f-meta" }, "meta_data (key==value)"), h("input", { id: "f-meta", name: "meta_data", value: q.meta_data })),
    h("div", {}, h("label", { for: "f-sort" }, "Order"),
      h("select", { id: "f-sort", name: "sorting" },
        [["-time_created", "newest first"], ["time_created", "oldest first"]].map(([v, t]) =>
          h("option", { value: v, selected: v === q.sorting }, t)))),
    h("button", { type: "submit" }, "Apply"),
  );
  const create = can("write_folders") ? newFolderForm() : null;
  const list = h("div", {}, h("p", {}, "Loading…"));
  render("Folders", create, filters, box, list);
  const page = await attempt(box, () => api.get("/api/folders", { ...q, with_media: "true" }));
  if (!page) return list.replaceChildren();
  const go = (offset) => {
    const p = new URLSearchParams(params);
    p.set("offset", Math.max(0, offset));
    return `#/folders?${p}`;
  };
  const total = page.total_count ?? page.items.length;
  list.replaceChildren(
    table(
      [
        ["folder", (f) => h("a", { href: `#/folders/${f.folder_id}` }, h("code", {}, f.folder_id))],
        ["created", (f) => when(f.time_created)],
        ["media", (f) => String((f.media || []).length)],
        ["status", (f) => f.resolution_status],
        ["decision", (f) => badge(f.system_resolution)],
      ],
      page.items,
      { empty: "No folder matches." },
    ),
    h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      q.offset > 0 ? h("a", { href: go(q.offset - q.limit) }, "Previous") : null,
      h("span", {}, `${total ? q.offset + 1 : 0}–${q.offset + page.items.length} of ${total}`),
      q.offset + page.items.length < total ? h("a", { href: go(q.offset + q.limit) }, "Next") : null,
    ),
  );
}

function newFolderForm() {
  const box = alertBox();
  const rows = fileRows(["photo_selfie", "photo_id"]);
  const submit = h("button", { type: "submit" }, "Create folder");
  return h(
    "details",
    { class: "card" },
    h("summary", {}, "New folder"),
    h(
      "form",
      {
        onsubmit: async (e) => {
          e.preventDefault();
          const { files, tags } = rows.collect();
          const f = await attempt(box, () => api.request("POST", "/api/folders", { form: folderForm(files, { "media:tags": tags }) }), submit);
          if (f) location.hash = `#/folders/${f.folder_id}`;
        },
      },
      rows.element,
      h("p", {}, submit),
      box,
    ),
  );
}

let refresher = null;

async function folderPage(id) {
  const box = alertBox();
  const folder = await attempt(box, () => api.get(`/api/folders/${id}`, { with_analyses: "true", with_media: "true" }));
  if (!folder) return render("Folder", box);
  const media = folder.media || [];
  const byId = Object.fromEntries(media.map((m) => [m.media_id, m]));
  const mediaName = (mid) => byId[mid]?.original_name || mid || "—";
  const analyses = (folder.analyses || []).slice().sort((a, b) => b.time_created - a.time_created);

  const grid = h(
    "div",
    { class: "media-grid" },
    media.map((m) =>
      h(
        "figure",
        { "data-media": m.media_id },
        m.media_type === "IMAGE_FOLDER" && m.original_url
          ? h("img", { src: m.original_url, alt: m.original_name, loading: "lazy" })
          : h("div", { class: "shot" }, m.media_type === "SHOTS_SET" ? "shot set" : "video"),
        h("figcaption", {}, m.original_name, h("br"), (m.tags || []).map((t) => h("span", { class: "tag" }, t))),
      ),
    ),
  );

  const actions = [];
  if (can("write_folders")) actions.push(addMediaForm(id), startForm(id));
  if (can("delete_folders")) {
    const del = h("button", {
      type: "button",
      class: "danger",
      onclick: async () => {
        if (!confirm("Delete this folder, its media and analyses?")) return;
        const ok = await attempt(box, () => api.request("DELETE", `/api/folders/${id}`), del);
        if (ok !== undefined) location.hash = "#/folders";
      },
    }, "Delete folder");
    actions.push(h("p", {}, del));
  }
  const decide = can("decide")
    ? async (a, to) => {
        const ok = await attempt(box, () => api.request("PATCH", `/api/analyses/${a.analyse_id}`, { json: { resolution_status: to } }));
        if (ok) route();
      }
    : null;

  render(
    "Folder",
    h("p", {}, h("code", {}, folder.folder_id), " ", badge(folder.system_resolution), " ", folder.resolution_status, " · ", when(folder.time_created)),
    Object.keys(folder.meta_data || {}).length ? h("p", {}, "meta_data: ", h("code", {}, JSON.stringify(folder.meta_data))) : null,
    box,
    h("h2", {}, `Media (${media.length})`),
    grid,
    ...actions,
    h("h2", {}, `Analyses (${analyses.length})`),
    analyses.length ? null : h("p", {}, "No analysis yet."),
    analyses.map((a) => analysisCard(a, mediaName, { thresholds: a.engine?.thresholds || {}, decide })),
  );
  if (analyses.some((a) => a.state === "PROCESSING")) {
    refresher = setTimeout(() => {
      if (location.hash === `#/folders/${id}`) route();
    }, 1500);
  }
}

function addMediaForm(id) {
  const box = alertBox();
  const rows = fileRows(["photo_selfie"]);
  const submit = h("button", { type: "submit" }, "Upload");
  return h(
    "details",
    { class: "card" },
    h("summary", {}, "Upload media"),
    h(
      "form",
      {
        onsubmit: async (e) => {
          e.preventDefault();
          const { files, tags } = rows.collect();
          const ok = await attempt(box, () => api.request("POST", `/api/folders/${id}/media`, { form: folderForm(files, { "media:tags": tags }) }), submit);
          if (ok) route();
        },
      },
      rows.element,
      h("p", {}, submit),
      box,
    ),
  );
}

function startForm(id) {
  const box = alertBox();
  const types = ["quality", "biometry", "collection"].filter(analysisAllowed);
  const boxes = types.map((t) => h("input", { type: "checkbox", id: `a-${t}`, value: t }));
  const collection = h("select", { id: "a-collection", "aria-label": "Collection" });
  const submit = h("button", { type: "submit" }, "Start analyses");
  api.get("/api/collections").then(
    (page) =>
      collection.replaceChildren(
        ...(page.items.length
          ? page.items.map((c) => h("option", { value: c.collection_id }, c.alias || c.collection_id))
          : [h("option", { value: "", disabled: true, selected: true }, "no collection yet")]),
      ),
    () => {},
  );
  return h(
    "form",
    {
      class: "card inline",
      "aria-label": "Start analyses",
      onsubmit: async (e) => {
        e.preventDefault();
        const analyses = boxes
          .filter((b) => b.checked)
          .map((b) => (b.value === "collection" ? { type: "collection", params: { collection_id: collection.value } } : { type: b.value }));
        if (!analyses.length) return (box.textContent = "Choose at least one analysis.");
        const ok = await attempt(box, () => api.request("POST", `/api/folders/${id}/analyses`, { json: { analyses } }), submit);
        if (ok) route();
      },
    },
    boxes.map((b) => h("span", {}, b, " ", h("label", { for: b.id, class: "inline" }, b.value))),
    types.includes("collection") ? collection : null,
    submit,
    box,
  );
}

// --- collections

async function collectionsPage() {
  const box = alertBox();
  const page = await attempt(box, () => api.get("/api/collections"));
  let create = null;
  if (can("manage_collections")) {
    const alias = h("input", { id: "c-alias", required: true });
    const submit = h("button", { type: "submit" }, "Create collection");
    create = h(
      "form",
      {
        class: "card inline",
        onsubmit: async (e) => {
          e.preventDefault();
          const ok = await attempt(box, () => api.request("POST", "/api/collections", { json: { alias: alias.value, company_id: api.user.company_id } }), submit);
          if (ok) location.hash = `#/collections/${ok.collection_id}`;
        },
      },
      h("div", {}, h("label", { for: "c-alias" }, "Alias"), alias),
      submit,
    );
  }
  render(
    "Collections",
    create,
    box,
    page
      ? table(
          [
            ["alias", (c) => (can("read_persons") ? h("a", { href: `#/collections/${c.collection_id}` }, c.alias || "—") : c.alias || "—")],
            ["collection_id", (c) => h("code", {}, c.collection_id)],
            ["created", (c) => when(c.time_created)],
          ],
          page.items,
          { empty: "No collection yet." },
        )
      : null,
  );
}

async function collectionPage(cid) {
  const box = alertBox();
  const [c, persons] = await Promise.all([
    attempt(box, () => api.get(`/api/collections/${cid}`)),
    attempt(box, () => api.get(`/api/collections/${cid}/persons`)),
  ]);
  if (!c) return render("Collection", box);
  const enrol = can("manage_collections") ? enrolForm(cid) : null;
  const del = can("manage_collections")
    ? h("button", {
        type: "button",
        class: "danger",
        onclick: async () => {
          if (!confirm("Delete this collection and its persons?")) return;
          const ok = await attempt(box, () => api.request("DELETE", `/api/collections/${cid}`));
          if (ok !== undefined) location.hash = "#/collections";
        },
      }, "Delete collection")
    : null;
  const removePerson = async (p) => {
    const ok = await attempt(box, () => api.request("DELETE", `/api/collections/${cid}/persons/${p.person_id}`));
    if (ok !== undefined) route();
  };
  render(
    `Collection ${c.alias || ""}`,
    h("p", {}, h("code", {}, c.collection_id)),
    box,
    enrol,
    h("h2", {}, `Persons (${persons?.total_count ?? persons?.items?.length ?? 0})`),
    persons
      ? table(
          [
            ["person", (p) => h("code", {}, p.person_id)],
            ["meta_data", (p) => h("code", {}, JSON.stringify(p.meta_data || {}))],
            ["images", (p) => String(p.images?.length ?? p.image_count ?? "")],
            ["", (p) => (can("manage_collections") ? h("button", { type: "button", class: "secondary", onclick: () => removePerson(p) }, "Remove") : "")],
          ],
          persons.items,
          { empty: "No person enrolled." },
        )
      : null,
    del ? h("p", {}, del) : null,
  );
}

function enrolForm(cid) {
  const box = alertBox();
  const rows = fileRows(["photo_selfie"]);
  const name = h("input", { id: "p-name", placeholder: "e.g. case 1234" });
  const submit = h("button", { type: "submit" }, "Enrol person");
  return h(
    "form",
    {
      class: "card",
      "aria-label": "Enrol a person",
      onsubmit: async (e) => {
        e.preventDefault();
        const { files, tags } = rows.collect();
        const payload = { "media:tags": tags, "person:meta_data": name.value ? { name: name.value } : {} };
        const ok = await attempt(box, () => api.request("POST", `/api/collections/${cid}/persons`, { form: folderForm(files, payload) }), submit);
        if (ok) route();
      },
    },
    h("h2", {}, "Enrol a person"),
    h("label", { for: "p-name" }, "Name (meta_data.name)"),
    name,
    rows.element,
    h("p", {}, submit),
    box,
  );
}

// --- companies and users

async function companiesPage() {
  const box = alertBox();
  const page = await attempt(box, () => api.get("/api/companies"));
  const name = h("input", { id: "co-name", required: true });
  const submit = h("button", { type: "submit" }, "Create company");
  render(
    "Companies",
    h(
      "form",
      {
        class: "card inline",
        onsubmit: async (e) => {
          e.preventDefault();
          const ok = await attempt(box, () => api.request("POST", "/api/companies", { json: { name: name.value } }), submit);
          if (ok) route();
        },
      },
      h("div", {}, h("label", { for: "co-name" }, "Name"), name),
      submit,
    ),
    box,
    page
      ? table(
          [
            ["name", (c) => c.name],
            ["company_id", (c) => h("code", {}, c.company_id)],
            ["created", (c) => when(c.time_created)],
          ],
          page.items,
        )
      : null,
  );
}

const ROLES = ["CLIENT", "CLIENT ADMIN", "CLIENT OPERATOR", "CLIENT SERVICE", "OPERATOR", "ADMIN"];

async function usersPage() {
  const box = alertBox();
  const page = await attempt(box, () => api.get("/api/users"));
  const field = (id, label, attrs = {}) => [h("label", { for: id }, label), h("input", { id, required: true, ...attrs })];
  const role = h("select", { id: "u-role" }, ROLES.filter((r) => api.user.user_type === "ADMIN" || r.startsWith("CLIENT")).map((r) => h("option", { value: r }, r)));
  const companies = api.user.user_type === "ADMIN" ? await api.get("/api/companies").catch(() => null) : null;
  const company = companies
    ? h("select", { id: "u-company" }, companies.items.map((c) => h("option", { value: c.company_id, selected: c.company_id === api.user.company_id }, c.name)))
    : null;
  const submit = h("button", { type: "submit" }, "Create user");
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (e) => {
        e.preventDefault();
        const v = (id) => form.querySelector(`#${id}`).value;
        const body = {
          email: v("u-email"),
          password: v("u-password"),
          first_name: v("u-first"),
          last_name: v("u-last"),
          user_type: role.value,
          company_id: company ? company.value : api.user.company_id,
        };
        const ok = await attempt(box, () => api.request("POST", "/api/users", { json: body }), submit);
        if (ok) route();
      },
    },
    h("div", { class: "grid2" },
      h("div", {}, ...field("u-email", "Email", { type: "email" })),
      h("div", {}, ...field("u-password", "Password", { type: "password", autocomplete: "new-password" })),
      h("div", {}, ...field("u-first", "First name")),
      h("div", {}, ...field("u-last", "Last name")),
      h("div", {}, h("label", { for: "u-role" }, "Role"), role),
      company ? h("div", {}, h("label", { for: "u-company" }, "Company"), company) : null),
    h("p", {}, submit),
  );
  render(
    "Users",
    form,
    box,
    page
      ? table(
          [
            ["email", (u) => u.email],
            ["name", (u) => `${u.first_name} ${u.last_name}`],
            ["role", (u) => u.user_type],
            ["active", (u) => (u.is_active ? "yes" : "no")],
            ["created", (u) => when(u.time_created)],
          ],
          page.items,
        )
      : null,
  );
}

// --- routing

function route() {
  clearTimeout(refresher);
  const [path, query] = location.hash.slice(1).split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean);
  if (!api.session) {
    nav("login");
    return loginPage();
  }
  nav(parts[0]);
  if (parts[0] === "folders" && parts[1]) return folderPage(parts[1]);
  if (parts[0] === "collections" && parts[1]) return collectionPage(parts[1]);
  if (parts[0] === "collections") return collectionsPage();
  if (parts[0] === "companies" && can("companies")) return companiesPage();
  if (parts[0] === "users" && can("users")) return usersPage();
  if (parts[0] === "login") {
    location.hash = "#/folders";
    return undefined;
  }
  return foldersPage(params);
}

window.addEventListener("hashchange", route);
route();
