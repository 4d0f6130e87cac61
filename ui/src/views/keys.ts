// Keyboard review: j/k hunks, n/p files, a/r approve/reject the current hunk,
// A/R the current file, ? for help. Keys typed into inputs or the terminal are
// left alone.

import { h } from '../lib/dom';

const HELP: [string, string][] = [
  ['j / k', 'next / previous hunk'],
  ['n / p', 'next / previous file'],
  ['a / r', 'approve / reject the current hunk'],
  ['A / R', 'approve / reject the current file'],
  ['?', 'show or hide this help'],
];

export function installKeys(review: HTMLElement, root: HTMLElement): void {
  const help = h(
    'div',
    { class: 'help', role: 'dialog', 'aria-label': 'Keyboard shortcuts', hidden: true },
    h('div', { class: 'help-title', text: 'Keyboard shortcuts' }),
    h('dl', {}, ...HELP.flatMap(([k, what]) => [h('dt', {}, h('kbd', { text: k })), h('dd', { text: what })])),
  );
  root.append(help);

  const hunks = () => [...review.querySelectorAll<HTMLElement>('[data-testid="hunk"]')];
  const current = () => review.querySelector<HTMLElement>('.hunk.current');
  const setCurrent = (el: HTMLElement | undefined) => {
    if (!el) return;
    current()?.classList.remove('current');
    el.classList.add('current');
    el.scrollIntoView({ block: 'nearest' });
  };
  const step = (by: number) => {
    const all = hunks();
    const at = all.indexOf(current() as HTMLElement);
    setCurrent(all[Math.min(Math.max(at + by, 0), all.length - 1)] ?? all[0]);
  };
  const stepFile = (by: number) => {
    const files = [...review.querySelectorAll<HTMLElement>('[data-testid="change-file"]')];
    const at = files.findIndex((f) => f.contains(current()));
    const file = files[Math.min(Math.max(at + by, 0), files.length - 1)] ?? files[0];
    setCurrent(file?.querySelector<HTMLElement>('[data-testid="hunk"]') ?? undefined);
  };
  const press = (testid: string, within: HTMLElement | null) => within?.querySelector<HTMLButtonElement>(`[data-testid="${testid}"]`)?.click();

  review.addEventListener('click', (ev) => {
    const hunk = (ev.target as Element).closest<HTMLElement>('[data-testid="hunk"]');
    if (hunk) setCurrent(hunk);
  });

  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target as HTMLElement | null;
    if (t && (t.closest('input, textarea, select, [contenteditable], .xterm') !== null)) return;
    const file = current()?.closest<HTMLElement>('[data-testid="change-file"]') ?? null;
    switch (ev.key) {
      case 'j':
        step(1);
        break;
      case 'k':
        step(-1);
        break;
      case 'n':
        stepFile(1);
        break;
      case 'p':
        stepFile(-1);
        break;
      case 'a':
        press('hunk-approve', current());
        break;
      case 'r':
        press('hunk-reject', current());
        break;
      case 'A':
        press('file-approve', file);
        break;
      case 'R':
        press('file-reject', file);
        break;
      case '?':
        help.hidden = !help.hidden;
        break;
      case 'Escape':
        help.hidden = true;
        return;
      default:
        return;
    }
    ev.preventDefault();
  });
}
