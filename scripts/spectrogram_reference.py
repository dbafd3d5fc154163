#!/usr/bin/env python3
"""Reference log-spectrograms for src/data/spectrogram.test.ts, computed independently with numpy.

This is librosa's (< 0.10) STFT algorithm written out with numpy only: centre the signal with
np.pad(y, 256, mode='reflect') (or zeros), cut frames of 512 samples every 353, multiply by the periodic Hann
window 0.5 - 0.5 cos(2 pi n / 512), np.fft.rfft, magnitude, log(|S| + 1e-7).

The test waveform is closed-form (see test_waveform) so the TypeScript test builds the identical float32 input.
Run: /usr/bin/python3 scripts/spectrogram_reference.py  (writes src/data/testdata/spectrogram_reference.json)
"""
import base64
import json
import os

import numpy as np

SR = 22050
N = 66150
N_FFT = 512
HOP = 353


def test_waveform():
    """0.3 sin(440 Hz) + 0.2 sin(3000 Hz + 0.5) + 0.25 chirp 100 -> 8000 Hz over 3 s, with a linear fade-in
    over the first 0.5 s (so the edges are not symmetric), as float32."""
    t = np.arange(N, dtype=np.float64) / SR
    f0, f1, dur = 100.0, 8000.0, N / SR
    chirp = np.sin(2 * np.pi * (f0 * t + (f1 - f0) / (2 * dur) * t * t))
    y = 0.3 * np.sin(2 * np.pi * 440.0 * t) + 0.2 * np.sin(2 * np.pi * 3000.0 * t + 0.5) + 0.25 * chirp
    y = y * np.minimum(1.0, 0.1 + t / 0.5)
    return y.astype(np.float32)


def log_spectrogram(y, pad_mode):
    y = y.astype(np.float64)
    if pad_mode == 'reflect':
        yp = np.pad(y, N_FFT // 2, mode='reflect')
    else:
        yp = np.pad(y, N_FFT // 2, mode='constant')
    n_frames = 1 + (len(yp) - N_FFT) // HOP
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    frames = np.stack([yp[i * HOP:i * HOP + N_FFT] * window for i in range(n_frames)], axis=1)  # 512 x T
    spec = np.fft.rfft(frames, axis=0)  # 257 x T
    return np.log(np.abs(spec) + 1e-7)


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f4').tobytes()).decode('ascii')


def main():
    y = test_waveform()
    ref = log_spectrogram(y, 'reflect')
    zero = log_spectrogram(y, 'constant')
    assert ref.shape == (257, 188), ref.shape
    # All 257 bins for every 5th frame plus the edge frames (where padding matters).
    cols = sorted(set(range(0, 188, 5)) | {1, 2, 3, 184, 185, 186, 187})
    zero_cols = [0, 1, 2, 185, 186, 187]
    out = {
        'description': 'log(|STFT| + 1e-7), n_fft 512, periodic Hann, hop 353, centred; rows = 257 bins, '
                       'values float32 little-endian base64, column-major over the listed frames '
                       '(frame cols[j] occupies values [j*257, (j+1)*257))',
        'generator': 'scripts/spectrogram_reference.py (numpy %s)' % np.__version__,
        'height': 257,
        'width': 188,
        'waveformChecksum': float(np.sum(y.astype(np.float64) ** 2)),
        'reflect': {'cols': cols, 'values': b64(ref[:, cols].T)},
        'constant': {'cols': zero_cols, 'values': b64(zero[:, zero_cols].T)},
    }
    path = os.path.join(os.path.dirname(__file__), '..', 'src', 'data', 'testdata', 'spectrogram_reference.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print('wrote', os.path.normpath(path), os.path.getsize(path), 'bytes; min %.3f max %.3f' % (ref.min(), ref.max()))


if __name__ == '__main__':
    main()
