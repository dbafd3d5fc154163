import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, toFloat32Array } from './decode';
import { encodeSafetensors } from './encode';

// Cross-check against an independent reader and writer in Python (numpy, and PyTorch for bfloat16 when present).
const PYTHON = '/usr/bin/python3';
const hasNumpy = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

const PY_READ = String.raw`
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n].decode('utf-8'))
data = raw[8 + n:]
np_types = {'F64': '<f8', 'F32': '<f4', 'F16': '<f2', 'BF16': '<u2', 'I64': '<i8', 'I32': '<i4', 'U8': 'u1', 'BOOL': '?'}
arrays = {}
for name, e in header.items():
    if name == '__metadata__':
        continue
    b, end = e['data_offsets']
    arrays[name] = np.frombuffer(data[b:end], dtype=np_types[e['dtype']]).reshape(e['shape'])
out = {'n': n, 'metadata': header.get('__metadata__')}
# The same header re-serialised compactly, padded with spaces, must give the same bytes.
compact = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
out['same_header_bytes'] = raw[8:8 + n] == compact + b' ' * (n - len(compact)) and n % 8 == 0
src = arrays['src']
out['f16_bits_match'] = bool((arrays['src_f16'].view('<u2') == src.astype(np.float16).view('<u2')).all())
try:
    import torch
    bf = torch.from_numpy(src.copy()).to(torch.bfloat16).view(torch.int16).numpy().view('<u2')
    ours = arrays['src_bf16']
    nan = (ours & 0x7fff) > 0x7f80  # NaN payloads differ between converters (torch 1.13 gives 0xffff)
    out['bf16_bits_match'] = bool((ours[~nan] == bf[~nan]).all() and (np.isnan(src) == nan).all())
except ImportError:
    out['bf16_bits_match'] = None
out['values'] = {k: v.astype(np.float64).tolist() for k, v in arrays.items() if k not in ('src', 'src_f16', 'src_bf16')}
print(json.dumps(out))
`;

const PY_WRITE = String.raw`
import json, struct, sys
import numpy as np
tensors = {
    'conv.weight': np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) / 7,
    'half': np.array([0.1, -2.5, 60000.0, 6e-8], dtype=np.float16),
    'steps': np.array(41, dtype=np.int64),
    'ids': np.array([-3, 2**40], dtype=np.int64),
    'mask': np.array([True, False, True]),
    'f64': np.array([[1e-300, -0.0]], dtype=np.float64),
}
codes = {'float32': 'F32', 'float16': 'F16', 'int64': 'I64', 'bool': 'BOOL', 'float64': 'F64'}
header = {'__metadata__': {'fusion': 'concat', 'width': '0.25'}}
blobs, off = [], 0
for name, a in tensors.items():
    b = a.astype(a.dtype.newbyteorder('<')).tobytes()
    header[name] = {'dtype': codes[a.dtype.name], 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
    blobs.append(b)
    off += len(b)
h = json.dumps(header).encode('utf-8')
h += b' ' * (-len(h) % 8)
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
print(json.dumps({k: np.asarray(v, dtype=np.float64).ravel().tolist() for k, v in tensors.items()}))
`;

describe.skipIf(!hasNumpy)('cross-check with Python (numpy)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('Python reads what we write: layout, values and half-precision rounding', () => {
    const src = new Float32Array([0, -0, 1, 65504, 65519, 65520, 1e-8, 2 ** -25, 2 ** -24, 1 + 2 ** -11, 1 + 2 ** -8, 3.14159, -2.5e-5, 1e30, Infinity, NaN]);
    const rnd = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 * 10 ** ((i % 20) - 14));
    const all = new Float32Array([...src, ...rnd]);
    const file = encodeSafetensors(
      [
        { name: 'src', dtype: 'F32', shape: [all.length], data: all },
        { name: 'src_f16', dtype: 'F16', shape: [all.length], data: all },
        { name: 'src_bf16', dtype: 'BF16', shape: [all.length], data: all },
        { name: 'w', dtype: 'F32', shape: [2, 3], data: [0.5, -1, 2, 3, 4, 1e-3] },
        { name: 'nbt', dtype: 'I64', shape: [], data: [5] },
        { name: 'i32', dtype: 'I32', shape: [2], data: [-7, 7] },
        { name: 'u8', dtype: 'U8', shape: [3], data: [0, 128, 255] },
        { name: 'b', dtype: 'BOOL', shape: [2], data: [1, 0] },
        { name: 'd', dtype: 'F64', shape: [1], data: [Math.E] },
      ],
      { format_version: '1', class_names: '["a","b"]' },
    );
    const path = join(dir, 'ts.safetensors');
    writeFileSync(path, file);
    const r = spawnSync(PYTHON, ['-W', 'ignore', '-c', PY_READ, path], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.metadata).toEqual({ format_version: '1', class_names: '["a","b"]' });
    expect(out.same_header_bytes).toBe(true);
    expect(out.f16_bits_match).toBe(true);
    if (out.bf16_bits_match !== null) expect(out.bf16_bits_match).toBe(true);
    expect(out.values.w).toEqual([Array.from(new Float32Array([0.5, -1, 2])), Array.from(new Float32Array([3, 4, 1e-3]))]);
    expect(out.values.nbt).toBe(5);
    expect(out.values.i32).toEqual([-7, 7]);
    expect(out.values.u8).toEqual([0, 128, 255]);
    expect(out.values.b).toEqual([1, 0]);
    expect(out.values.d).toEqual([Math.E]);
  });

  it('we read what Python writes', () => {
    const path = join(dir, 'py.safetensors');
    const r = spawnSync(PYTHON, ['-c', PY_WRITE, path], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const expected = JSON.parse(r.stdout) as Record<string, number[]>;
    const { tensors, metadata } = decodeSafetensors(readFileSync(path));
    expect(metadata).toEqual({ fusion: 'concat', width: '0.25' });
    expect(tensors.get('conv.weight')!.shape).toEqual([2, 3, 2, 2]);
    expect(tensors.get('steps')!.shape).toEqual([]);
    for (const [name, values] of Object.entries(expected)) {
      const t = tensors.get(name)!;
      // Python sends float64 values; our float32 (or widened float16) values must equal them rounded to float32.
      const got = t.data instanceof Float64Array ? Array.from(t.data) : Array.from(toFloat32Array(t));
      const want = t.data instanceof Float64Array ? values : values.map((v) => Math.fround(v));
      expect([name, got]).toEqual([name, want]);
    }
    expect(tensors.get('f64')!.data).toBeInstanceOf(Float64Array);
    expect(Object.is((tensors.get('f64')!.data as Float64Array)[1], -0)).toBe(true);
  });
});
