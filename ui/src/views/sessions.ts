// The left sidebar: the "new session" form and the list of sessions.

import type { Ctx } from '../context';
import type { SessionInfo } from '../ipc/bindings';
import { splitCommand } from '../lib/argv';
import { h, icon, ICONS } from '../lib/dom';

export class SessionsView {
  readonly el: HTMLElement;
  private readonly list = h('ul', { class: 'session-list', 'aria-label': 'Sessions' });
  private readonly input: HTMLInputElement;
  private readonly start: HTMLButtonElement;

  constructor(private readonly ctx: Ctx) {
    this.input = h('input', {
      type: 'text',
      class: 'command-input',
      'data-testid': 'new-session-command',
      'aria-label': 'Command for the new session',
      placeholder: 'command (default: $SHELL)',
      autocomplete: 'off',
      spellcheck: false,
    });
    this.start = h(
      'button',
      { class: 'btn btn-primary', type: 'submit', 'data-testid': 'new-session-start', 'aria-label': 'Start session' },
      icon(ICONS.play),
      'Start',
    );
    const form = h(
      'form',
      { class: 'new-session', onsubmit: (ev: SubmitEvent) => void this.submit(ev) },
      h('label', { class: 'section-label', for: 'new-session-command', text: 'New session' }),
      h(
        'div',
        { class: 'new-session-row' },
        this.input,
        h('div', { class: 'new-session-foot' }, h('span', { class: 'hint', text: 'Runs in a private stage of this project' }), this.start),
      ),
    );
    this.input.id = 'new-session-command';
    this.el = h(
      'aside',
      { class: 'sidebar', 'aria-label': 'Sessions' },
      form,
      h('div', { class: 'section-label sessions-label', text: 'Sessions' }),
      this.list,
    );
    ctx.store.on('sessions', () => this.render());
    ctx.store.on('selection', () => this.render());
    ctx.store.on('changes', () => this.render());
    this.render();
  }

  private async submit(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    if (this.start.disabled) return;
    const words = splitCommand(this.input.value);
    this.start.disabled = true;
    try {
      await this.ctx.startSession(words.length > 0 ? words : undefined);
      this.input.value = '';
    } finally {
      this.start.disabled = false;
    }
  }

  private render(): void {
    const { store } = this.ctx;
    const sessions = store.sessionList();
    if (sessions.length === 0) {
      this.list.replaceChildren(
        h('li', { class: 'empty empty-sessions' }, h('p', { text: 'No sessions yet — start one with a command, or your shell' })),
      );
      return;
    }
    this.list.replaceChildren(...sessions.reverse().map((s) => this.item(s, s.id === store.selected)));
  }

  private item(s: SessionInfo, selected: boolean): HTMLElement {
    const pending = this.ctx.store.pendingHunks(s.id);
    const state = s.state === 'running' ? 'running' : s.exitCode === null ? 'exited' : `exited ${s.exitCode}`;
    const select = () => this.ctx.store.select(s.id);
    const li = h(
      'li',
      {
        class: `session-item${selected ? ' selected' : ''} state-${s.state}`,
        'data-testid': 'session-item',
        'data-session-id': s.id,
        'data-state': s.state,
        'aria-current': selected ? 'true' : null,
      },
      h(
        'button',
        { class: 'session-select', type: 'button', title: s.command.join(' '), 'aria-label': `Session ${s.name}, ${s.mode}, ${state}`, onclick: select },
        h('span', { class: `state-dot state-${s.state}`, 'aria-hidden': 'true' }),
        h(
          'span',
          { class: 'session-main' },
          h('span', { class: 'session-name', text: s.name }),
          h(
            'span',
            { class: 'session-meta' },
            h('span', { class: `badge badge-mode mode-${s.mode}`, text: s.mode }),
            h('span', {
              class: `session-state${s.state === 'exited' && s.exitCode !== 0 ? ' failed' : ''}`,
              text: s.state === 'running' ? 'running' : s.exitCode === null ? 'exited' : `exited (${s.exitCode})`,
            }),
          ),
        ),
        pending > 0 ? h('span', { class: 'pending-count', title: `${pending} hunks wait for you`, text: String(pending) }) : null,
      ),
      s.state === 'running'
        ? h(
            'button',
            {
              class: 'icon-button session-stop',
              type: 'button',
              'aria-label': `Stop session ${s.name}`,
              title: 'Stop this session',
              onclick: () => void this.ctx.stopSession(s.id),
            },
            icon(ICONS.stop),
          )
        : h('span', { class: 'session-stop-slot', 'aria-hidden': 'true' }),
    );
    return li;
  }
}
