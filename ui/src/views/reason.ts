// The inline "why are you rejecting this?" prompt: Enter confirms (the reason
// may be empty), Esc cancels. Replaces a row of buttons while it is open.

import { h, icon, ICONS } from '../lib/dom';

let open: (() => void) | null = null;

/**
 * Shows the prompt in `host` (hiding `hide` meanwhile) and resolves with the
 * reason ('' for none) or null when cancelled. Only one prompt is open at a time.
 */
export function askReason(host: HTMLElement, hide: HTMLElement, what: string): Promise<string | null> {
  open?.();
  return new Promise((resolve) => {
    const input = h('input', {
      class: 'reason-input',
      type: 'text',
      'data-testid': 'reject-reason',
      'aria-label': `Reason for rejecting ${what} (optional)`,
      placeholder: 'Why? (optional, the agent reads it) · Enter · Esc',
      autocomplete: 'off',
      spellcheck: false,
    });
    const finish = (value: string | null) => {
      form.remove();
      hide.hidden = false;
      if (open === cancel) open = null;
      resolve(value);
    };
    const cancel = () => finish(null);
    const form = h(
      'form',
      {
        class: 'reason-form',
        onsubmit: (ev: SubmitEvent) => {
          ev.preventDefault();
          finish(input.value.trim());
        },
      },
      input,
      h('button', { class: 'btn btn-reject btn-sm', type: 'submit', 'aria-label': `Confirm reject ${what}` }, 'Reject'),
      h('button', { class: 'icon-button', type: 'button', 'aria-label': 'Cancel reject', title: 'Cancel (Esc)', onclick: cancel }, icon(ICONS.x)),
    );
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        cancel();
      }
    });
    open = cancel;
    hide.hidden = true;
    host.append(form);
    input.focus();
  });
}
