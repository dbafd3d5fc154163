/**
 * Named parameters with PyTorch state_dict names (METHOD.md section 7) and PyTorch-style initialisation.
 * Layouts inside the lab: conv kernels HWIO, linear weights [in, out]; the exporter transposes to OIHW / [out, in].
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from './random';

export type ParamKind = 'conv' | 'linear-weight' | 'linear-bias' | 'bn-weight' | 'bn-bias' | 'bn-mean' | 'bn-var';

export interface ParamSpec {
  /** PyTorch state_dict name, e.g. `audio_net.layer1.0.conv1.weight`. */
  name: string;
  kind: ParamKind;
  /** Shape in the lab's layout (HWIO for conv, [in, out] for linear). */
  shape: number[];
}

/** Channel count of a width-scaled layer: max(1, round(base * width)). The PyTorch package uses the same rule. */
export function scaledChannels(base: number, width: number): number {
  return Math.max(1, Math.round(base * width));
}

export function isTrainable(kind: ParamKind): boolean {
  return kind !== 'bn-mean' && kind !== 'bn-var';
}

/** Initial values: conv kaiming-normal (fan_out, ReLU gain), BN weight 1 / bias 0 / mean 0 / var 1, linear xavier-normal, bias 0. */
export function initialValues(spec: ParamSpec, rng: Rng): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  switch (spec.kind) {
    case 'conv': {
      const [kh, kw, , outC] = spec.shape;
      const std = Math.sqrt(2 / (outC * kh * kw));
      for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
      break;
    }
    case 'linear-weight': {
      const [fanIn, fanOut] = spec.shape;
      const std = Math.sqrt(2 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
      break;
    }
    case 'bn-weight':
    case 'bn-var':
      out.fill(1);
      break;
    case 'linear-bias':
    case 'bn-bias':
    case 'bn-mean':
      break;
    default: {
      const never: never = spec.kind;
      throw new Error(`unknown parameter kind ${String(never)}`);
    }
  }
  return out;
}

/** A model's variables by PyTorch name, plus each BatchNorm's `num_batches_tracked`. */
export class ParamStore {
  readonly specs: ParamSpec[];
  readonly vars = new Map<string, tf.Variable>();
  /** Keyed by the BN module prefix, e.g. `audio_net.bn1`. */
  readonly bnBatchesTracked = new Map<string, number>();

  constructor(specs: ParamSpec[], rng: Rng) {
    this.specs = specs;
    for (const spec of specs) {
      if (this.vars.has(spec.name)) throw new Error(`duplicate parameter name ${spec.name}`);
      const values = initialValues(spec, rng);
      const initial = tf.tensor(values, spec.shape, 'float32');
      this.vars.set(spec.name, tf.variable(initial, isTrainable(spec.kind), `${spec.name}#${uniqueSuffix()}`));
      initial.dispose();
      if (spec.kind === 'bn-mean') this.bnBatchesTracked.set(spec.name.slice(0, -'.running_mean'.length), 0);
    }
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  trainable(prefix?: string): tf.Variable[] {
    return this.specs.filter((s) => isTrainable(s.kind) && (prefix === undefined || s.name.startsWith(prefix))).map((s) => this.get(s.name));
  }

  /** Reads all values (for checkpoints and export). */
  async read(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const spec of this.specs) out.set(spec.name, (await this.get(spec.name).data()) as Float32Array);
    return out;
  }

  /** Overwrites values; every spec must be present with the right size. */
  write(values: Map<string, Float32Array> | Record<string, Float32Array>): void {
    const get = (n: string) => (values instanceof Map ? values.get(n) : values[n]);
    for (const spec of this.specs) {
      const data = get(spec.name);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (!data) throw new Error(`missing parameter ${spec.name}`);
      if (data.length !== size) throw new Error(`parameter ${spec.name}: expected ${size} values (shape [${spec.shape}]), got ${data.length}`);
      const v = this.get(spec.name);
      tf.tidy(() => v.assign(tf.tensor(data, spec.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let counter = 0;
function uniqueSuffix(): number {
  return counter++;
}
