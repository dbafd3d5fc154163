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

/** The pair every one of `pairs` is; null when they differ (runs of several pairs shown together); `fallback` for none. */
export function sharedPair(pairs: readonly ModalityPair[], fallback: ModalityPair): ModalityPair | null {
  if (pairs.length === 0) return fallback;
  return pairs.every((p) => samePair(p, pairs[0])) ? pairs[0] : null;
}

/**
 * A branch's name on the page where the pair may not be one: the kind's name under a pair ("RGB"), and "first
 * branch" / "second branch" when `pair` is null (runs of several pairs together), so nothing is mislabelled.
 */
export function branchLabel(pair: ModalityPair | null, branch: Branch): string {
  if (pair) return branchName(pair, branch);
  return branch === 'audio' ? 'first branch' : 'second branch';
}

/** "RGB" -> "RGB", "first branch" -> "First branch": a label at the start of a title or sentence. */
export function capitalised(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** rho's formula under a pair: "s_RGB / s_Flow"; "s_first / s_second" for several pairs. */
export function rhoFormula(pair: ModalityPair | null): string {
  return pair ? `s_${branchName(pair, 'audio')} / s_${branchName(pair, 'visual')}` : 's_first / s_second';
}

/** Which branch rho > 1 (or < 1) says is stronger, in words: "> 1: RGB stronger", "< 1: Flow stronger". */
export function rhoSide(pair: ModalityPair | null, side: '>' | '<'): string {
  return `${side} 1: ${branchLabel(pair, side === '>' ? 'audio' : 'visual')} stronger`;
}

/** The branch a method trains alone (`audio-only`: the first, `visual-only`: the second), or null. */
export function soloBranch(method: string): Branch | null {
  return method === 'audio-only' ? 'audio' : method === 'visual-only' ? 'visual' : null;
}

/**
 * The page's name of a method named after a branch, under the run's pair: `audio-only` is "RGB only" on RGB + flow
 * and "Audio only" on audio + RGB; "First branch only" for several pairs; null for a method named otherwise.
 */
export function soloMethodLabel(method: string, pair: ModalityPair | null): string | null {
  const branch = soloBranch(method);
  return branch ? `${capitalised(branchLabel(pair, branch))} only` : null;
}

/** The command line's word for a branch under a pair: `audio`, `rgb`, `flow`. */
export function branchWord(pair: ModalityPair, branch: Branch): string {
  return KIND_WORDS[branchKind(pair, branch)];
}

/** What a value of rho says, in words: "RGB stronger" (> 1), "Flow stronger" (< 1), "neither stronger" (1 or none). */
export function strongerText(pair: ModalityPair | null, rho: number): string {
  if (!Number.isFinite(rho) || rho === 1) return 'neither stronger';
  return `${branchLabel(pair, rho > 1 ? 'audio' : 'visual')} stronger`;
}
