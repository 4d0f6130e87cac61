// A modal dialog as the drawers and the sidebar open them: a title with a
// close button, the body, an error line (an engine's refusal is shown here,
// not in a banner) and Cancel beside the main button. It removes itself
// when closed.

import { h, icon, ICONS } from './dom';

export function dialogShell(
  title: string,
  testid: string,
  body: HTMLElement[],
  main: HTMLButtonElement,
  kind?: string,
): { dialog: HTMLDialogElement; error: HTMLElement } {
  const error = h('pre', { class: 'commit-error', 'data-testid': `${testid}-error`, role: 'alert', hidden: true });
  const dialog = h(
    'dialog',
    { class: kind ? `commit-dialog ${kind}` : 'commit-dialog', 'data-testid': testid, 'aria-label': title },
    h('div', { class: 'help-head' }, h('h2', { class: 'help-title', text: title }), h('span', { class: 'spacer' }), h('button', { class: 'icon-button', type: 'button', 'aria-label': 'Close', onclick: () => dialog.close() }, icon(ICONS.x))),
    ...body,
    error,
    h('div', { class: 'commit-actions' }, h('button', { class: 'btn', type: 'button', text: 'Cancel', onclick: () => dialog.close() }), main),
  );
  dialog.addEventListener('close', () => dialog.remove());
  return { dialog, error };
}
