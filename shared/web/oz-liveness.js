// The embeddable liveness capture, shaped like the Oz Web SDK:
//
//   <script src="https://YOUR-API/web/oz-liveness.js"></script>
//   OzLiveness.open({ token, action: "passive" | "random" | "eyes" | ..., meta, folder_id,
//                     reference, on_capture_complete, on_result, on_complete, on_error,
//                     on_close });
//   OzLiveness.close();
//
// A classic script, so it loads from the API's origin on any page without CORS. It frames the
// API's own /capture page (full screen, camera allowed) and relays the page's messages to the
// callbacks; the token reaches the frame by postMessage, never in a URL.
(function () {
  "use strict";
  const script = document.currentScript;
  const origin = new URL(script ? script.src : location.href).origin;
  let frame = null;
  let listener = null;

  function close() {
    if (listener) window.removeEventListener("message", listener);
    if (frame) frame.remove();
    frame = null;
    listener = null;
  }

  async function open(options) {
    close();
    const opts = options || {};
    const call = (name, data) => {
      try {
        if (typeof opts[name] === "function") opts[name](data);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    };
    let token;
    try {
      token = typeof opts.get_token === "function" ? await opts.get_token() : opts.token;
    } catch (e) {
      call("on_error", { error_code: null, error_message: `get_token failed: ${e.message}` });
      return;
    }
    frame = document.createElement("iframe");
    frame.src = `${origin}/capture?embed=1`;
    frame.title = "Liveness check";
    frame.allow = "camera";
    // Through CSSOM, which a host page's CSP allows where it refuses a style attribute.
    Object.assign(frame.style, {
      position: "fixed",
      inset: "0",
      width: "100%",
      height: "100%",
      border: "0",
      zIndex: "2147483647",
      background: "#0b0f14",
    });
    const sent = {
      type: "open",
      options: {
        token,
        action: opts.action,
        meta: opts.meta,
        folder_id: opts.folder_id,
        reference: opts.reference,
        duration_ms: opts.duration_ms,
        fps: opts.fps,
      },
    };
    listener = (event) => {
      if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
      const { type, data } = event.data || {};
      if (type === "ready") frame.contentWindow.postMessage(sent, origin);
      else if (type === "capture_complete") call("on_capture_complete", data);
      else if (type === "result") call("on_result", data);
      else if (type === "complete") call("on_complete", data);
      else if (type === "error") call("on_error", data);
      else if (type === "close") {
        close();
        call("on_close", null);
      }
    };
    window.addEventListener("message", listener);
    document.body.appendChild(frame);
  }

  window.OzLiveness = { open, close };
})();
