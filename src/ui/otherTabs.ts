/**
 * Two tabs on the lab share one IndexedDB: each saves the runs it trains, and both continuing (or one deleting) the
 * same run would mix their checkpoints. Each tab says hello on a BroadcastChannel and answers the hellos of others,
 * so both tabs show a notice as soon as there are two.
 */

/** What a tab needs: a BroadcastChannel-like channel (the browser's, or a fake in tests). */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((e: MessageEvent) => void) | null;
  close(): void;
}

export const OTHER_TAB_NOTICE =
  'The lab is open in another tab too. Each tab saves the runs it trains; do not continue or delete the same run in both ' +
  '(reload this tab to see the runs the other one saved).';

/** Starts watching; `onOther` is called once, when another tab is found. Returns a function that stops. */
export function watchOtherTabs(onOther: (text: string) => void, open: () => ChannelLike | null = defaultChannel, id = Math.random().toString(36).slice(2)): () => void {
  const channel = open();
  if (!channel) return () => {};
  let told = false;
  channel.onmessage = (e: MessageEvent) => {
    const m = e.data as { type?: string; id?: string } | null;
    if (!m || m.id === id || (m.type !== 'hello' && m.type !== 'here')) return;
    if (m.type === 'hello') channel.postMessage({ type: 'here', id });
    if (!told) {
      told = true;
      onOther(OTHER_TAB_NOTICE);
    }
  };
  channel.postMessage({ type: 'hello', id });
  return () => channel.close();
}

function defaultChannel(): ChannelLike | null {
  return typeof BroadcastChannel === 'function' ? (new BroadcastChannel('bmm-lab-tabs') as unknown as ChannelLike) : null;
}
