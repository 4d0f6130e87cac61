// The draggable divider between the terminal and the review pane. The width is
// a CSS variable on the workspace and is remembered in localStorage.

const KEY = 'airlock.reviewWidth';
const MIN = 320;

export function installSplitter(workspace: HTMLElement, handle: HTMLElement): void {
  const set = (px: number) => {
    const max = Math.max(MIN, workspace.clientWidth - 480);
    const w = Math.round(Math.min(Math.max(px, MIN), max));
    workspace.style.setProperty('--review-width', `${w}px`);
    return w;
  };
  const saved = Number(localStorage.getItem(KEY) ?? '');
  if (saved > 0) workspace.style.setProperty('--review-width', `${saved}px`);

  handle.addEventListener('pointerdown', (down) => {
    down.preventDefault();
    handle.setPointerCapture(down.pointerId);
    handle.classList.add('dragging');
    const right = workspace.getBoundingClientRect().right;
    const move = (ev: PointerEvent) => set(right - ev.clientX);
    const up = (ev: PointerEvent) => {
      handle.releasePointerCapture(ev.pointerId);
      handle.classList.remove('dragging');
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      try {
        localStorage.setItem(KEY, String(set(right - ev.clientX)));
      } catch {
        // Not remembering the width is fine.
      }
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
  });
  handle.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
    ev.preventDefault();
    const current = parseInt(getComputedStyle(workspace).getPropertyValue('--review-width'), 10) || 560;
    set(current + (ev.key === 'ArrowLeft' ? 32 : -32));
  });
}
