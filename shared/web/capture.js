// The liveness capture: camera with a face guide and live hints, a passive capture or one
// gesture, frames as JPEG into a ZIP shot set, upload, `quality` (+ `biometry` against a
// reference photo), and the verdict. Reports through the Oz Web SDK's callbacks:
// on_capture_complete, on_result, on_complete, on_error.

import { Api, folderForm, waitForAnalyses } from "./api.js";
import { brightness, closeCamera, grab, jpeg, openCamera } from "./camera.js";
import { zip } from "./zip.js";

/** The actions a capture can ask for: the Oz tag and what the person is told. */
export const ACTIONS = {
  video_selfie_blank: "Look at the camera and hold still",
  video_selfie_eyes: "Blink a few times",
  video_selfie_smile: "Smile",
  video_selfie_left: "Turn your head to the left, then back",
  video_selfie_right: "Turn your head to the right, then back",
  video_selfie_high: "Raise your head, then back",
  video_selfie_down: "Lower your head, then back",
  video_selfie_zoom_in: "Move the phone closer to your face",
  video_selfie_zoom_out: "Move the phone away from your face",
  video_selfie_scan: "Turn your head slowly left and right",
};

const GESTURES = Object.keys(ACTIONS).filter((a) => a !== "video_selfie_blank");

/** The action tag for `action` ("random" picks a gesture; default passive). */
export function chooseAction(action) {
  if (!action || action === "passive") return "video_selfie_blank";
  if (action === "random") return GESTURES[Math.floor(Math.random() * GESTURES.length)];
  const tag = action.startsWith("video_selfie") ? action : `video_selfie_${action}`;
  if (!ACTIONS[tag]) throw new Error(`unknown action ${action}: use one of ${Object.keys(ACTIONS).join(", ")}`);
  return tag;
}

/** What to tell the person about a frame, or null when it is good to capture. */
export function hintFor(luma, check) {
  if (luma < 50) return "Too dark: face a light";
  if (!check) return null; // the face check is unavailable: capture anyway
  if (check.faces === 0) return "No face: look at the camera";
  if (check.faces > 1) return "Only one face, please";
  const [x1, , x2] = check.face;
  if ((x2 - x1) / check.width < 0.18) return "Too far: come closer";
  return null;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/**
 * Runs one capture in `root`. `opts`: {token, base, action, meta, folder_id, reference (a photo
 * Blob), duration_ms, fps}; `emit(kind, data)` receives capture_complete, result, complete,
 * error and close. Resolves to the finished folder, or null when cancelled.
 */
export async function runCapture(root, opts, emit) {
  const api = new Api({ base: opts.base || "", token: opts.token });
  const action = chooseAction(opts.action);
  const fps = Math.max(8, opts.fps || 10);
  const duration = opts.duration_ms || (action === "video_selfie_blank" ? 3000 : 4000);

  const video = el("video", { "aria-label": "Camera preview", autoplay: "", muted: "", playsinline: "" });
  const guide = el("div", { class: "guide", "aria-hidden": "true" });
  const hint = el("p", { class: "hint", role: "status", "aria-live": "polite" }, "Starting the camera…");
  const prompt = el("p", { class: "prompt" }, ACTIONS[action]);
  const progress = el("progress", { max: "100", value: "0", "aria-label": "Capture progress" });
  const cancel = el("button", { type: "button", class: "secondary" }, "Cancel");
  const verdict = el("div", { class: "verdict", role: "status", "aria-live": "polite" });
  root.replaceChildren(
    el("div", { class: "capture" }, el("div", { class: "stage" }, video, guide), prompt, hint, progress, verdict, cancel),
  );

  let stream = null;
  let cancelled = false;
  // Cancel (during the capture) and Close (after it) both end the capture; an embedding page
  // removes its frame on "close".
  cancel.addEventListener("click", () => {
    cancelled = true;
    closeCamera(stream);
    emit("close", null);
  });
  try {
    stream = await openCamera(video);
    await waitUntilReady(api, video, hint, () => cancelled);
    if (cancelled) return null;

    hint.textContent = "Recording…";
    guide.classList.add("recording");
    const frames = await record(video, fps, duration, progress, () => cancelled);
    closeCamera(stream);
    if (cancelled) return null;
    // The camera is off now: the middle frame stands in for it while the result comes.
    video.replaceWith(el("img", { src: URL.createObjectURL(frames[frames.length >> 1]), alt: "The captured face" }));
    const shots = zip(
      await Promise.all(
        frames.map(async (b, i) => ({
          name: `frame_${String(i).padStart(3, "0")}.jpg`,
          bytes: new Uint8Array(await b.arrayBuffer()),
        })),
      ),
    );
    emit("capture_complete", { action, frames: frames.length, fps, bytes: shots.size });

    hint.textContent = "Checking…";
    const folder = await upload(api, opts, action, shots);
    emit("result", summary(folder));
    showVerdict(verdict, folder);
    hint.textContent = "";
    emit("complete", summary(folder));
    return folder;
  } catch (e) {
    closeCamera(stream);
    hint.textContent = e.message;
    hint.classList.add("error");
    emit("error", { error_code: e.code ?? null, error_message: e.message });
    return null;
  } finally {
    cancel.textContent = "Close";
  }
}

/** Shows hints until two checks in a row are good (about one second). */
async function waitUntilReady(api, video, hint, isCancelled) {
  let good = 0;
  let checks = true;
  while (!isCancelled() && good < 2) {
    const small = grab(video, 320);
    let check = null;
    if (checks) {
      try {
        check = await api.request("POST", "/api/instant/face", {
          body: await jpeg(small, 0.8),
          headers: { "Content-Type": "image/jpeg" },
        });
      } catch (e) {
        if (e.status === 401 || e.status === 403) throw e;
        checks = false; // engine loading or unavailable: no face hints
      }
    }
    const h = hintFor(brightness(small), check);
    hint.textContent = h || "Hold still…";
    good = h ? 0 : good + 1;
    await new Promise((ok) => setTimeout(ok, 400));
  }
}

/** JPEG frames at `fps` for `duration` ms. */
async function record(video, fps, duration, progress, isCancelled) {
  const pending = [];
  const start = performance.now();
  for (let i = 0; !isCancelled(); i++) {
    const due = start + (i * 1000) / fps;
    if (due - start >= duration) break;
    await new Promise((ok) => setTimeout(ok, Math.max(0, due - performance.now())));
    pending.push(jpeg(grab(video, 960)));
    progress.value = Math.round(((due - start) / duration) * 100);
  }
  progress.value = 100;
  return Promise.all(pending);
}

/** Uploads the shot set (and the reference photo), runs the analyses, waits for them. */
async function upload(api, opts, action, shots) {
  const files = [["video", shots, "capture.zip"]];
  const tags = { video: ["video_selfie", action] };
  if (opts.reference) {
    files.push(["reference", opts.reference, opts.reference.name || "reference.jpg"]);
    tags.reference = ["photo_id"];
  }
  const payload = { "media:tags": tags };
  if (opts.meta) payload["media:meta_data"] = { video: opts.meta };
  let folderId = opts.folder_id;
  if (folderId) {
    await api.request("POST", `/api/folders/${folderId}/media`, { form: folderForm(files, payload) });
  } else {
    if (opts.meta) payload["folder:meta_data"] = opts.meta;
    folderId = (await api.request("POST", "/api/folders", { form: folderForm(files, payload) })).folder_id;
  }
  const analyses = [{ type: "quality" }];
  if (opts.reference) analyses.push({ type: "biometry" });
  const started = await api.request("POST", `/api/folders/${folderId}/analyses`, { json: { analyses } });
  return waitForAnalyses(api, folderId, started.map((a) => a.analyse_id));
}

/** What the callbacks receive: the folder's decision and each analysis' result. */
function summary(folder) {
  return {
    folder_id: folder.folder_id,
    state: folder.resolution_status,
    resolution: folder.system_resolution,
    analyses: (folder.analyses || []).map((a) => ({
      analyse_id: a.analyse_id,
      type: a.type,
      state: a.state,
      resolution: a.resolution,
      results_media: (a.results_media || []).map((r) => ({
        source_media_id: r.source_media_id,
        resolution: r.resolution_status,
        confidence_spoofing: r.results_data?.confidence_spoofing ?? null,
        gesture: r.results_data?.gesture ?? null,
      })),
      min_confidence: a.results_data?.min_confidence ?? null,
    })),
  };
}

function showVerdict(box, folder) {
  const ok = folder.system_resolution === "SUCCESS";
  const lines = [];
  for (const a of folder.analyses || []) {
    for (const r of a.results_media || []) {
      const d = r.results_data || {};
      if (d.gesture && !d.gesture.performed) lines.push(`Gesture not seen: ${d.gesture.reason}`);
      if (typeof d.confidence_spoofing === "number") {
        lines.push(`Spoof score ${d.confidence_spoofing.toFixed(3)} (declined at 0.5 and above)`);
      }
      if (d.reason) lines.push(d.reason);
    }
    if (a.type === "BIOMETRY" && a.results_data?.min_confidence != null) {
      lines.push(`Match score ${a.results_data.min_confidence.toFixed(3)}`);
    }
  }
  box.className = `verdict ${ok ? "ok" : "bad"}`;
  box.replaceChildren(
    el("strong", { "data-resolution": folder.system_resolution }, ok ? "Live person: passed" : `Not passed (${folder.system_resolution})`),
    ...lines.map((l) => el("p", {}, l)),
  );
}
