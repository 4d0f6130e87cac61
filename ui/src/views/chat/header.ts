// A chat pane's header: the session's title, "working" while a turn runs, the
// agent's settings and mode pickers; and the context window's use, which the
// pane shows in its footer. A choice in a picker is sent to the engine and
// shown once the session it announces says so.

import type { Ctx } from '../../context';
import type { ChatChoice, ChatConfig, ChatInfo, SessionInfo } from '../../ipc/bindings';
import { h, icon, ICONS, replaceChildren } from '../../lib/dom';
import { shield } from '../terminals';

/** Tokens for people: 1200 → "1.2k". */
function tokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export class ChatHeader {
  readonly el: HTMLElement;
  /** The context window's use, for the pane's footer. */
  readonly usage = h('span', { class: 'chat-usage', 'data-testid': 'chat-usage', hidden: true });
  private readonly title = h('div', { class: 'pane-title' });
  private readonly busyEl = h('span', { class: 'chat-busy', 'data-testid': 'chat-busy', hidden: true }, h('span', { class: 'chat-busy-dot' }), 'working');
  private readonly mode: HTMLSelectElement;
  /** The agent's settings, one picker each (the model first). */
  private readonly configs = h('span', { class: 'chat-configs', 'data-testid': 'chat-configs' });
  /** Settings being set: their pickers wait for the engine's word. */
  private readonly setting = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private info: SessionInfo,
    /** Shown at the header's end: the agent log's toggle. */
    end: HTMLElement,
  ) {
    this.mode = h('select', {
      class: 'mode-select chat-mode',
      'data-testid': 'chat-mode',
      'aria-label': "The agent's mode",
      title: "The agent's mode",
      hidden: true,
      onchange: () => void this.setMode(),
    });
    this.el = h('div', { class: 'pane-header chat-header' }, this.title, h('span', { class: 'spacer' }), this.busyEl, this.configs, this.mode, end);
  }

  /** The session as the engine has it now. */
  update(info: SessionInfo): void {
    this.info = info;
    this.renderTitle();
    this.renderMode(info.chat);
    this.renderConfigs(info.chat);
    this.renderUsage(info.chat);
  }

  setBusy(busy: boolean): void {
    this.busyEl.hidden = !busy;
  }

  private renderTitle(): void {
    const s = this.info;
    const agent = s.chat?.agent;
    // The engine names a chat after its agent: then only the version is news.
    const extra = !agent || agent === s.name ? null : agent.startsWith(`${s.name} `) ? agent.slice(s.name.length + 1) : agent;
    replaceChildren(
      this.title,
      icon(ICONS.chat),
      h('span', { class: 'pane-title-name', 'data-testid': 'chat-name', text: s.name }),
      extra ? h('span', { class: 'chat-agent-name', 'data-testid': 'chat-agent', title: agent ?? '', text: extra }) : null,
      s.state === 'exited'
        ? h('span', { class: `badge ${s.exitCode === 0 ? 'badge-muted' : 'badge-danger'}`, text: s.exitCode === null ? 'exited' : `exited ${s.exitCode}` })
        : s.chat
          ? null
          : h('span', { class: 'badge badge-muted', text: 'starting' }),
      shield(s.sandbox),
    );
    this.title.title = s.command.join(' ');
  }

  private renderMode(chat: ChatInfo | undefined): void {
    const modes = chat?.modes ?? [];
    this.mode.hidden = modes.length === 0;
    if (modes.length === 0) return;
    const key = JSON.stringify([modes, chat?.mode]);
    if (this.mode.dataset['key'] === key) return;
    this.mode.dataset['key'] = key;
    // The agent's own mode is shown as it is; none is picked for it.
    const known = modes.some((m) => m.id === chat?.mode);
    replaceChildren(
      this.mode,
      known ? null : h('option', { value: '', disabled: true, text: 'mode…' }),
      ...modes.map((m: ChatChoice) => h('option', { value: m.id, title: m.description ?? m.id, text: m.id })),
    );
    this.mode.value = known ? (chat?.mode ?? '') : '';
    this.mode.title = known ? `Mode: ${chat?.mode} — ${modes.find((m) => m.id === chat?.mode)?.description ?? ''}` : "The agent's mode";
  }

  private async setMode(): Promise<void> {
    const mode = this.mode.value;
    if (!mode || mode === this.info.chat?.mode) return;
    const res = await this.ctx.call({ op: 'setChatMode', session: this.info.id, mode });
    if (res === null) {
      // Refused: show the mode the agent is in.
      delete this.mode.dataset['key'];
      this.renderMode(this.info.chat);
    }
  }

  private renderConfigs(chat: ChatInfo | undefined): void {
    const configs = [...(chat?.config ?? [])].sort((a, b) => Number(b.category === 'model') - Number(a.category === 'model'));
    const key = JSON.stringify([configs, [...this.setting]]);
    if (this.configs.dataset['key'] === key) return;
    this.configs.dataset['key'] = key;
    this.configs.replaceChildren(...configs.map((c) => this.configPicker(c)));
  }

  /** One setting: its values, showing the one it has; a choice is sent and shown once the engine says so. */
  private configPicker(c: ChatConfig): HTMLSelectElement {
    const known = c.values.some((v) => v.id === c.current);
    const select = h(
      'select',
      {
        class: 'mode-select chat-config',
        'data-testid': 'chat-config',
        'data-config': c.id,
        'data-category': c.category ?? '',
        'aria-label': c.name,
        title: `${c.name}: ${c.values.find((v) => v.id === c.current)?.description ?? c.current}`,
        'aria-busy': this.setting.has(c.id) ? 'true' : null,
        onchange: () => void this.setConfig(c.id, select),
      },
      known ? null : h('option', { value: c.current, disabled: true, text: c.current || `${c.name}…` }),
      ...c.values.map((v) => h('option', { value: v.id, title: v.id, text: v.description ?? v.id })),
    );
    select.value = c.current;
    return select;
  }

  private async setConfig(config: string, select: HTMLSelectElement): Promise<void> {
    const value = select.value;
    const current = () => this.info.chat?.config.find((c) => c.id === config)?.current ?? '';
    // Not shown as chosen until the engine's sessionUpdated says so.
    select.value = current();
    if (value === current()) return;
    this.setting.add(config);
    select.setAttribute('aria-busy', 'true');
    try {
      await this.ctx.call({ op: 'setChatConfig', session: this.info.id, config, value });
    } finally {
      // The picker may have been redrawn meanwhile (the update came first): draw them again as the engine has them.
      this.setting.delete(config);
      delete this.configs.dataset['key'];
      this.renderConfigs(this.info.chat);
    }
  }

  private renderUsage(chat: ChatInfo | undefined): void {
    const u = chat?.usage;
    this.usage.hidden = !u;
    if (!u) return;
    const share = u.size > 0 ? Math.min(1, u.used / u.size) : 0;
    this.usage.replaceChildren(
      h('span', { class: 'chat-usage-bar', 'aria-hidden': 'true' }, h('span', { class: 'chat-usage-fill', style: `width: ${(share * 100).toFixed(1)}%` })),
      h('span', { text: `${tokens(u.used)} / ${tokens(u.size)}` }),
    );
    this.usage.classList.toggle('high', share > 0.8);
    this.usage.title = `Context window: ${u.used.toLocaleString()} of ${u.size.toLocaleString()} tokens (${(share * 100).toFixed(1)}%)`;
  }
}
