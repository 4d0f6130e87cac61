// The left sidebar: the "new session" form (terminal or chat, command, name,
// staged or gated) and the list of sessions with whose turn it is, what
// waits, and Stop / Restart / Remove.

import type { Ctx } from '../context';
import type { KnownAgent, SessionInfo, SessionKind, SessionMode, NetworkMode, TurnState } from '../ipc/bindings';
import { splitCommand } from '../lib/argv';
import { h, icon, ICONS } from '../lib/dom';

const MODE_HINT: Record<SessionMode, string> = {
  staged: 'Staged: the agent works in a private copy of the project; its edits wait here for review.',
  gated:
    'Gated: the agent runs in your project and asks Airlock before every edit and command — Claude Code only. Other agents run staged.',
};

const CHAT_HINT: Record<SessionMode, string> = {
  staged: 'Chat, staged: the ACP agent works in a private copy of the project; its edits wait here for review, and risky tool calls ask you first.',
  gated:
    'Chat, gated: the ACP agent works in your project and every write it sends through Airlock waits for you — only for agents that write that way (Gemini). Others run staged.',
};

/** A command's words as one line that splitCommand reads back the same. */
function joinCommand(words: string[]): string {
  return words.map((w) => (w === '' || /[\s'"\\]/.test(w) ? `'${w.replace(/'/g, `'\\''`)}'` : w)).join(' ');
}

/** What the sidebar says for a turn. */
function turnWord(s: SessionInfo): string {
  switch (s.turn) {
    case 'running':
      return 'running';
    case 'waiting':
      return 'waiting for you';
    case 'idle':
      return 'idle';
    case 'exited':
      return s.exitCode === null ? 'exited' : `exited (${s.exitCode})`;
  }
}

/** The turn, trusting `state` when the two disagree for a moment (an exit announced before the turn). */
function turnOf(s: SessionInfo): TurnState {
  return s.state === 'exited' ? 'exited' : s.turn === 'exited' ? 'idle' : s.turn;
}

/** What waits for the user in a session: actions to allow or deny, hunks to review. */
function counts(actions: number, pending: number): HTMLElement {
  return h(
    'span',
    { class: 'session-counts' },
    actions > 0
      ? h('span', {
          class: 'pending-count pending-actions',
          'data-testid': 'session-actions',
          title: `${actions} ${actions === 1 ? 'action waits' : 'actions wait'} for you to allow or deny`,
          text: String(actions),
        })
      : null,
    pending > 0 ? h('span', { class: 'pending-count', title: `${pending} hunks wait for you`, text: String(pending) }) : null,
  );
}

/** A session's name with what waits in it, and a line with its mode, kind and turn. */
function sessionMain(s: SessionInfo, turn: TurnState, word: string, waiting: HTMLElement): HTMLElement {
  return h(
    'span',
    { class: 'session-main' },
    h('span', { class: 'session-line' }, h('span', { class: 'session-name', text: s.name }), waiting),
    h(
      'span',
      { class: 'session-meta' },
      h('span', { class: `badge badge-mode mode-${s.mode}`, text: s.mode }),
      s.kind === 'chat' ? h('span', { class: 'badge badge-kind', 'data-testid': 'session-kind', text: 'chat' }) : null,
      h('span', {
        class: `session-turn turn-${turn}${turn === 'exited' && s.exitCode !== null && s.exitCode !== 0 ? ' failed' : ''}`,
        'data-testid': 'session-turn',
        text: word,
      }),
    ),
  );
}

export class SessionsView {
  readonly el: HTMLElement;
  private readonly list = h('ul', { class: 'session-list', 'aria-label': 'Sessions' });
  private readonly input = h('input', {
    type: 'text',
    class: 'command-input',
    id: 'new-session-command',
    'data-testid': 'new-session-command',
    'aria-label': 'Command for the new session',
    placeholder: 'command (default: $SHELL)',
    autocomplete: 'off',
    spellcheck: false,
  });
  private readonly name = h('input', {
    type: 'text',
    class: 'command-input name-input',
    'data-testid': 'new-session-name',
    'aria-label': 'Name for the new session (optional)',
    placeholder: 'name (optional)',
    autocomplete: 'off',
    spellcheck: false,
    maxlength: 80,
  });
  private readonly mode = h(
    'select',
    {
      class: 'mode-select',
      'data-testid': 'new-session-mode',
      'aria-label': 'Mode',
      'aria-describedby': 'new-session-hint',
      title: 'How the agent is held',
      onchange: () => this.renderHint(),
    },
    h('option', { value: 'staged', text: 'staged' }),
    h('option', { value: 'gated', text: 'gated' }),
  );
  private readonly network = h(
    'select',
    {
      class: 'mode-select network-select',
      'data-testid': 'new-session-network',
      'aria-label': 'Network',
      title: 'on: any host · model-only: only the model APIs your policy names, through Airlock\'s proxy · off: no connections',
    },
    h('option', { value: 'on', text: 'network on' }),
    h('option', { value: 'modelOnly', text: 'model-only' }),
    h('option', { value: 'off', text: 'offline' }),
  );
  private readonly kind = h(
    'select',
    {
      class: 'mode-select kind-select',
      'data-testid': 'new-session-kind',
      'aria-label': 'Kind of session',
      title: 'A terminal runs any command in a terminal; a chat talks to an ACP agent',
      onchange: () => this.kindChanged(),
    },
    h('option', { value: 'terminal', text: 'Terminal' }),
    h('option', { value: 'chat', text: 'Chat' }),
  );
  private readonly presets = h(
    'div',
    { class: 'new-session-presets', role: 'group', 'aria-label': 'ACP agents', hidden: true, 'data-testid': 'new-session-presets' },
  );
  private readonly start = h(
    'button',
    { class: 'btn btn-primary', type: 'submit', 'data-testid': 'new-session-start', 'aria-label': 'Start session' },
    icon(ICONS.play),
    'Start',
  );
  private agentsAsked = 0;
  private readonly hint = h('p', { class: 'hint new-session-hint', id: 'new-session-hint', 'data-testid': 'new-session-hint' });
  private readonly error = h('p', { class: 'new-session-error', role: 'alert', 'data-testid': 'new-session-error', hidden: true });
  /** The branch or commit a staged session's stage starts from (empty: HEAD with your uncommitted work). */
  private readonly base = h('input', { type: 'text', class: 'command-input name-input', 'data-testid': 'new-session-base', 'aria-label': 'Start the stage from branch (optional)', placeholder: 'from branch (HEAD)', autocomplete: 'off', spellcheck: false });
  /** Sessions whose removal waits for "discard N pending changes?", with N. */
  private readonly confirming = new Map<string, number>();
  private readonly busy = new Set<string>();

  constructor(private readonly ctx: Ctx) {
    const form = h(
      'form',
      { class: 'new-session', onsubmit: (ev: SubmitEvent) => void this.submit(ev) },
      h('div', { class: 'new-session-head' }, h('label', { class: 'section-label', for: 'new-session-command', text: 'New session' }), this.kind),
      h(
        'div',
        { class: 'new-session-row' },
        this.input,
        this.presets,
        h('div', { class: 'new-session-options' }, this.name, this.mode, this.network, this.base),
        this.hint,
        this.error,
        h('div', { class: 'new-session-foot' }, this.start),
      ),
    );
    // A refusal is about what was typed: typing again clears it.
    for (const el of [this.input, this.name, this.mode, this.kind, this.base]) el.addEventListener('input', () => this.showError(null));
    this.input.addEventListener('input', () => this.pick(null));
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
    ctx.store.on('actions', () => this.render());
    this.renderHint();
    this.render();
  }

  private kindOf(): SessionKind {
    return this.kind.value === 'chat' ? 'chat' : 'terminal';
  }

  private kindChanged(): void {
    const chat = this.kindOf() === 'chat';
    this.presets.hidden = !chat;
    if (chat) void this.loadAgents();
    else this.pick(null);
    this.input.placeholder = chat ? 'ACP agent command' : 'command (default: $SHELL)';
    this.input.setAttribute('aria-label', chat ? 'Command of the ACP agent for the new chat' : 'Command for the new session');
    this.renderHint();
  }

  /** Asks the engine which ACP agents it knows and which are installed (each time Chat is chosen: one may have been installed since). */
  private async loadAgents(): Promise<void> {
    const asked = ++this.agentsAsked;
    const res = await this.ctx.call({ op: 'listAgents' });
    if (asked !== this.agentsAsked || res?.type !== 'agents') return;
    this.presets.replaceChildren(...res.agents.map((a) => (a.installed ? this.preset(a) : this.missing(a))));
  }

  private preset(a: KnownAgent): HTMLElement {
    const command = joinCommand(a.command);
    return h('button', {
      class: 'preset-chip',
      type: 'button',
      'data-testid': 'new-session-preset',
      'data-command': command,
      title: a.gated ? command : `${command} (runs staged only)`,
      text: a.name,
      onclick: () => {
        this.input.value = command;
        this.pick(a);
        this.showError(null);
        this.input.focus();
      },
    });
  }

  /** A known agent that is not installed: greyed, with how to install it. */
  private missing(a: KnownAgent): HTMLElement {
    const hint = h('code', { class: 'preset-install-hint', 'data-testid': 'new-session-install-hint', text: a.install });
    return h(
      'div',
      { class: 'preset-missing', 'data-testid': 'new-session-missing', title: `${a.name} is not installed; install it with: ${a.install}` },
      h('span', { class: 'preset-missing-name', text: `${a.name} · not installed` }),
      hint,
      h('button', {
        class: 'preset-copy',
        type: 'button',
        'aria-label': `Copy the install command of ${a.name}`,
        text: 'Copy',
        onclick: () => {
          const selectHint = () => {
            const range = document.createRange();
            range.selectNodeContents(hint);
            const sel = window.getSelection();
            sel?.removeAllRanges();
            sel?.addRange(range);
          };
          if (!navigator.clipboard) selectHint();
          else
            void navigator.clipboard.writeText(a.install).then(
              () => this.ctx.notify(`Copied: ${a.install}`),
              selectHint,
            );
        },
      }),
    );
  }

  /** The agent picked (null: a command typed by hand). An agent that cannot run gated takes the Gated mode away. */
  private pick(a: KnownAgent | null): void {
    const gated = this.mode.querySelector<HTMLOptionElement>('option[value="gated"]');
    const allowed = a === null || a.gated;
    if (gated) {
      gated.disabled = !allowed;
      gated.title = allowed ? '' : `${a?.name ?? 'This agent'} cannot run gated`;
    }
    if (!allowed && this.mode.value === 'gated') this.mode.value = 'staged';
    this.renderHint();
  }

  private renderHint(): void {
    const mode = this.mode.value === 'gated' ? 'gated' : 'staged';
    this.hint.textContent = this.kindOf() === 'chat' ? CHAT_HINT[mode] : MODE_HINT[mode];
    this.hint.classList.toggle('gated', mode === 'gated');
  }

  private showError(message: string | null): void {
    this.error.hidden = message === null;
    this.error.textContent = message ?? '';
  }

  private async submit(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    if (this.start.disabled) return;
    const words = splitCommand(this.input.value);
    const name = this.name.value.trim();
    const mode: SessionMode = this.mode.value === 'gated' ? 'gated' : 'staged';
    const network = this.network.value as NetworkMode;
    const kind = this.kindOf();
    if (kind === 'chat' && words.length === 0) {
      this.showError('A chat needs the command of an ACP agent: pick one above, or type one.');
      this.input.focus();
      return;
    }
    this.start.disabled = true;
    this.showError(null);
    try {
      const refused = await this.ctx.startSession(words.length > 0 ? words : undefined, {
        ...(name ? { name } : {}),
        mode,
        ...(network !== 'on' ? { network } : {}),
        ...(kind === 'chat' ? { kind } : {}),
        ...(mode === 'staged' && this.base.value.trim() ? { base: this.base.value.trim() } : {}),
      });
      if (refused !== null) {
        this.showError(refused);
        return;
      }
      this.input.value = '';
      this.name.value = '';
    } finally {
      this.start.disabled = false;
    }
  }

  private render(): void {
    const { store } = this.ctx;
    const sessions = store.sessionList();
    for (const id of [...this.confirming.keys()]) if (!store.sessions.has(id)) this.confirming.delete(id);
    if (sessions.length === 0) {
      this.list.replaceChildren(
        h('li', { class: 'empty empty-sessions' }, h('p', { text: 'No sessions yet — start one with a command, or your shell' })),
      );
      return;
    }
    // Rebuilt whole: keep the focus on the same control of the same session.
    const active = document.activeElement as HTMLElement | null;
    const focusItem = active?.closest<HTMLElement>('[data-testid="session-item"]');
    const focus = focusItem && this.list.contains(focusItem) ? { id: focusItem.dataset['sessionId'] ?? '', testid: active?.dataset['testid'] ?? null } : null;
    this.list.replaceChildren(...sessions.reverse().map((s) => this.item(s, s.id === store.selected)));
    if (focus) {
      const item = this.list.querySelector<HTMLElement>(`[data-session-id="${CSS.escape(focus.id)}"]`);
      const again = (focus.testid ? item?.querySelector<HTMLElement>(`[data-testid="${focus.testid}"]`) : null) ?? item?.querySelector<HTMLElement>('.session-select');
      again?.focus();
    }
  }

  private item(s: SessionInfo, selected: boolean): HTMLElement {
    const { store } = this.ctx;
    const pending = store.pendingHunks(s.id);
    const actions = store.pendingActions(s.id);
    const turn = turnOf(s);
    const word = turnWord({ ...s, turn });
    const select = () => this.ctx.store.select(s.id);
    const confirm = this.confirming.get(s.id);
    const busy = this.busy.has(s.id);
    const button = (testid: string, label: string, title: string, ico: string, run: () => Promise<void>) =>
      h(
        'button',
        {
          class: `icon-button session-action ${testid}`,
          type: 'button',
          'data-testid': testid,
          'aria-label': `${label} session ${s.name}`,
          title,
          'aria-busy': busy ? 'true' : null,
          onclick: () => void this.run(s.id, run),
        },
        icon(ico),
      );
    const controls = h(
      'div',
      { class: 'session-controls' },
      s.state === 'running'
        ? button('session-stop', 'Stop', 'Stop this session (its stage and changes stay)', ICONS.stop, () => this.ctx.stopSession(s.id))
        : s.resume
          ? button('session-restart', 'Resume', 'Run the agent again in the same stage, back in its conversation', ICONS.restart, () => this.ctx.restartSession(s.id))
          : button('session-restart', 'Restart', 'Run the same command again in the same stage', ICONS.restart, () => this.ctx.restartSession(s.id)),
      button('session-remove', 'Remove', 'Remove this session and its stage', ICONS.trash, () => this.remove(s, false)),
    );
    const li = h(
      'li',
      {
        class: `session-item${selected ? ' selected' : ''}${busy ? ' busy' : ''} state-${s.state} turn-${turn}`,
        'data-testid': 'session-item',
        'data-session-id': s.id,
        'data-state': s.state,
        'data-turn': turn,
        'aria-current': selected ? 'true' : null,
      },
      h(
        'div',
        { class: 'session-row' },
        h(
          'button',
          {
            class: 'session-select',
            type: 'button',
            title: s.command.join(' '),
            'aria-label': `Session ${s.name}, ${s.mode}, ${word}${actions ? `, ${actions} ${actions === 1 ? 'action' : 'actions'} to decide` : ''}${pending ? `, ${pending} ${pending === 1 ? 'hunk' : 'hunks'} to review` : ''}`,
            onclick: select,
          },
          h('span', { class: `state-dot turn-${turn}`, 'aria-hidden': 'true' }),
          sessionMain(s, turn, word, counts(actions, pending)),
        ),
        controls,
      ),
      confirm !== undefined ? this.confirmRow(s, confirm) : null,
    );
    return li;
  }

  private confirmRow(s: SessionInfo, n: number): HTMLElement {
    const cancel = () => {
      this.confirming.delete(s.id);
      this.render();
      this.list.querySelector<HTMLElement>(`[data-session-id="${CSS.escape(s.id)}"] [data-testid="session-remove"]`)?.focus();
    };
    const row = h(
      'div',
      { class: 'session-confirm', role: 'alertdialog', 'aria-label': `Remove session ${s.name}` },
      h('span', { class: 'session-confirm-text', text: `Discard ${n} pending ${n === 1 ? 'change' : 'changes'} and remove?` }),
      h(
        'div',
        { class: 'session-confirm-buttons' },
        h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'session-remove-cancel', onclick: cancel }, 'Cancel'),
        h(
          'button',
          {
            class: 'btn btn-sm btn-danger',
            type: 'button',
            'data-testid': 'session-remove-confirm',
            onclick: () => void this.run(s.id, () => this.remove(s, true)),
          },
          icon(ICONS.trash),
          'Remove',
        ),
      ),
    );
    row.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Escape') return;
      ev.preventDefault();
      ev.stopPropagation();
      cancel();
    });
    return row;
  }

  private async remove(s: SessionInfo, force: boolean): Promise<void> {
    const out = await this.ctx.removeSession(s.id, force);
    if (out.kind === 'pending') {
      this.confirming.set(s.id, out.changes);
      this.render();
      this.list.querySelector<HTMLElement>(`[data-session-id="${CSS.escape(s.id)}"] [data-testid="session-remove-cancel"]`)?.focus();
    } else {
      this.confirming.delete(s.id);
      if (out.kind === 'removed') this.ctx.notify(`Removed session ${s.name}`);
    }
  }

  /** One request per session at a time; its buttons are disabled meanwhile. */
  private async run(id: string, what: () => Promise<void>): Promise<void> {
    if (this.busy.has(id)) return;
    this.busy.add(id);
    this.render();
    try {
      await what();
    } finally {
      this.busy.delete(id);
      this.render();
    }
  }
}
