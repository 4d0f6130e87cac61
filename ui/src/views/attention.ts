// "An agent waits for you" / "an agent finished": always a toast in the page;
// in a browser also a system notification once the user allowed them (asked
// from a control in the top bar, never on load). The desktop window's shell
// shows its own desktop notification, so there the toast is all.

import type { Store } from '../store';
import { h, icon, ICONS } from '../lib/dom';
import type { Toasts } from './banners';

export class Attention {
  /** The top bar's "Enable notifications" control (hidden where it has nothing to offer). */
  readonly control: HTMLButtonElement;

  constructor(
    private readonly store: Store,
    private readonly toasts: Toasts,
    private readonly desktop: boolean,
  ) {
    this.control = h(
      'button',
      {
        class: 'btn btn-ghost notify-toggle',
        type: 'button',
        'data-testid': 'enable-notifications',
        'aria-label': 'Enable notifications',
        title: 'Let this page show a system notification when an agent waits for you or finishes',
        onclick: () => void this.enable(),
      },
      icon(ICONS.bell),
      h('span', { class: 'label', text: 'Enable notifications' }),
    );
    this.renderControl();
    // The permission can change in the browser's own site settings.
    window.addEventListener('focus', () => this.renderControl());
  }

  private get supported(): boolean {
    return !this.desktop && typeof Notification !== 'undefined';
  }

  private renderControl(): void {
    this.control.hidden = !this.supported || Notification.permission !== 'default';
  }

  private async enable(): Promise<void> {
    if (!this.supported) return;
    let permission: NotificationPermission;
    try {
      permission = await Notification.requestPermission();
    } catch {
      permission = Notification.permission;
    }
    this.renderControl();
    if (permission === 'granted') this.toasts.show('Notifications on: you will hear when an agent waits for you');
    else if (permission === 'denied') this.toasts.show('Notifications are blocked for this page; notices still show here', 5000, 'info');
  }

  /** The engine's `attention` event. */
  show(session: string, kind: string, message: string): void {
    const select = () => this.store.select(session);
    // The chat on screen already says its turn ended (the engine says `done`, or `finished`).
    const onScreen = this.store.selected === session && this.store.sessions.get(session)?.kind === 'chat' && document.visibilityState === 'visible';
    if (kind === 'waiting' || !onScreen) {
      this.toasts.toast(message, {
        tone: kind === 'waiting' ? 'attention' : 'notice',
        testid: 'attention-toast',
        ms: kind === 'waiting' ? 8000 : 5000,
        onclick: select,
      });
    }
    if (!this.supported || Notification.permission !== 'granted') return;
    // Someone looking at the page has the toast; the system notice is for when they are elsewhere.
    if (document.visibilityState === 'visible' && document.hasFocus()) return;
    try {
      const n = new Notification(kind === 'waiting' ? 'Airlock: waiting for you' : 'Airlock', {
        body: message,
        tag: `airlock-${session}`,
      });
      n.onclick = () => {
        window.focus();
        select();
        n.close();
      };
    } catch {
      // Some browsers only allow notifications from a service worker; the toast is there.
    }
  }
}
