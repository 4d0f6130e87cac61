// Keyboard review: j/k hunks, n/p files, a/r/e/c the current hunk, A/R the
// current file, o fold a file, u undo, ? for help. Keys typed into inputs,
// editors or the terminal are left alone.

import type { Ctx } from '../context';
import { h, icon, ICONS } from '../lib/dom';
import type { ReviewView } from './review';

const HELP: [string, string][] = [
  ['j / k', 'next / previous hunk'],
  ['n / p', 'next / previous file'],
  ['a', 'approve the current hunk'],
  ['r', 'reject the current hunk (type a reason, Enter; Esc cancels)'],
  ['e', 'edit the hunk before approving (Ctrl+Enter approves, Esc cancels)'],
  ['c', 'comment on the current hunk (Ctrl+Enter saves, Esc cancels); “Send review” sends the comments to the agent'],
  ['A / R', 'approve / reject the current file'],
  ['o', 'fold or unfold the current file'],
  ['u', 'undo your last decision (an approval, or a rejection the agent has not overwritten)'],
  ['Tab', 'to an action card, then a: allow once, A: always allow, r: deny with a reason'],
  ['Esc', 'in a chat: cancel the running turn (Enter sends, Shift+Enter breaks the line, ↑ on an empty box recalls)'],
  ['Ctrl+F', 'find in the terminal (⌘F on a Mac); Enter / Shift+Enter next / previous'],
  ['Shift+click', 'select a range of line checkboxes; “Approve N lines” lands them and drops the rest of the hunk'],
  ['?', 'show or hide this help'],
];

/** Where typing goes to text, not to review keys. */
function typingIn(t: EventTarget | null): boolean {
  if (!(t instanceof Element)) return false;
  if (t.closest('textarea, select, [contenteditable=""], [contenteditable="true"], .xterm, .cm-editor')) return true;
  if (t instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color'].includes(t.type);
  return false;
}

export function installKeys(review: ReviewView, ctx: Ctx, root: HTMLElement): { toggleHelp(): void } {
  const close = h(
    'button',
    { class: 'icon-button', type: 'button', 'aria-label': 'Close keyboard shortcuts', title: 'Close (Esc)', onclick: () => help.close() },
    icon(ICONS.x),
  );
  const help = h(
    'dialog',
    { class: 'help', 'data-testid': 'help-dialog', 'aria-labelledby': 'help-title' },
    h('div', { class: 'help-head' }, h('h2', { class: 'help-title', id: 'help-title', text: 'Keyboard shortcuts' }), h('span', { class: 'spacer' }), close),
    h('dl', {}, ...HELP.flatMap(([k, what]) => [h('dt', {}, ...k.split(' / ').flatMap((x, i) => [i ? ' / ' : '', h('kbd', { text: x })])), h('dd', { text: what })])),
    h('p', { class: 'help-foot', text: 'Keys work anywhere except while typing in a box, an editor or the terminal. Everything is also a button.' }),
  );
  root.append(help);
  const toggleHelp = () => {
    if (help.open) help.close();
    else help.showModal();
  };

  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    if (typingIn(ev.target)) return;
    if (help.open) {
      if (ev.key === '?') {
        ev.preventDefault();
        help.close();
      }
      return;
    }
    if (document.querySelector('dialog[open]')) return;
    switch (ev.key) {
      case 'j':
        review.move(1);
        break;
      case 'k':
        review.move(-1);
        break;
      case 'n':
        review.moveFile(1);
        break;
      case 'p':
        review.moveFile(-1);
        break;
      case 'a':
        review.act('approve');
        break;
      case 'r':
        review.act('reject');
        break;
      case 'e':
        review.act('edit');
        break;
      case 'c':
        review.act('comment');
        break;
      case 'A':
        review.actFile('approve');
        break;
      case 'R':
        review.actFile('reject');
        break;
      case 'o':
        review.toggleFile();
        break;
      case 'u':
        void ctx.undoLast();
        break;
      case '?':
        toggleHelp();
        break;
      default:
        return;
    }
    ev.preventDefault();
  });
  return { toggleHelp };
}
