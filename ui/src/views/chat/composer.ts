// The prompt box: Enter sends, Shift+Enter breaks the line, Up on an empty box
// recalls earlier prompts, `@` completes a file path and `/` (at the start) one
// of the agent's commands; Esc closes the list, or cancels a running turn.

import type { ChatChoice } from '../../ipc/bindings';
import { h, icon, ICONS } from '../../lib/dom';
import { fuzzyFilter } from './fuzzy';

export interface ComposerHost {
  /** Sends a prompt; resolves false when it was not sent (the text is put back). */
  send(text: string): Promise<boolean>;
  cancel(): void;
  /** Prompts sent so far, oldest first. */
  history(): string[];
  commands(): ChatChoice[];
  /** Paths `@` may complete. */
  paths(): string[];
}

interface Completion {
  value: string;
  detail?: string;
}

interface Completing {
  kind: '@' | '/';
  /** Where the `@` or `/` is. */
  start: number;
  /** The caret. */
  end: number;
  items: Completion[];
  selected: number;
}

let popupIds = 0;

const PLACEHOLDER = 'Message the agent…';

export class Composer {
  readonly el: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly cancelButton: HTMLButtonElement;
  private readonly popup: HTMLUListElement;
  private readonly popupId = `chat-completion-${++popupIds}`;
  private completing: Completing | null = null;
  /** While recalling: the history index shown. */
  private recalled: number | null = null;
  private busy = false;
  private sending = false;
  /** Sending is not possible now (see `setDisabled`). */
  private blocked = false;

  constructor(private readonly host: ComposerHost) {
    this.input = h('textarea', {
      class: 'chat-input',
      'data-testid': 'chat-input',
      rows: 1,
      'aria-label': 'Message to the agent',
      'aria-autocomplete': 'list',
      'aria-controls': this.popupId,
      placeholder: PLACEHOLDER,
      spellcheck: true,
    });
    this.popup = h('ul', { class: 'chat-completion', id: this.popupId, role: 'listbox', 'data-testid': 'chat-completion', hidden: true });
    this.sendButton = h(
      'button',
      { class: 'btn btn-primary btn-sm chat-send', type: 'button', 'data-testid': 'chat-send', title: 'Send (Enter)', onclick: () => void this.send() },
      icon(ICONS.arrowUp),
      'Send',
    );
    this.cancelButton = h(
      'button',
      { class: 'btn btn-sm chat-cancel', type: 'button', 'data-testid': 'chat-cancel', title: 'Cancel the turn (Esc)', hidden: true, onclick: () => host.cancel() },
      icon(ICONS.stop),
      'Cancel',
    );
    this.el = h(
      'div',
      { class: 'chat-composer' },
      this.popup,
      h('div', { class: 'chat-input-row' }, this.input, h('div', { class: 'chat-input-buttons' }, this.cancelButton, this.sendButton)),
    );
    this.input.addEventListener('keydown', (ev) => this.onKey(ev));
    this.input.addEventListener('input', () => {
      this.recalled = null;
      this.grow();
      this.complete();
    });
    this.input.addEventListener('click', () => this.complete());
    this.input.addEventListener('blur', () => this.close());
    // A click in the list must not take the focus from the box first.
    this.popup.addEventListener('mousedown', (ev) => ev.preventDefault());
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.cancelButton.hidden = !busy;
    this.renderSend();
  }

  /**
   * Disables sending, with why (null enables it). `typing` keeps the box
   * open meanwhile (a prompt can be written while the agent starts).
   */
  setDisabled(why: string | null, typing = false): void {
    this.blocked = why !== null;
    this.input.disabled = why !== null && !typing;
    this.el.classList.toggle('disabled', this.input.disabled);
    this.input.placeholder = why ?? PLACEHOLDER;
    if (this.input.disabled) this.close();
    this.renderSend();
  }

  focus(): void {
    if (!this.input.disabled) this.input.focus();
  }

  /** What may be completed changed (a list came in): the open list, or the word being typed, is matched again. */
  refresh(): void {
    if (this.completing || document.activeElement === this.input) this.complete();
  }

  private renderSend(): void {
    this.sendButton.disabled = this.busy || this.sending || this.blocked;
    this.sendButton.title = this.busy
      ? 'The agent is working — wait for the turn to end, or cancel it (Esc)'
      : this.blocked
        ? this.input.placeholder
        : 'Send (Enter)';
  }

  private async send(): Promise<void> {
    const text = this.input.value.replace(/\s+$/, '');
    if (text.trim() === '' || this.busy || this.sending || this.blocked) return;
    this.sending = true;
    this.renderSend();
    this.input.value = '';
    this.recalled = null;
    this.close();
    this.grow();
    try {
      const sent = await this.host.send(text);
      // Refused: the prompt is put back unless something new was typed meanwhile.
      if (!sent && this.input.value === '') {
        this.input.value = text;
        this.grow();
      }
    } finally {
      this.sending = false;
      this.renderSend();
    }
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.isComposing) return;
    const c = this.completing;
    if (c) {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        const n = c.items.length;
        c.selected = (c.selected + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
        this.renderPopup();
        return;
      }
      if ((ev.key === 'Enter' && !ev.shiftKey) || ev.key === 'Tab') {
        ev.preventDefault();
        this.accept(c.selected);
        return;
      }
      if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        this.close();
        return;
      }
    }
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      ev.preventDefault();
      void this.send();
      return;
    }
    if (ev.key === 'ArrowUp' && !ev.shiftKey && this.recall(-1)) {
      ev.preventDefault();
      return;
    }
    if (ev.key === 'ArrowDown' && !ev.shiftKey && this.recalled !== null && this.recall(1)) {
      ev.preventDefault();
      return;
    }
    if (ev.key === 'Escape' && this.busy) {
      ev.preventDefault();
      ev.stopPropagation();
      this.host.cancel();
    }
  }

  /** Up on an empty box (or on a prompt just recalled) goes back in history; Down forward. */
  private recall(by: -1 | 1): boolean {
    const history = this.host.history();
    const value = this.input.value;
    const browsing = this.recalled !== null && history[this.recalled] === value;
    if (!browsing && value !== '') return false;
    const from = browsing && this.recalled !== null ? this.recalled : history.length;
    const next = from + by;
    if (next < 0) return browsing; // at the oldest: stay
    if (next >= history.length) {
      this.recalled = null;
      this.input.value = '';
    } else {
      this.recalled = next;
      this.input.value = history[next] ?? '';
    }
    this.grow();
    const end = this.input.value.length;
    this.input.setSelectionRange(end, end);
    return true;
  }

  /** Fits the box to its text, up to a limit (then it scrolls). */
  private grow(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 240)}px`;
  }

  /** Opens, updates or closes the list for the word at the caret. */
  private complete(): void {
    const caret = this.input.selectionStart;
    if (caret !== this.input.selectionEnd) return this.close();
    const before = this.input.value.slice(0, caret);
    const at = /(^|\s)@([^\s@]*)$/.exec(before);
    const slash = /^\/(\S*)$/.exec(before);
    let kind: '@' | '/';
    let query: string;
    let items: Completion[];
    if (at) {
      kind = '@';
      query = at[2] ?? '';
      items = fuzzyFilter(query, new Set(this.host.paths()), (p) => p).map((value) => ({ value }));
    } else if (slash) {
      kind = '/';
      query = slash[1] ?? '';
      items = fuzzyFilter(query, this.host.commands(), (c) => c.id).map((c) => (c.description ? { value: c.id, detail: c.description } : { value: c.id }));
    } else return this.close();
    if (items.length === 0) {
      this.close();
      return;
    }
    const start = caret - query.length - 1;
    const prev = this.completing;
    const keep = prev && prev.kind === kind && prev.start === start ? items.findIndex((i) => i.value === prev.items[prev.selected]?.value) : -1;
    this.completing = { kind, start, end: caret, items, selected: Math.max(0, keep) };
    this.renderPopup();
  }

  private renderPopup(): void {
    const c = this.completing;
    if (!c) return;
    this.popup.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.popup.replaceChildren(
      ...c.items.map((item, i) =>
        h(
          'li',
          {
            class: `chat-completion-item${i === c.selected ? ' selected' : ''}`,
            role: 'option',
            id: `${this.popupId}-${i}`,
            'aria-selected': String(i === c.selected),
            'data-testid': 'chat-completion-item',
            'data-value': item.value,
            onclick: () => this.accept(i),
          },
          h('span', { class: 'chat-completion-value', text: `${c.kind}${item.value}` }),
          item.detail ? h('span', { class: 'chat-completion-detail', text: item.detail }) : null,
        ),
      ),
    );
    this.input.setAttribute('aria-activedescendant', `${this.popupId}-${c.selected}`);
    this.popup.children[c.selected]?.scrollIntoView({ block: 'nearest' });
  }

  private accept(i: number): void {
    const c = this.completing;
    const item = c?.items[i];
    if (!c || !item) return;
    const value = this.input.value;
    const insert = `${c.kind}${item.value} `;
    const rest = value.slice(c.end).replace(/^\S*/, '');
    this.input.value = value.slice(0, c.start) + insert + rest.replace(/^ /, '');
    const caret = c.start + insert.length;
    this.input.setSelectionRange(caret, caret);
    this.close();
    this.grow();
    this.input.focus();
  }

  private close(): void {
    if (!this.completing) return;
    this.completing = null;
    this.popup.hidden = true;
    this.popup.replaceChildren();
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }
}
