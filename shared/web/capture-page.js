// /capture: standalone (a form: token or the console's session, action, reference photo), or
// framed by oz-liveness.js (?embed=1: the options come by postMessage from the parent page).

import { ACTIONS, runCapture } from "./capture.js";

const root = document.getElementById("capture-root");
const params = new URLSearchParams(location.search);

if (params.get("embed") === "1" && window.parent !== window) {
  let parentOrigin = null;
  const post = (type, data) => window.parent.postMessage({ type, data }, parentOrigin || "*");
  window.addEventListener("message", async (event) => {
    if (event.source !== window.parent || event.data?.type !== "open" || parentOrigin) return;
    parentOrigin = event.origin;
    document.body.classList.add("embedded");
    await runCapture(root, event.data.options || {}, post);
  });
  window.parent.postMessage({ type: "ready" }, "*");
} else {
  standalone();
}

function standalone() {
  const form = document.getElementById("capture-form");
  const select = document.getElementById("capture-action");
  for (const [value, label] of [["passive", "Passive (hold still)"], ["random", "A random gesture"]].concat(
    Object.entries(ACTIONS)
      .filter(([tag]) => tag !== "video_selfie_blank")
      .map(([tag, text]) => [tag, text]),
  )) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.append(o);
  }
  const stored = JSON.parse(sessionStorage.getItem("oz-session") || "null");
  document.getElementById("capture-session").textContent = stored?.user
    ? `Signed in to the console as ${stored.user.email}.`
    : "Not signed in to the console: paste an access token.";
  const preset = params.get("action");
  if (preset) select.value = preset;
  form.hidden = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const token = document.getElementById("capture-token").value.trim() || stored?.access_token;
    const reference = document.getElementById("capture-reference").files[0];
    const box = document.createElement("div");
    root.append(box);
    form.hidden = true;
    const again = () => location.assign(location.pathname + location.search);
    const opts = { token, action: select.value, reference, folder_id: params.get("folder_id") || undefined };
    await runCapture(box, opts, (kind, data) => (kind === "close" ? again() : console.info("capture", kind, data)));
    const link = document.createElement("a");
    link.href = location.pathname + location.search;
    link.textContent = "Capture again";
    box.append(link);
  });
}
