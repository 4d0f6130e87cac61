// Error banners (dismissible, one per distinct message), the "engine not
// reachable" banner, and short-lived notices such as "Landed 2 files".

import type { Orphan } from '../ipc/bindings';
import { formatSize } from '../lib/bytes';
import { h, icon, ICONS, type Child } from '../lib/dom';
import type { Link } from '../ipc/transport';

export class Banners {
  readonly el = h('div', { class: 'banners' });
  private readonly link = h(
    'div',
    { class: 'banner banner-link', role: 'status', 'data-testid': 'connection-banner', hidden: true },
    icon(ICONS.plug),
    h('span', {}, 'Engine not reachable — is ', h('code', { text: 'airlock serve' }), ' still running? Reconnecting…'),
  );
  private readonly refused = h(
    'div',
    { class: 'banner banner-link', role: 'alert', 'data-testid': 'token-banner', hidden: true },
    icon(ICONS.plug),
    h(
      'span',
      {},
      'Airlock started again, so this page’s access token no longer works: open the new URL that ',
      h('code', { text: 'airlock serve' }),
      ' printed (it ends in ?token=…).',
    ),
  );
  private readonly errors = new Map<string, { el: HTMLElement; count: HTMLElement; n: number }>();

  constructor() {
    this.el.append(this.link, this.refused);
  }

  setLink(link: Link): void {
    this.link.hidden = link !== 'down';
    this.refused.hidden = link !== 'refused';
  }

  /** Shows `message` in an alert until dismissed; a repeat bumps a counter instead. */
  error(message: string): void {
    const existing = this.errors.get(message);
    if (existing) {
      existing.n += 1;
      existing.count.textContent = `×${existing.n}`;
      existing.count.hidden = false;
      return;
    }
    const count = h('span', { class: 'banner-count', hidden: true });
    const el = h(
      'div',
      { class: 'banner banner-error', role: 'alert', 'data-testid': 'error-banner' },
      icon(ICONS.alert),
      h('span', { class: 'banner-text', text: message }),
      count,
      h(
        'button',
        {
          class: 'icon-button',
          type: 'button',
          'aria-label': 'Dismiss error',
          title: 'Dismiss',
          onclick: () => {
            el.remove();
            this.errors.delete(message);
          },
        },
        icon(ICONS.x),
      ),
    );
    this.errors.set(message, { el, count, n: 1 });
    this.el.append(el);
  }

  private orphanBanner: HTMLElement | null = null;

  /**
   * Offers to delete stages that no session owns (left by a crash), or takes
   * the offer down when `orphans` is empty. `clean` resolves true once done.
   */
  orphans(orphans: Orphan[], clean: () => Promise<boolean>): void {
    this.orphanBanner?.remove();
    this.orphanBanner = null;
    if (orphans.length === 0) return;
    const n = orphans.length;
    const bytes = orphans.reduce((sum, o) => sum + o.bytes, 0);
    const button = h(
      'button',
      {
        class: 'btn btn-sm',
        type: 'button',
        'data-testid': 'orphans-clean',
        title: `Delete ${orphans.map((o) => o.path).join(', ')}`,
        onclick: async () => {
          button.disabled = true;
          if (await clean()) {
            el.remove();
            if (this.orphanBanner === el) this.orphanBanner = null;
          } else {
            button.disabled = false;
          }
        },
      },
      icon(ICONS.trash),
      'Clean up',
    );
    const el = h(
      'div',
      { class: 'banner banner-orphans', role: 'status', 'data-testid': 'orphans-banner' },
      icon(ICONS.folder),
      h(
        'span',
        { class: 'banner-text' },
        `${n} ${n === 1 ? 'stage' : 'stages'} left by a crash ${n === 1 ? 'uses' : 'use'} ${formatSize(bytes)} — no session owns ${n === 1 ? 'it' : 'them'}.`,
      ),
      button,
      h(
        'button',
        {
          class: 'icon-button',
          type: 'button',
          'data-testid': 'orphans-dismiss',
          'aria-label': 'Dismiss (keep the stages)',
          title: 'Dismiss (keep the stages)',
          onclick: () => {
            el.remove();
            if (this.orphanBanner === el) this.orphanBanner = null;
          },
        },
        icon(ICONS.x),
      ),
    );
    this.orphanBanner = el;
    this.el.append(el);
  }
}

export interface ToastOptions {
  ms?: number;
  tone?: 'ok' | 'info' | 'attention' | 'notice';
  testid?: string;
  /** Makes the toast a button (it closes when clicked). */
  onclick?: () => void;
}

export class Toasts {
  readonly el = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });

  show(message: string | Child[], ms = 3500, tone: 'ok' | 'info' = 'ok'): void {
    this.toast(message, { ms, tone });
  }

  toast(message: string | Child[], opts: ToastOptions = {}): HTMLElement {
    const { ms = 3500, tone = 'ok', testid = 'toast', onclick } = opts;
    const body = h('span', { class: 'toast-text' }, ...(typeof message === 'string' ? [message] : message));
    const ico = icon(tone === 'ok' ? ICONS.check : tone === 'info' ? ICONS.alert : ICONS.bell);
    const leave = () => {
      if (t.classList.contains('leaving')) return;
      t.classList.add('leaving');
      setTimeout(() => t.remove(), 300);
    };
    const t = onclick
      ? h('button', { class: `toast toast-${tone} toast-button`, type: 'button', 'data-testid': testid, onclick: () => (onclick(), leave()) }, ico, body)
      : h('div', { class: `toast toast-${tone}`, 'data-testid': testid }, ico, body);
    this.el.append(t);
    setTimeout(leave, ms);
    return t;
  }
}
