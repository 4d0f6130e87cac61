// Error banners (dismissible, one per distinct message), the "engine not
// reachable" banner, and short-lived notices such as "Landed 2 files".

import { h, icon, ICONS } from '../lib/dom';
import type { Link } from '../ipc/transport';

export class Banners {
  readonly el = h('div', { class: 'banners' });
  private readonly link = h(
    'div',
    { class: 'banner banner-link', role: 'status', 'data-testid': 'connection-banner', hidden: true },
    icon(ICONS.plug),
    h('span', {}, 'Engine not reachable — is ', h('code', { text: 'airlock serve' }), ' still running? Reconnecting…'),
  );
  private readonly errors = new Map<string, { el: HTMLElement; count: HTMLElement; n: number }>();

  constructor() {
    this.el.append(this.link);
  }

  setLink(link: Link): void {
    this.link.hidden = link === 'up';
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
}

export class Toasts {
  readonly el = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });

  show(message: string, ms = 3500, tone: 'ok' | 'info' = 'ok'): void {
    const t = h('div', { class: `toast toast-${tone}`, 'data-testid': 'toast' }, icon(tone === 'ok' ? ICONS.check : ICONS.alert), h('span', { text: message }));
    this.el.append(t);
    setTimeout(() => {
      t.classList.add('leaving');
      setTimeout(() => t.remove(), 300);
    }, ms);
  }
}
