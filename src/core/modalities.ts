/**
 * The two branches' modality kinds (METHOD.md sections 1-2). Each branch of the model takes one kind:
 * - `spectrogram`: the log-magnitude spectrogram, one H x W image of 1 channel (the audio);
 * - `rgb`: T frames S x S x 3 (ImageNet-normalised);
 * - `flow`: T optical-flow frames S x S x 2 (u, v; 128 = no motion, mapped to [-1, 1]).
 * The first branch trains `audio_net`, the second `visual_net` (OGM-GE's names, kept so that exported weights load
 * in its code whatever the kinds). In the code, `audio`/`visual` name the first and second branch; on the page they
 * are called by their kinds' names ("Audio", "RGB", "Flow").
 */

export type ModalityKind = 'spectrogram' | 'rgb' | 'flow';
/** The kinds stored as frames. */
export type FrameKind = Exclude<ModalityKind, 'spectrogram'>;
/** The first and the second branch's kinds. */
export type ModalityPair = readonly [ModalityKind, ModalityKind];
/** Which branch: the first (`audio_net`) or the second (`visual_net`). */
export type Branch = 'audio' | 'visual';

export const MODALITY_KINDS: readonly ModalityKind[] = ['spectrogram', 'rgb', 'flow'];
export const AUDIO_RGB: ModalityPair = ['spectrogram', 'rgb'];
export const AUDIO_FLOW: ModalityPair = ['spectrogram', 'flow'];
export const RGB_FLOW: ModalityPair = ['rgb', 'flow'];
/** The pairs the lab trains: a spectrogram comes first, and RGB before flow. */
export const MODALITY_PAIRS: readonly ModalityPair[] = [AUDIO_RGB, AUDIO_FLOW, RGB_FLOW];

export const KIND_CHANNELS: Readonly<Record<ModalityKind, number>> = { spectrogram: 1, rgb: 3, flow: 2 };
/** What the page calls a kind. */
export const KIND_NAMES: Readonly<Record<ModalityKind, string>> = { spectrogram: 'Audio', rgb: 'RGB', flow: 'Flow' };

export function isFrameKind(kind: ModalityKind): kind is FrameKind {
  return kind !== 'spectrogram';
}

export function samePair(a: ModalityPair, b: ModalityPair): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/** The supported pair equal to `kinds`, or null. */
export function supportedPair(kinds: readonly unknown[]): ModalityPair | null {
  return MODALITY_PAIRS.find((p) => kinds.length === 2 && p[0] === kinds[0] && p[1] === kinds[1]) ?? null;
}

/** The kind a branch takes under a pair. */
export function branchKind(pair: ModalityPair, branch: Branch): ModalityKind {
  return branch === 'audio' ? pair[0] : pair[1];
}

/** The page's name of a branch under a pair ("Audio", "RGB", "Flow"). */
export function branchName(pair: ModalityPair, branch: Branch): string {
  return KIND_NAMES[branchKind(pair, branch)];
}

/** "Audio + RGB". */
export function pairLabel(pair: ModalityPair): string {
  return `${KIND_NAMES[pair[0]]} + ${KIND_NAMES[pair[1]]}`;
}

/** The pair of a run recorded before branch kinds existed: a spectrogram and the frames' kind from their channels. */
export function legacyPair(visualChannels: number): ModalityPair {
  return visualChannels === 2 ? AUDIO_FLOW : AUDIO_RGB;
}

/** The frame kinds of a pair, first branch first. */
export function frameKinds(pair: ModalityPair): FrameKind[] {
  return pair.filter(isFrameKind);
}

export function hasSpectrogram(pair: ModalityPair): boolean {
  return pair[0] === 'spectrogram';
}

const KIND_WORDS: Readonly<Record<ModalityKind, string>> = { spectrogram: 'audio', rgb: 'rgb', flow: 'flow' };

/** The pair's name on the command line: `audio+rgb`, `audio+flow`, `rgb+flow`. */
export function pairName(pair: ModalityPair): string {
  return `${KIND_WORDS[pair[0]]}+${KIND_WORDS[pair[1]]}`;
}

export const PAIR_NAMES: readonly string[] = MODALITY_PAIRS.map(pairName);

/** The pair a command-line name stands for, or null. */
export function pairFromName(name: string): ModalityPair | null {
  return MODALITY_PAIRS.find((p) => pairName(p) === name.trim().toLowerCase()) ?? null;
}
