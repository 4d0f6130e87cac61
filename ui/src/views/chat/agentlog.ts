// A chat pane's agent log: the end of what the agent wrote to stderr (the
// session's scrollback), shown on demand under the header, and its toggle.

import type { Ctx } from '../../context';
import { h } from '../../lib/dom';

/** The agent log shows this much of the end of the agent's stderr. */
const LOG_TAIL = 200 * 1024;

export class AgentLog {
  /** Shows and hides the log: it goes in the pane's header. */
  readonly button: HTMLButtonElement;
  /** The agent's stderr (the session's scrollback), shown on demand. */
  private readonly text = h('pre', { class: 'chat-agent-log', 'data-testid': 'chat-agent-log', 'aria-label': "The agent's log (its stderr)", tabindex: 0 });
  readonly el = h('div', { class: 'chat-agent-log-box', hidden: true }, this.text);
  private asked = 0;

  constructor(
    private readonly ctx: Ctx,
    private readonly session: string,
  ) {
    this.button = h('button', {
      class: 'btn btn-sm chat-log-toggle',
      type: 'button',
      'data-testid': 'chat-log-toggle',
      'aria-pressed': 'false',
      title: "The agent's log: what it wrote to stderr",
      text: 'Log',
      onclick: () => this.toggle(),
    });
  }

  private toggle(): void {
    const open = this.el.hidden;
    this.el.hidden = !open;
    this.button.setAttribute('aria-pressed', String(open));
    this.button.classList.toggle('active', open);
    if (open) void this.load();
  }

  /** The end of the agent's stderr, as text (lossy UTF-8), escaped by being text. */
  private async load(): Promise<void> {
    const asked = ++this.asked;
    this.text.textContent = 'Loading…';
    const sb = await this.ctx.readScrollback(this.session);
    if (asked !== this.asked) return;
    if (!sb) {
      this.text.textContent = 'The log could not be read.';
      return;
    }
    // Keep the last LOG_TAIL bytes as they come: a long log never sits whole in the page.
    let parts: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const piece of sb.pieces) {
        parts.push(piece);
        size += piece.byteLength;
        while (parts.length > 1 && size - (parts[0]?.byteLength ?? 0) >= LOG_TAIL) size -= parts.shift()?.byteLength ?? 0;
      }
    } catch (err) {
      if (asked === this.asked) this.text.textContent = `The log could not be read: ${String(err)}`;
      return;
    }
    if (asked !== this.asked) return;
    const all = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.byteLength;
    }
    parts = [];
    const tail = all.byteLength > LOG_TAIL ? all.subarray(all.byteLength - LOG_TAIL) : all;
    const text = new TextDecoder('utf-8', { fatal: false }).decode(tail);
    this.text.textContent = text.length > 0 ? (tail === all ? text : `…\n${text}`) : 'The agent has written nothing to its log.';
    this.text.scrollTop = this.text.scrollHeight;
  }
}
