// The inline "why are you rejecting this?" prompt: Enter confirms (the reason
// may be empty), Esc cancels. Replaces a row of buttons while it is open.

import { h, icon, ICONS } from '../lib/dom';

let open: (() => void) | null = null;

/** How the prompt is worded: rejecting a change (the default) or denying an action. */
export interface ReasonWords {
  /** The confirm button's word. */
  verb: string;
  /** "rejecting", "denying". */
  gerund: string;
  testid: string;
  /** The confirm button's test id, if it has one. */
  confirmTestid?: string;
}

const REJECT: ReasonWords = { verb: 'Reject', gerund: 'rejecting', testid: 'reject-reason' };

/**
 * Shows the prompt in `host` (hiding `hide` meanwhile) and resolves with the
 * reason ('' for none) or null when cancelled. Only one prompt is open at a time.
 */
export function askReason(host: HTMLElement, hide: HTMLElement, what: string, words: ReasonWords = REJECT): Promise<string | null> {
  open?.();
  return new Promise((resolve) => {
    const input = h('input', {
      class: 'reason-input',
      type: 'text',
      'data-testid': words.testid,
      'aria-label': `Reason for ${words.gerund} ${what} (optional)`,
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
      h('button', { class: 'btn btn-reject btn-sm', type: 'submit', 'data-testid': words.confirmTestid, 'aria-label': `Confirm ${words.verb.toLowerCase()} ${what}` }, words.verb),
      h('button', { class: 'icon-button', type: 'button', 'aria-label': `Cancel ${words.verb.toLowerCase()}`, title: 'Cancel (Esc)', onclick: cancel }, icon(ICONS.x)),
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
