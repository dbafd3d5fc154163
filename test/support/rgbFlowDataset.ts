/**
 * Test helper: an RGB + flow dataset made from the demo's frames, for the tests of the second pair of kinds. The
 * RGB frames are the demo's; each flow frame is the next RGB frame's red and green channels as u and v, so flow
 * carries the demo's visual cue too and the labels stay learnable.
 */
import { ArrayClipStore, type ClipStore, type Dataset } from '../../src/core/dataset';
import { RGB_FLOW } from '../../src/core/modalities';
import { makeDemoDataset, type DemoOptions } from '../../src/data/demo';

function split(store: ClipStore): ArrayClipStore {
  const rgb: Uint8Array[][] = [];
  const flow: Uint8Array[][] = [];
  for (let i = 0; i < store.size; i++) {
    const frames = Array.from({ length: store.frameCount(i, 'rgb') }, (_, j) => store.readFrame(i, j, 'rgb'));
    rgb.push(frames);
    flow.push(
      frames.map((_, j) => {
        const next = frames[Math.min(j + 1, frames.length - 1)];
        const uv = new Uint8Array((next.length / 3) * 2);
        for (let p = 0; p < next.length / 3; p++) uv.set([next[3 * p], next[3 * p + 1]], 2 * p);
        return uv;
      }),
    );
  }
  return new ArrayClipStore(Int32Array.from(store.labels), { rgb, flow });
}

export function makeRgbFlowDataset(options: Partial<DemoOptions>): Dataset {
  const demo = makeDemoDataset(options);
  return { ...demo, name: 'rgb-flow demo', modalities: RGB_FLOW, audioHeight: 0, audioWidth: 0, train: split(demo.train), test: split(demo.test) };
}
