import { describe, expect, it } from 'vitest';
import { OTHER_TAB_NOTICE, watchOtherTabs, type ChannelLike } from './otherTabs';

const open = (name: string) => () => new BroadcastChannel(name) as unknown as ChannelLike;
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('watchOtherTabs', () => {
  it('tells both tabs once there are two, and a lone tab nothing', async () => {
    const first: string[] = [];
    const second: string[] = [];
    const stopFirst = watchOtherTabs((t) => first.push(t), open('tabs-a'), 'one');
    await settle();
    expect(first, 'alone').toEqual([]);
    const stopSecond = watchOtherTabs((t) => second.push(t), open('tabs-a'), 'two');
    await settle();
    expect(first).toEqual([OTHER_TAB_NOTICE]);
    expect(second).toEqual([OTHER_TAB_NOTICE]);
    // A third tab: the first two have said it already, once each.
    const stopThird = watchOtherTabs(() => {}, open('tabs-a'), 'three');
    await settle();
    expect([first.length, second.length]).toEqual([1, 1]);
    for (const stop of [stopFirst, stopSecond, stopThird]) stop();
  });

  it('does nothing without BroadcastChannel', () => {
    const stop = watchOtherTabs(() => {
      throw new Error('no');
    }, () => null);
    stop();
  });
});
