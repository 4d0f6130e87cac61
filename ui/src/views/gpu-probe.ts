// A worker that asks WebGL which GPU draws, off the main thread: creating a
// context costs 20-40 ms, which on the main thread would stall a terminal that
// is already streaming. Posts the renderer's name, or '' when WebGL is
// missing, slow (`failIfMajorPerformanceCaveat`) or will not say.

let renderer = '';
try {
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2', { failIfMajorPerformanceCaveat: true });
  if (gl) {
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    renderer = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
} catch {
  renderer = '';
}
postMessage(renderer);

export {};
