// The camera: getUserMedia into a <video>, frames drawn onto canvases, JPEG encoding, and the
// brightness measure behind the "too dark" hint.

/** Starts the user-facing camera in `video`; resolves to the stream once frames play. */
export async function openCamera(video) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error("this browser gives no camera access (getUserMedia); use HTTPS or localhost");
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } },
    audio: false,
  });
  video.srcObject = stream;
  video.muted = true;
  video.playsInline = true;
  await video.play();
  if (!video.videoWidth) {
    await new Promise((ok) => video.addEventListener("loadedmetadata", ok, { once: true }));
  }
  return stream;
}

/** Stops every track of `stream`. */
export function closeCamera(stream) {
  stream?.getTracks().forEach((t) => t.stop());
}

/** The current frame of `video` on a canvas whose longer side is at most `maxSide`. */
export function grab(video, maxSide) {
  const scale = Math.min(1, maxSide / Math.max(video.videoWidth, video.videoHeight));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/** `canvas` as JPEG bytes. */
export function jpeg(canvas, quality = 0.92) {
  return new Promise((ok, fail) =>
    canvas.toBlob((b) => (b ? ok(b) : fail(new Error("the frame could not be encoded"))), "image/jpeg", quality),
  );
}

/** Mean luma (0–255, Rec. 601) of `canvas`, on every fourth pixel. */
export function brightness(canvas) {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < data.length; i += 16) {
    sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    n++;
  }
  return n ? sum / n : 0;
}
